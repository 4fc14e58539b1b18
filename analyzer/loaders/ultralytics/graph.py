"""A small builder of IR layers for the Ultralytics modules.

Ultralytics modules are PyTorch modules; this emits, for each leaf module
and each functional step of their ``forward`` (chunk, cat, add, matmul),
one IR layer named as PyTorch names the module (``model.2.cv1.conv``), its
weights named as in the module's ``state_dict`` (``model.2.cv1.conv.weight``).
Shapes are channels first without the batch dimension, as paramlint's own
YAML format has them. A dimension is ``None`` when it is unknown (after a
module paramlint does not model: docs/ultralytics.md, "Modules paramlint
does not model"); every size computed from one is ``None`` too, never a guess.
"""

from __future__ import annotations

from math import prod

from paramlint.ir.model import Layer, Location, Weight

Shape = tuple


def mul(*dims):
    """The product of sizes, or None when one of them is unknown."""
    n = 1
    for d in dims:
        if d is None:
            return None
        n *= d
    return n


def _out(size, pad: int, span: int, stride: int):
    """An output size of a window ``span`` at ``stride`` over ``size`` padded by ``pad``."""
    return None if size is None else (size + 2 * pad - span) // stride + 1


class Graph:
    """Layers, weights and tensor shapes, built in execution order."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.layers: list[Layer] = []
        self.weights: dict[str, Weight] = {}
        self.shapes: dict[str, Shape] = {}
        self.location: Location | None = None  # the YAML row being expanded
        self._names: dict[str, int] = {}

    # ---------------------------------------------------------------- core

    def _unique(self, name: str) -> str:
        """A module called again (SPPF's pool) gets ``name#2``, ``name#3``."""
        seen = self._names.get(name, 0) + 1
        self._names[name] = seen
        return name if seen == 1 else f"{name}#{seen}"

    def add(self, name: str, op: str, source_op: str, inputs: list[str], out_shape: Shape,
            module: str, weights: list[tuple[str, Shape, bool]] = (), attrs: dict | None = None,
            outputs: int = 1, out_shapes: list[Shape] | None = None) -> list[str]:
        """Append one layer; returns its output tensor names."""
        name = self._unique(name)
        outs = [name] if outputs == 1 else [f"{name}:{i}" for i in range(outputs)]
        shapes = out_shapes or [out_shape]
        for out, shape in zip(outs, shapes):
            self.shapes[out] = shape
        names = []
        for role, shape, trainable in weights:
            wname = f"{module}.{role}"
            self.weights[wname] = Weight(wname, tuple(shape), trainable=trainable, uniform=False,
                                         dtype="float32")
            names.append(wname)
        self.layers.append(Layer(
            name=name, op=op, source_op=source_op, inputs=list(inputs), outputs=outs,
            input_shape=self.shapes.get(inputs[0]) if inputs else None, output_shape=shapes[0],
            weights=names, attrs=dict(attrs or {}), location=self.location, module=module))
        return outs

    # ---------------------------------------------------------- leaf layers

    def conv2d(self, name: str, x: str, c2: int, k: int = 1, s: int = 1, p: int | None = None,
               g: int = 1, d: int = 1, bias: bool = False, trainable: bool = True) -> str:
        """``nn.Conv2d``; ``p=None`` is Ultralytics' autopad ('same' at stride 1)."""
        c1, h, w = self.shapes[x]
        if p is None:
            p = (d * (k - 1) + 1) // 2
        span = d * (k - 1) + 1
        oh, ow = _out(h, p, span, s), _out(w, p, span, s)
        weights = [("weight", (c2, c1 // g, k, k), trainable)]
        if bias:
            weights.append(("bias", (c2,), trainable))
        attrs = {"filters": c2, "kernel": (k, k), "stride": (s, s), "padding": (p, p),
                 "dilation": (d, d), "groups": g, "bias": bias}
        return self.add(name, "conv2d", "Conv2d", [x], (c2, oh, ow), name, weights, attrs)[0]

    def batchnorm(self, name: str, x: str) -> str:
        c = self.shapes[x][0]
        weights = [("weight", (c,), True), ("bias", (c,), True),
                   ("running_mean", (c,), False), ("running_var", (c,), False)]
        return self.add(name, "batchnorm", "BatchNorm2d", [x], self.shapes[x], name, weights,
                        {"channels": c, "bias": True})[0]

    def unary(self, name: str, op: str, source_op: str, x: str, module: str | None = None,
              attrs: dict | None = None) -> str:
        """A shape-preserving step: activation, softmax, sigmoid."""
        return self.add(name, op, source_op, [x], self.shapes[x], module or name, attrs=attrs)[0]

    def maxpool(self, name: str, x: str, k: int, s: int, p: int) -> str:
        c, h, w = self.shapes[x]
        oh, ow = _out(h, p, k, s), _out(w, p, k, s)
        return self.add(name, "maxpool2d", "MaxPool2d", [x], (c, oh, ow), name,
                        attrs={"kernel": (k, k), "stride": (s, s), "padding": (p, p)})[0]

    def upsample(self, name: str, x: str, scale: int) -> str:
        c, h, w = self.shapes[x] or (None, None, None)
        return self.add(name, "upsample", "Upsample", [x], (c, mul(h, scale), mul(w, scale)), name,
                        attrs={"scale": (scale, scale), "mode": "nearest"})[0]

    # ---------------------------------------------------- functional steps

    def concat(self, name: str, xs: list[str], module: str, axis: int = 0) -> str:
        shapes = [self.shapes[x] for x in xs]
        if None in shapes:  # an input of unknown shape: the output's is unknown
            return self.add(name, "concat", "cat", xs, None, module, attrs={"axis": axis})[0]
        first = list(shapes[0])
        for i in range(len(first)):  # an unknown size in any input is unknown in the output
            if any(s[i] is None for s in shapes):
                first[i] = None
        parts = [s[axis] for s in shapes]
        first[axis] = None if None in parts else sum(parts)
        return self.add(name, "concat", "cat", xs, tuple(first), module, attrs={"axis": axis})[0]

    def split(self, name: str, x: str, sizes: list[int], module: str, axis: int = 0) -> list[str]:
        shape = self.shapes[x]
        outs = []
        for size in sizes:
            part = list(shape)
            part[axis] = size
            outs.append(tuple(part))
        return self.add(name, "split", "split", [x], outs[0], module, attrs={"axis": axis, "split": tuple(sizes)},
                        outputs=len(sizes), out_shapes=outs)

    def binary(self, name: str, op: str, a: str, b: str, module: str) -> str:
        return self.add(name, op, op, [a, b], self.shapes[a], module)[0]

    def reshape(self, name: str, x: str, shape: Shape, module: str) -> str:
        if None not in shape and None not in self.shapes[x]:
            assert prod(shape) == prod(self.shapes[x]), (name, shape, self.shapes[x])
        return self.add(name, "reshape", "view", [x], tuple(shape), module, attrs={"shape": tuple(shape)})[0]

    def transpose(self, name: str, x: str, perm: tuple[int, ...], module: str) -> str:
        shape = self.shapes[x]
        return self.add(name, "transpose", "transpose", [x], tuple(shape[i] for i in perm), module,
                        attrs={"perm": tuple(perm)})[0]

    def matmul(self, name: str, a: str, b: str, module: str) -> str:
        """A product of two activations ``[..., m, k] @ [..., k, n]`` (attention)."""
        sa, sb = self.shapes[a], self.shapes[b]
        assert sa[-1] == sb[-2] or None in (sa[-1], sb[-2]), (name, sa, sb)
        return self.add(name, "matmul", "matmul", [a, b], (*sa[:-1], sb[-1]), module)[0]
