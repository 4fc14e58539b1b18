"""Build small IR models by hand, so counting and rules are tested apart from loaders."""

from __future__ import annotations

from paramlint.ir.model import Layer, Location, Model, Weight


class ModelBuilder:
    def __init__(self, name: str = "m", batch_dim: bool = False, fmt: str = "yaml") -> None:
        self.model = Model(path=f"{name}.{fmt}", format=fmt, name=name, batch_dim=batch_dim)

    def weight(self, name: str, shape, trainable: bool = True, uniform=False) -> str:
        self.model.weights[name] = Weight(name, tuple(shape), trainable, uniform)
        return name

    def layer(self, name: str, op: str, inputs=(), in_shape=None, out_shape=None,
              weights=(), **attrs) -> Layer:
        layer = Layer(name=name, op=op, source_op=op, inputs=list(inputs), outputs=[name],
                      input_shape=None if in_shape is None else tuple(in_shape),
                      output_shape=None if out_shape is None else tuple(out_shape),
                      weights=list(weights), attrs=dict(attrs),
                      location=Location(self.model.path, line=len(self.model.layers) + 1, column=5))
        self.model.layers.append(layer)
        return layer

    def conv(self, name: str, cin: int, cout: int, k, in_shape, out_shape, inputs=("input",),
             bias: bool = True, groups: int = 1, op: str = "conv2d") -> Layer:
        k = tuple(k)
        ws = [self.weight(f"{name}.kernel", (cout, cin // groups, *k))]
        if bias:
            ws.append(self.weight(f"{name}.bias", (cout,)))
        return self.layer(name, op, inputs, in_shape, out_shape, ws, bias=bias, groups=groups, kernel=k)

    def dense(self, name: str, features: int, units: int, inputs, in_shape, out_shape,
              bias: bool = True) -> Layer:
        ws = [self.weight(f"{name}.kernel", (units, features))]
        if bias:
            ws.append(self.weight(f"{name}.bias", (units,)))
        return self.layer(name, "dense", inputs, in_shape, out_shape, ws, units=units, bias=bias)
