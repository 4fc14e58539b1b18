"""What a change does to a model: per-layer, per-module and total deltas.

The question in review is rarely "how big is this model" and almost always
"what did this change do to it". A diff compares two analysed files (their
JSON documents and findings, report-json.md), so it works for any pair of
formats paramlint reads, cached or fresh: layers are matched (diff_match),
figures subtracted, findings that appear or disappear listed, and growth
budgets checked. Unchanged layers are counted, not listed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .match import Pair, match_layers
from paramlint.lint.baseline import message_fingerprint
from paramlint.lint.growth import Budget
from paramlint.lint.results import FileReport

#: Figures compared per layer and per model, in display order.
FIGURES = ("params", "macs", "weight_bytes")
TOTALS = ("params", "active_params", "trainable", "non_trainable", "macs", "weight_bytes",
          "kv_bytes_per_token", "kv_cache_bytes", "activation_peak_bytes", "serving_bytes")
#: Memory totals, from the document's ``memory`` object (docs/memory.md):
#: key -> (part, field). A model without attention has no KV figures.
MEMORY = {"kv_bytes_per_token": ("kv_cache", "bytes_per_token"), "kv_cache_bytes": ("kv_cache", "bytes"),
          "activation_peak_bytes": ("activations", "peak_bytes"), "serving_bytes": ("serving", "bytes")}


def _with_memory(document: dict[str, Any]) -> dict[str, Any]:
    """The document's totals and its memory figures, in one mapping."""
    totals = dict(document.get("totals") or {})
    memory = document.get("memory") or {}
    for key, (part, name) in MEMORY.items():
        section = memory.get(part)
        if section is not None:
            totals[key] = section.get(name)
    return totals


@dataclass
class LayerChange:
    """A layer that was added, removed or changed (old/new are document rows)."""

    status: str  # "added" | "removed" | "changed"
    name: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    matched_by: str | None = None

    def figure(self, key: str, side: str) -> int | None:
        row = self.old if side == "old" else self.new
        return 0 if row is None else row.get(key)

    def delta(self, key: str) -> int | None:
        before, after = self.figure(key, "old"), self.figure(key, "new")
        return None if before is None or after is None else after - before


@dataclass
class ModuleChange:
    module: str
    before: dict[str, int | None]
    after: dict[str, int | None]

    def delta(self, key: str) -> int | None:
        a, b = self.before.get(key), self.after.get(key)
        return None if a is None or b is None else b - a


@dataclass
class FindingChange:
    status: str  # "new" | "fixed"
    code: str
    severity: str
    layer: str | None
    message: str
    line: int | None = None
    column: int | None = None


@dataclass
class ModelDiff:
    """The diff of one model file: ``status`` is modified, added or deleted."""

    path: str
    status: str
    old_path: str | None
    new_path: str | None
    before: dict[str, int | None]
    after: dict[str, int | None]
    layers: list[LayerChange] = field(default_factory=list)
    unchanged: int = 0
    unchanged_params: int = 0
    modules: list[ModuleChange] = field(default_factory=list)
    findings: list[FindingChange] = field(default_factory=list)
    #: Differences that come from the exporter, not the model, named.
    notes: list[str] = field(default_factory=list)
    #: A side that failed to load: its error message.
    errors: dict[str, str] = field(default_factory=dict)
    #: Growth budgets this change exceeds, one line each (over_budget).
    over: list[str] = field(default_factory=list)

    def delta(self, key: str) -> int | None:
        a, b = self.before.get(key), self.after.get(key)
        return None if a is None or b is None else b - a

    @property
    def grouped(self) -> bool:
        """Does the module table say more than the layer table (some module
        holds several layers)? A flat YAML file's modules are its layers."""
        names = {c.name for c in self.layers} | {c.old["name"] for c in self.layers if c.old}
        return any(m.module not in names for m in self.modules)

    def shows(self, key: str) -> bool:
        """Is the total worth a line? ``active_params`` only where a
        mixture of experts makes it differ from ``params``."""
        if key not in self.before and key not in self.after:
            return False
        if key == "active_params":
            return (self.before.get(key) != self.before.get("params")
                    or self.after.get(key) != self.after.get("params"))
        return True

    def percent(self, key: str) -> float | None:
        a, d = self.before.get(key), self.delta(key)
        if d is None or not a:
            return None
        return 100.0 * d / a


def _counted(row: dict[str, Any]) -> bool:
    """Rows a diff is about: layers that hold parameters or do MACs."""
    return bool(row.get("params")) or bool(row.get("macs"))


def _totals(report: FileReport | None, other: FileReport | None) -> dict[str, int | None]:
    """The compared totals this paramlint computes; an absent side (an
    added or deleted file) is all zeros."""
    present = [_with_memory(r.document) for r in (report, other) if r is not None]
    keys = [k for k in TOTALS if any(k in t for t in present)]
    if report is None:
        return {k: 0 for k in keys}
    totals = _with_memory(report.document)
    return {k: totals.get(k, 0 if k in MEMORY else None) for k in keys}


