"""The model document of report-json.md, built from the IR and the counts.

Built once per file, right after analysis, so that formats and the cache
deal in plain JSON-ready data.
"""

from __future__ import annotations

import os
from dataclasses import asdict, fields
from typing import Any

from .counting import Counts, Totals
from .ir import Location, Model


def _shape(shape) -> list | None:
    return None if shape is None else list(shape)


def _location(loc: Location | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    if loc.line is not None:
        return {"line": loc.line, "column": loc.column}
    if loc.node_index is not None:
        return {"node_index": loc.node_index, "node_name": loc.node_name}
    return None


NULL_TOTALS = {f.name: None for f in fields(Totals)}


def build_document(model: Model, counts: Counts | None) -> dict[str, Any]:
    """The JSON document of one model, without its findings."""
    doc: dict[str, Any] = {
        "path": model.path,
        "format": model.format,
        "name": model.name,
        "inputs": [{"name": t.name, "shape": _shape(t.shape)} for t in model.inputs],
        "totals": asdict(counts.totals) if counts else dict(NULL_TOTALS),
        "layers": [],
        "ties": [],
        "merged_constants": [],
        "unused_weights": [],
    }
    if model.failed:
        doc["error"] = model.error.message if model.error else "failed"
        return doc
    for layer in model.layers:
        c = counts.layers.get(layer.name) if counts else None
        doc["layers"].append({
            "name": layer.name,
            "op": layer.op,
            "source_op": layer.source_op,
            "inputs": list(layer.inputs),
            "input_shape": _shape(layer.input_shape),
            "output_shape": _shape(layer.output_shape),
            "params": c.params if c else None,
            "trainable": c.trainable if c else None,
            "non_trainable": c.non_trainable if c else None,
            "shared_with": list(c.shared_with) if c else [],
            "sharing": asdict(c.sharing) if c and c.sharing else None,
            "location": _location(layer.location),
        })
    if counts:
        doc["ties"] = [_tensor(t) for t in counts.ties]
        doc["merged_constants"] = [_tensor(t) for t in counts.merged_constants]
        doc["unused_weights"] = [_tensor(t) for t in counts.unused]
    return doc


def _tensor(t) -> dict[str, Any]:
    return {"name": t.name, "shape": list(t.shape), "elements": t.elements, "layers": list(t.layers)}


def failed_document(path: str, message: str) -> dict[str, Any]:
    """The document of a file that could not be loaded at all."""
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    return {"path": path, "format": "yaml" if fmt == "yml" else fmt,
            "name": os.path.splitext(os.path.basename(path))[0],
            "inputs": [], "totals": dict(NULL_TOTALS), "layers": [], "ties": [],
            "merged_constants": [], "unused_weights": [], "error": message}
