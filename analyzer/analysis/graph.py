"""A model's layers as a graph: who makes a tensor, who reads it, and how to
walk from a layer to the next one that computes something.

Why in the core: rules about patterns (a bias straight into a norm, two
weight layers with nothing non-linear between, an activation on an
activation) all need the same successor/predecessor view and the same
notion of "straight into" (through plumbing only: reshapes, transposes,
identity, dropout; see ``ops.PLUMBING``). Built once per model and cached
on it, like ``Model.producers``.

Tensor names are the loaders' data tensors: ONNX constant inputs (weights,
shapes, axes) are not layer inputs, so they never appear as edges.
"""

from __future__ import annotations

from typing import Callable, Iterator

from .ops import PLUMBING, SHAPE_READERS
from paramlint.ir.model import Layer, Model


class Graph:
    """Producers and consumers of every tensor of one model."""

    def __init__(self, model: Model) -> None:
        self.producers = model.producers()
        consumers: dict[str, list[Layer]] = {}
        for layer in model.layers:
            inputs = layer.inputs
            for tensor in inputs if len(inputs) == 1 else dict.fromkeys(inputs):
                if tensor:
                    users = consumers.get(tensor)
                    if users is None:
                        consumers[tensor] = [layer]
                    else:
                        users.append(layer)
        self._consumers = consumers

    def consumers(self, tensor: str) -> list[Layer]:
        return self._consumers.get(tensor, [])

    def successors(self, layer: Layer) -> list[Layer]:
        """Layers reading any output of ``layer``, each once, in model order."""
        seen: dict[int, Layer] = {}
        for tensor in layer.outputs:
            for user in self.consumers(tensor):
                seen.setdefault(id(user), user)
        return list(seen.values())

    def predecessors(self, layer: Layer) -> list[Layer]:
        """Layers making any input of ``layer``, each once."""
        seen: dict[int, Layer] = {}
        for tensor in layer.inputs:
            producer = self.producers.get(tensor)
            if producer is not None:
                seen.setdefault(id(producer), producer)
        return list(seen.values())

    def fan_out(self, layer: Layer) -> int:
        """How many layers read the values of ``layer``'s outputs (0 for a
        model output); layers reading only a shape (``ops.SHAPE_READERS``)
        do not count."""
        # Counted when asked (rules ask of few layers), not for every tensor.
        n = 0
        for tensor in layer.outputs:
            for user in self._consumers.get(tensor, ()):
                if user.op not in SHAPE_READERS:
                    n += 1
        return n

    def value_successors(self, layer: Layer) -> list[Layer]:
        """``successors`` without the layers that read only a shape."""
        return [x for x in self.successors(layer) if x.op not in SHAPE_READERS]

    def downstream(self, layer: Layer, through: Callable[[Layer], bool] | None = None,
                   limit: int = 64) -> Iterator[tuple[Layer, list[Layer]]]:
        """The first non-plumbing layers reached from ``layer``'s outputs,
        each with the plumbing walked through to reach it.

        ``through`` decides which layers are walked through (default: the
        ``ops.PLUMBING`` ops); the walk stops after ``limit`` steps on any
        one path, so a hostile graph cannot make it run long."""
        passes = through or (lambda x: x.op in PLUMBING)
        stack: list[tuple[Layer, list[Layer]]] = [(user, []) for user in self.successors(layer)]
        seen: set[int] = set()
        while stack:
            current, path = stack.pop(0)
            if id(current) in seen:
                continue
            seen.add(id(current))
            if passes(current) and len(path) < limit:
                stack.extend((user, path + [current]) for user in self.successors(current))
            else:
                yield current, path


    def chain(self, layer: Layer, through: Callable[[Layer], bool],
              limit: int = 64) -> tuple[Layer | None, list[Layer]]:
        """Follow ``layer``'s output while it has exactly one reader, through
        layers ``through`` accepts (each of which must also have exactly one
        reader): the first other layer reached, and the layers passed.
        ``(None, path)`` when the output forks, ends the model, or the walk
        exceeds ``limit`` steps. "Straight into", for rules whose finding
        would be wrong if the value were also used elsewhere."""
        path: list[Layer] = []
        current = layer
        while len(path) <= limit:
            users = self.value_successors(current)
            if len(users) != 1 or self.fan_out(current) != 1:
                return None, path
            nxt = users[0]
            if not through(nxt):
                return nxt, path
            path.append(nxt)
            current = nxt
        return None, path


def graph(model: Model) -> Graph:
    """The model's Graph, built once and cached on the model."""
    cached = model.__dict__.get("_graph")
    if cached is None:
        cached = Graph(model)
        model.__dict__["_graph"] = cached
    return cached