def _rows(report: FileReport | None) -> list[dict[str, Any]]:
    if report is None or report.failed:
        return []
    return [r for r in report.document.get("layers", []) if _counted(r)]


def same_shape(a, b) -> bool:
    """Equal where both are known: an unknown (None) or symbolic ("batch")
    dimension on one side is not a change of the model."""
    if a is None or b is None:
        return True
    if len(a) != len(b):
        return False
    return all(x == y or not isinstance(x, int) or not isinstance(y, int) for x, y in zip(a, b))


def _changed(pair: Pair) -> bool:
    """A figure or shape that differs where both sides know it: one
    exporter's unknown is not the model's change."""
    old, new = pair.old, pair.new
    return (any(old.get(k) != new.get(k) for k in FIGURES
                if old.get(k) is not None and new.get(k) is not None)
            or not all(same_shape(old.get(k), new.get(k)) for k in ("output_shape", "input_shape")))


def label(change: "LayerChange") -> str:
    """How a changed layer is shown: its module path when it has one (an
    exporter's node names say little), else its name; a renamed layer as
    ``old => new``."""
    old, new = change.old, change.new
    if old is not None and new is not None:
        a, b = old.get("module") or old["name"], new.get("module") or new["name"]
        return b if a == b else f"{a} => {b}"
    row = new or old
    return row.get("module") or row["name"]


def diff_reports(old: FileReport | None, new: FileReport | None, *, path: str | None = None,
                 depth: int = 1) -> ModelDiff:
    """The diff of two analysed files; either may be None (added, deleted)."""
    status = "added" if old is None else "deleted" if new is None else "modified"
    result = ModelDiff(path=path or (new or old).path, status=status,
                       old_path=old.path if old else None, new_path=new.path if new else None,
                       before=_totals(old, new), after=_totals(new, old))
    for side, report in (("old", old), ("new", new)):
        if report is not None and report.failed:
            result.errors[side] = str(report.document.get("error"))
    pairs = match_layers(_rows(old), _rows(new))
    exporter = _exporter_differences(pairs, old, new, result.notes)
    for pair in pairs:
        if id(pair) in exporter:
            continue
        if pair.old is None:
            result.layers.append(LayerChange("added", pair.new["name"], None, pair.new))
        elif pair.new is None:
            result.layers.append(LayerChange("removed", pair.old["name"], pair.old, None))
        elif _changed(pair):
            result.layers.append(LayerChange("changed", pair.new["name"], pair.old, pair.new,
                                             pair.how))
        else:
            result.unchanged += 1
            result.unchanged_params += pair.new.get("params") or 0
    result.modules = _module_changes(old, new, depth)
    if exporter and not result.layers:
        result.modules = []  # every change is the exporter's, named in the notes
    result.findings = _finding_changes(old, new, pairs)
    return result


# -- modules ---------------------------------------------------------------

def module_of(row: dict[str, Any], depth: int) -> str:
    """The row's module path cut to ``depth`` parts (its name if it has none)."""
    module = row.get("module") or row.get("name") or "?"
    parts = module.split(".")
    return ".".join(parts[:depth]) if depth > 0 else module


def module_figures(report: FileReport | None, depth: int) -> dict[str, dict[str, int | None]]:
    """Per-module params, MACs and weight bytes; a tie inside one module is
    counted once there, as in the model's unique ``params``."""
    out: dict[str, dict[str, int | None]] = {}
    if report is None or report.failed:
        return out
    doc = report.document
    where: dict[str, str] = {}
    for row in doc.get("layers", []):
        if not _counted(row):
            continue
        module = module_of(row, depth)
        where[row["name"]] = module
        figures = out.setdefault(module, {k: 0 for k in FIGURES})
        for key in FIGURES:
            value = row.get(key)
            if figures[key] is not None:
                figures[key] = None if (value is None and key == "params") else figures[key] + (value or 0)
    for tie in doc.get("ties", []):
        seen = Counter(where.get(name) for name in tie.get("layers", []))
        for module, readers in seen.items():
            if module in out and readers > 1 and out[module]["params"] is not None:
                out[module]["params"] -= (readers - 1) * tie.get("elements", 0)
    return out


def _module_changes(old, new, depth) -> list[ModuleChange]:
    before, after = module_figures(old, depth), module_figures(new, depth)
    names = list(dict.fromkeys([*after, *before]))
    zero = {k: 0 for k in FIGURES}
    changes = [ModuleChange(n, before.get(n, zero), after.get(n, zero)) for n in names]
    return [c for c in changes if any(c.before.get(k) != c.after.get(k) for k in FIGURES)]


# -- findings --------------------------------------------------------------

