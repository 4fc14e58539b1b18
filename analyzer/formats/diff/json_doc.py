"""``paramlint diff -f json``: the diff document (docs/diff-json.md)."""

from __future__ import annotations

import json
from typing import Any

from paramlint import __version__
from paramlint.diff.compare import FIGURES, TOTALS, ModelDiff
from paramlint.ir.escape import json_log

SHAPES = ("input_shape", "output_shape")


def _side(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: row.get(k) for k in (*FIGURES, *SHAPES)}


def model_dict(diff: ModelDiff) -> dict[str, Any]:
    totals = {}
    for key in TOTALS:
        pct = diff.percent(key)
        totals[key] = {"before": diff.before.get(key), "after": diff.after.get(key),
                       "delta": diff.delta(key), "percent": None if pct is None else round(pct, 4)}
    layers = []
    for c in diff.layers:
        layers.append({
            "name": c.name, "status": c.status, "matched_by": c.matched_by,
            "old_name": c.old["name"] if c.old else None,
            "op": (c.new or c.old).get("op"),
            "module": (c.new or c.old).get("module"),
            "before": _side(c.old), "after": _side(c.new),
            "delta": {k: c.delta(k) for k in FIGURES},
        })
    return {
        "path": diff.path, "status": diff.status,
        "old_path": diff.old_path, "new_path": diff.new_path,
        "totals": totals,
        "layers": layers,
        "unchanged_layers": diff.unchanged,
        "unchanged_params": diff.unchanged_params,
        "modules": [{"module": m.module, "before": m.before, "after": m.after,
                     "delta": {k: m.delta(k) for k in FIGURES}} for m in diff.modules],
        "findings": [{"status": f.status, "code": f.code, "severity": f.severity,
                      "layer": f.layer, "message": f.message,
                      "location": {"line": f.line, "column": f.column} if f.line else None}
                     for f in diff.findings],
        "notes": list(diff.notes),
        "errors": dict(diff.errors),
        "over_budget": list(diff.over),
    }


def render(diffs: list[ModelDiff], **_options) -> str:
    doc = {"schema": 1, "kind": "diff", "tool": {"name": "paramlint", "version": __version__},
           "passed": not any(d.over for d in diffs),
           "models": [model_dict(d) for d in diffs]}
    return json_log(json.dumps(doc, indent=2)) + "\n"
