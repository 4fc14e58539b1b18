"""Runs loaders and rules over files and collects one FileReport each.

Everything that can go wrong inside one file stays inside that file's
report: a load failure becomes a failed model, a crashing rule becomes a
finding naming the rule. Only the caller decides exit statuses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

from paramlint import loaders
from paramlint.ir.errors import LoadError, Location
from .results import FileReport
from .rule import Finding, Rule, RuleContext
from paramlint.support.gc_pause import cyclic_gc_paused

if TYPE_CHECKING:  # the IR is built only when a file is analysed (not on a warm run)
    from paramlint.ir.model import Model

@dataclass
class Settings:
    """What the configuration decides about a run, in picklable form."""

    enabled: frozenset[str] | None = None  # None: every rule
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the memory figures' settings (--context, --batch...), as
    #: ``MemorySettings`` fields; empty: the defaults
    memory: dict[str, Any] = field(default_factory=dict)

    def is_enabled(self, code: str) -> bool:
        return self.enabled is None or code in self.enabled


class ResultCache(Protocol):
    def get(self, path: str) -> FileReport | None: ...
    def put(self, path: str, report: FileReport) -> None: ...


class NotAModel(Exception):
    """No loader claims the file: it is skipped without a finding."""


def identify(path: str) -> loaders.Loader:
    """The loader that claims ``path``, from the first bytes of the vetted file.

    Raises ``LoadError`` when the file cannot be a model of any format
    (missing, unreadable, not a regular file, an extension no loader
    reads: the user named it, so they hear why), ``NotAModel`` when it
    can be read but no loader claims it.
    """
    if not os.path.lexists(path):
        loader = loaders.standing_in(path)
        if loader is None:
            raise LoadError("no such file", Location(path))
        return loader
    if not loaders.candidates(path):
        raise LoadError(f"no loader for files ending in {os.path.splitext(path)[1] or '(none)'!r}"
                        f" (paramlint reads {', '.join(loaders.suffixes())})", Location(path))
    head = loaders.read_head(path, loaders.HEAD_BYTES)
    if loaders.is_lfs_pointer(head):
        raise LoadError(loaders.LFS_POINTER_MESSAGE, Location(path))
    loader = loaders.claim(path, head)
    if loader is None:
        raise NotAModel(path)
    return loader


def load_model(path: str, loader: loaders.Loader | None = None) -> Model:
    """Load one file with ``loader`` (by default: the claimer); never raises.

    Asked for a file no loader claims, it lets the first loader for its
    extension try and say what is wrong: a caller that names one file to
    load wants the reason, while ``analyze`` skips such files before.
    """
    fmt = loader.format if loader is not None else os.path.splitext(path)[1].lstrip(".").lower()
    fmt = "yaml" if fmt == "yml" else fmt
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        if loader is None:
            try:
                loader = identify(path)
            except NotAModel:
                loader = loaders.candidates(path)[0]
            fmt = loader.format
        return loader.loader()(path)
    except LoadError as exc:
        error = exc
    except RecursionError:
        error = LoadError("structure nested too deeply to read", Location(path))
    except MemoryError:
        error = LoadError("out of memory while reading", Location(path))
    except Exception as exc:  # a loader bug must not cost the other files
        error = LoadError(f"internal error while loading: {type(exc).__name__}: {exc}",
                          Location(path), internal=True)
    if error.location is None:
        error.location = Location(path)
    from paramlint.ir.model import Model

    return Model(path=path, format=fmt, name=name, error=error)


def run_rules(model: Model, rules: Iterable[Rule], settings: Settings) -> tuple[list[Finding], dict[str, Any]]:
    findings: list[Finding] = []
    metrics: dict[str, Any] = {}
    for rule in rules:
        enabled = settings.is_enabled(rule.code)
        if not enabled and rule.metrics is None:
            continue
        if model.failed and not rule.on_failed:
            continue
        options = {**rule.defaults(), **settings.options.get(rule.code, {})}
        ctx = RuleContext(rule, model, options)
        try:
            if rule.metrics is not None:
                metrics.update(rule.metrics(model, ctx))
            if enabled:
                findings.extend(rule.check(model, ctx))
        except Exception as exc:
            findings.append(Finding(
                code=rule.code, rule=rule.name, severity="error", path=model.path,
                message=f"internal error in rule {rule.code} ({rule.name}): {type(exc).__name__}: {exc}",
                extra={"internal_error": True}))
    return findings, metrics


def analyze_file(path: str, settings: Settings, rules: list[Rule] | None = None,
                 loader: str | None = None) -> FileReport:
    """Load one file (with the named loader, else the claimer) and run the rules on it."""
    return report_of(load_model(path, loaders.by_name(loader) if loader else None), settings, rules)


def report_of(model: Model, settings: Settings, rules: list[Rule] | None = None) -> FileReport:
    """Run the rules on a loaded (or failed) model: its FileReport."""
    # Imported here: a run whose files are all cache hits needs neither the
    # rules nor the report builder (nor counting).
    from .plugins import discover
    from paramlint.analysis.document import build_document
    from paramlint.analysis.memory_doc import MemorySettings

    if rules is None:
        rules = discover().rules
    # paused while passes, rules and the document allocate; what the file
    # made (the loader's frozen objects too) then joins the oldest generation
    with cyclic_gc_paused(keep_frozen=False):
        findings, metrics = run_rules(model, rules, settings)
        document = build_document(model, metrics.get("counts"), MemorySettings(**settings.memory))
    findings.sort(key=lambda f: (f.line or 0, f.node_index or 0, f.code))
    return FileReport(path=model.path, document=document, findings=findings)
