"""Layers by op: which layers of a model have a given op, in model order.

Why in the core: most rules are about a few ops (dense layers, convolutions,
activations, dropout), and each of them walking all 50,000 layers of a large
export to find its few cost more than the checks themselves. One pass per
model, shared by every rule (cached on the model like ``Model.producers``).
"""

from __future__ import annotations

from itertools import chain
from typing import Iterable

from paramlint.ir.model import Layer, Model


def by_op(model: Model) -> dict[str, list[int]]:
    """Op -> the indices in ``model.layers`` of its layers, ascending."""
    cached = model.__dict__.get("_by_op")
    if cached is None:
        cached = {}
        for i, layer in enumerate(model.layers):
            found = cached.get(layer.op)
            if found is None:
                cached[layer.op] = [i]
            else:
                found.append(i)
        model.__dict__["_by_op"] = cached
    return cached


def layers_of(model: Model, ops: Iterable[str]) -> list[Layer]:
    """The layers whose op is one of ``ops``, in model order."""
    index = by_op(model)
    found = [index[op] for op in set(ops) if op in index]
    layers = model.layers
    if not found:
        return []
    if len(found) == 1:
        return [layers[i] for i in found[0]]
    return [layers[i] for i in sorted(chain.from_iterable(found))]
