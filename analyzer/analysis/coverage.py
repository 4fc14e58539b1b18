"""What paramlint does not model in a model, and which figures that leaves partial.

Two causes keep a figure from being known, and a user acts on them
differently (docs/unknowns.md): the file does not determine it (a symbolic
dimension left unbound: PRM002, the model's to fix), or paramlint does not
model an op or module yet (PRM003, paramlint's gap). A loader records the
second as a ``Diagnostic`` of kind ``"unmodelled"`` naming the layer. Every
layer fed, directly or through others, by such a layer has figures that
depend on it; those are not reported once more as the file's fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paramlint.ir.model import UNMODELLED, Model

__all__ = ["UNMODELLED", "Coverage", "coverage"]


@dataclass
class Coverage:
    #: layer name -> what is not modelled ("Ultralytics module GhostConv")
    unmodelled: dict[str, str] = field(default_factory=dict)
    #: layers that read, directly or not, the output of an unmodelled layer
    downstream: set[str] = field(default_factory=set)
    #: Loop/Scan owner -> its body layers whose MACs are unknown because
    #: paramlint does not model how often a body runs
    repeated: dict[str, list[str]] = field(default_factory=dict)


def coverage(model: Model) -> Coverage:
    """The unmodelled layers of ``model`` and the layers after them. Cached on the model."""
    cached = model.__dict__.get("_coverage")
    if cached is not None:
        return cached
    unmodelled = {d.layer: d.message for d in model.diagnostics if d.kind == UNMODELLED and d.layer}
    downstream: set[str] = set()
    if unmodelled:
        tainted: set[str] = set()
        # Layers are in execution order (every loader builds them so), so one
        # pass carries the taint forward.
        for layer in model.layers:
            if layer.name in unmodelled or any(x in tainted for x in layer.inputs):
                if layer.name not in unmodelled:
                    downstream.add(layer.name)
                tainted.update(layer.outputs)
    repeated: dict[str, list[str]] = {}
    unknown_macs = None
    for layer in model.layers:
        runs = layer.attrs.get("runs") if layer.attrs else None
        if runs and runs[0] == "loop":
            if unknown_macs is None:
                from .macs import compute
                unknown_macs = compute(model).unknown
            if layer.name in unknown_macs:
                repeated.setdefault(runs[1], []).append(layer.name)
                downstream.add(layer.name)
    result = Coverage(unmodelled, downstream, repeated)
    model.__dict__["_coverage"] = result
    return result