def _finding_changes(old, new, pairs: list[Pair]) -> list[FindingChange]:
    """Findings of the new file its old version lacked, and the reverse.

    A finding is identified by its code, its layer (through the matching,
    so a renamed layer keeps its findings) and its message with numbers
    masked (baseline.message_fingerprint)."""
    rename = {p.old["name"]: p.new["name"] for p in pairs if p.old and p.new}

    def keys(report, mapping):
        out: Counter = Counter()
        for f in (report.findings if report else []):
            layer = mapping.get(f.layer, f.layer) if f.layer else ""
            out[(f.code, layer, message_fingerprint(f.message))] += 1
        return out

    before, after = keys(old, rename), keys(new, {})
    changes = []
    for status, report, mapping, extra in (("new", new, {}, after - before),
                                           ("fixed", old, rename, before - after)):
        for f in (report.findings if report else []):
            key = (f.code, mapping.get(f.layer, f.layer) if f.layer else "", message_fingerprint(f.message))
            if extra[key] > 0:
                extra[key] -= 1
                changes.append(FindingChange(status, f.code, f.severity, f.layer, f.message,
                                             f.line, f.column))
    return changes


# -- exporter differences --------------------------------------------------

def _channels(row: dict[str, Any], fmt: str) -> int | None:
    shape = row.get("output_shape") or []
    axis = 1 if fmt == "onnx" else 0
    return shape[axis] if len(shape) > axis and isinstance(shape[axis], int) else None


def _exporter_differences(pairs: list[Pair], old, new, notes: list[str]) -> set[int]:
    """Pairs explained by how the file was exported, not by the model.

    The TorchScript exporter folds each BatchNormalization into the
    convolution before it (eval mode), the dynamo exporter keeps it: one
    side has batch norms the other lacks entirely, and each matched
    convolution differs by exactly a bias of its output channels. Those
    rows are named once as an exporter difference instead of listed as
    dozens of changes."""
    if old is None or new is None:
        return set()
    explained: set[int] = set()
    for side, other in (("old", "new"), ("new", "old")):
        lonely = [p for p in pairs if getattr(p, side) is not None and getattr(p, other) is None]
        norms = [p for p in lonely if getattr(p, side).get("op") == "batchnorm"]
        if not norms or len(norms) != len(lonely):
            continue
        if any(getattr(p, other) is not None and getattr(p, other).get("op") == "batchnorm" for p in pairs):
            continue
        folded_side = new if other == "new" else old
        fmt = folded_side.document.get("format", "onnx")
        convs = []
        for p in pairs:
            if p.old is None or p.new is None or p.new.get("op") != p.old.get("op"):
                continue
            if not str(p.new.get("op", "")).startswith(("conv", "depthwise")):
                continue
            a, b = getattr(p, side).get("params"), getattr(p, other).get("params")
            if a == b:
                continue
            bias = _channels(getattr(p, other), fmt)
            if a is None or b is None or bias is None or b - a != bias:
                convs = None
                break
            convs.append(p)
        if not convs:
            continue
        explained.update(id(p) for p in (*norms, *convs))
        removed = sum(getattr(p, side).get("params") or 0 for p in norms)
        added = sum(getattr(p, other)["params"] - getattr(p, side)["params"] for p in convs)
        notes.append(
            f"exporter difference: the {other} file folds {len(norms)} batch normalizations into "
            f"the convolutions before them ({removed:,} norm params gone, {added:,} conv bias params "
            f"added: both torch exporters fold them when exporting in eval mode, "
            f"training=TrainingMode.PRESERVE keeps them)")
    renamed = sum(1 for p in pairs if p.how in ("module", "structure"))
    if renamed:
        how = Counter(p.how for p in pairs if p.how in ("module", "structure"))
        notes.append("layers renamed between the files, matched by "
                     + " and by ".join(f"{k} ({n})" for k, n in sorted(how.items())))
    return explained


# -- budgets ---------------------------------------------------------------

def over_budget(diff: ModelDiff, budgets: dict[str, Budget]) -> list[str]:
    """One line per exceeded budget, naming the layers that grew most first."""
    lines = []
    labels = {"params": "params", "macs": "MACs"}
    for key, budget in budgets.items():
        before, delta = diff.before.get(key), diff.delta(key)
        if not budget.exceeded(before, delta):
            continue
        grew = sorted((c for c in diff.layers if (c.delta(key) or 0) > 0),
                      key=lambda c: -(c.delta(key) or 0))
        culprits = ", ".join(f"{label(c)} {c.delta(key):+,}" for c in grew[:3])
        pct = diff.percent(key)
        lines.append(f"{labels.get(key, key)} grew by {delta:+,}"
                     + (f" ({pct:+.1f}%)" if pct is not None else "")
                     + f", over the budget of {budget}"
                     + (f": {culprits}" + (f" and {len(grew) - 3} more" if len(grew) > 3 else "")
                        if culprits else ""))
    return lines
