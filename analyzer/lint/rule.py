"""The rule plugin API: what a rule is and what it reports.

A plugin module exposes ``Rule`` objects and registers them in the
``paramlint.rules`` entry-point group (an entry point may name one Rule or
a list of them). Rules see the IR and yield ``Finding``s; they never know
how findings are printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:  # annotations only: a warm run reads findings, never the IR
    from paramlint.ir.model import Layer, Location, Model

SEVERITIES = ("info", "warning", "error")
CODE_RE = re.compile(r"^[A-Z]{1,5}[0-9]{3,4}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Option:
    """A rule option: configured in ``[tool.paramlint.rules.<name>]``."""

    name: str
    type: type
    default: Any
    help: str = ""


@dataclass
class Finding:
    """One thing a rule reports about one model (and maybe one layer)."""

    code: str
    rule: str
    severity: str
    message: str
    path: str
    layer: str | None = None
    line: int | None = None
    column: int | None = None
    node_index: int | None = None
    node_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[str, str, str]:
        """Identity that survives unrelated edits: used by baselines."""
        return (self.path, self.code, self.layer or "")

    def as_dict(self) -> dict[str, Any]:
        """``dataclasses.asdict(self)`` for JSON, without its deep copy of
        every value (a third of what a fresh cache costs per YAML file)."""
        out = {name: getattr(self, name) for name in _FINDING_FIELDS}
        out["extra"] = dict(self.extra)
        return out


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


class RuleContext:
    """Handed to a rule's check: its options and a way to make findings."""

    def __init__(self, rule: "Rule", model: Model, options: dict[str, Any]) -> None:
        self.rule = rule
        self.model = model
        self.options = options

    def finding(
        self,
        message: str,
        layer: Layer | None = None,
        location: Location | None = None,
        **extra: Any,
    ) -> Finding:
        loc = location or (layer.location if layer is not None else None)
        return Finding(
            code=self.rule.code,
            rule=self.rule.name,
            severity=self.rule.severity,
            message=message,
            path=self.model.path,
            layer=layer.name if layer is not None else None,
            line=loc.line if loc else None,
            column=loc.column if loc else None,
            node_index=loc.node_index if loc else None,
            node_name=loc.node_name if loc else None,
            extra=extra,
        )


CheckFn = Callable[["Model", RuleContext], Iterable[Finding]]
MetricsFn = Callable[["Model", RuleContext], dict[str, Any]]


@dataclass
class Rule:
    """A lint rule.

    ``check`` yields findings. ``metrics``, when given, returns report
    content (the counts are contributed this way). ``on_failed`` rules also
    run on models that failed to load (the load-error rule); the others
    never see a failed model.
    """

    code: str
    name: str
    severity: str
    summary: str
    check: CheckFn
    doc: str = ""
    options: tuple[Option, ...] = ()
    example: str = ""
    metrics: MetricsFn | None = None
    on_failed: bool = False

    def defaults(self) -> dict[str, Any]:
        return {opt.name: opt.default for opt in self.options}

    def problems(self) -> list[str]:
        """What is wrong with this rule's declaration, for plugin loading."""
        out = []
        if not CODE_RE.match(self.code or ""):
            out.append(f"bad code {self.code!r} (want letters then 3-4 digits, e.g. PRM301)")
        if not NAME_RE.match(self.name or ""):
            out.append(f"bad name {self.name!r} (want kebab-case)")
        if self.severity not in SEVERITIES:
            out.append(f"bad severity {self.severity!r} (want one of {', '.join(SEVERITIES)})")
        if not callable(self.check):
            out.append("check is not callable")
        return out
