"""The model document of report-json.md, built from the IR and the counts.

Built once per file, right after analysis, so that formats and the cache
deal in plain JSON-ready data.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from .counting import Counts, Sharing, Totals
from .coverage import coverage
from .macs import compute as compute_macs
from .memory import WHAT_IF, weight_bytes
from .memory_doc import MemorySettings, build_memory
from paramlint.ir.model import Model


def _shape(shape) -> list | None:
    return None if shape is None else list(shape)


NULL_TOTALS = {f.name: None for f in fields(Totals)}
NULL_TOTALS.update(macs=None, flops=None, macs_lower_bound=None, weight_bytes=None,
                   weight_bytes_at=None)
#: The completeness flags (docs/unknowns.md): false when the figure beside
#: it is the known part only, a lower bound.
COMPLETE = ("params_complete", "trainable_complete", "non_trainable_complete", "macs_complete",
            "weight_bytes_complete")
NULL_TOTALS.update(dict.fromkeys(COMPLETE))
#: asdict(Sharing) without its recursive copy (every field is an int or None).
SHARING_FIELDS = tuple(f.name for f in fields(Sharing))


def build_document(model: Model, counts: Counts | None,
                   memory: MemorySettings | None = None) -> dict[str, Any]:
    """The JSON document of one model, without its findings; ``memory``:
    the settings its memory figures are computed at (docs/memory.md)."""
    doc: dict[str, Any] = {
        "path": model.path,
        "format": model.format,
        "name": model.name,
        "inputs": [{"name": t.name, "shape": _shape(t.shape)} for t in model.inputs],
        "totals": _totals(model, counts),
        "layers": [],
        "ties": [],
        "merged_constants": [],
        "unused_weights": [],
        "memory": None,
        "partial": None,
    }
    if model.facts:  # what the file states about the whole model (GGUF's metadata)
        doc["facts"] = model.facts
    if model.failed:
        doc["error"] = model.error.message if model.error else "failed"
        return doc
    rows = doc["layers"]
    append = rows.append
    by_name = counts.layers if counts else {}
    macs = compute_macs(model).layers
    unknown_params = counts.params_unknown if counts else {}
    # One dict per layer, built inline: this loop runs once per node of a
    # 50,000-node model, where a helper call or dataclasses.asdict per field
    # cost more than the dict itself.
    for layer in model.layers:
        c = by_name.get(layer.name)
        in_shape = layer.input_shape
        out_shape = layer.output_shape
        loc = layer.location
        if loc is None:
            where = None
        elif loc.line is not None:
            where = {"line": loc.line, "column": loc.column}
        elif loc.node_index is not None:
            where = {"node_index": loc.node_index, "node_name": loc.node_name}
        else:
            where = None
        s = c.sharing if c else None
        if unknown_params and layer.name in unknown_params:
            c = None  # its parameters are unknown: null, never the part that was counted
        append({
            "name": layer.name,
            "op": layer.op,
            "source_op": layer.source_op,
            "inputs": list(layer.inputs),
            "input_shape": None if in_shape is None else list(in_shape),
            "output_shape": None if out_shape is None else list(out_shape),
            "module": layer.module,
            "params": c.params if c else None,
            "macs": macs.get(layer.name),
            "trainable": c.trainable if c else None,
            "non_trainable": c.non_trainable if c else None,
            "shared_with": list(c.shared_with) if c else [],
            "sharing": {k: getattr(s, k) for k in SHARING_FIELDS} if s else None,
            "location": where,
        })
    if unknown_params:
        for row in rows:
            if row["name"] in unknown_params:
                row["params_at_least"] = by_name[row["name"]].params
    doc["partial"] = _partial(model, counts)
    if counts:
        doc["memory"] = build_memory(model, counts, weight_bytes(model, counts), memory)
        doc["ties"] = [_tensor(t) for t in counts.ties]
        doc["merged_constants"] = [_tensor(t) for t in counts.merged_constants]
        doc["unused_weights"] = [_tensor(t) for t in counts.unused]
    return doc


def _totals(model: Model, counts: Counts | None) -> dict[str, Any]:
    """counting.md's totals, then MACs, FLOPs and weight bytes."""
    if model.failed or counts is None:
        return dict(NULL_TOTALS)
    totals = asdict(counts.totals)
    macs = compute_macs(model)
    memory = weight_bytes(model, counts)
    params_complete = counts.params_complete
    totals.update(
        macs=macs.total, flops=macs.flops, macs_lower_bound=macs.lower_bound,
        weight_bytes=memory["weight_bytes"],
        weight_bytes_at={label: memory[label] for label, _ in WHAT_IF},
        params_complete=params_complete, trainable_complete=params_complete,
        non_trainable_complete=params_complete, macs_complete=not macs.lower_bound,
        weight_bytes_complete=params_complete,
    )
    return totals


def _partial(model: Model, counts: Counts | None) -> dict[str, Any] | None:
    """The layers that make a total partial, by figure; None when every total is exact."""
    if counts is None:
        return None
    macs = compute_macs(model)
    if counts.params_complete and not macs.lower_bound:
        return None
    return {
        "params": list(counts.params_unknown),
        "macs": list(macs.unknown),
        "unmodelled": list(coverage(model).unmodelled),
    }


def _tensor(t) -> dict[str, Any]:
    return {"name": t.name, "shape": list(t.shape), "elements": t.elements, "layers": list(t.layers)}
