"""Small helpers the built-in rules share: number formatting, map tracing."""

from __future__ import annotations

from math import prod

from paramlint.counting import count
from paramlint.ir import Layer, Model

#: Ops that move values without learning anything: a dense layer's input
#: is traced back through these to the spatial map it was flattened from.
PASS_THROUGH = frozenset({
    "flatten", "reshape", "transpose", "dropout", "identity", "cast", "squeeze", "unsqueeze",
    "relu", "relu6", "leaky_relu", "leakyrelu", "elu", "selu", "gelu", "silu", "sigmoid", "tanh",
    "hardswish", "hardsigmoid", "softplus", "mish", "clip", "add", "sub", "mul", "div", "multiply",
    "neg", "abs", "sqrt", "exp", "erf",
})


def n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def dims(shape) -> str:
    return "x".join("?" if d is None else str(d) for d in shape)


def spatial_map(model: Model, layer: Layer):
    """(channels, spatial dims, shape) of the map a dense layer's input comes from.

    Walks back through zero-parameter pass-through layers and keeps the
    deepest tensor that still has spatial dimensions, so NHWC transposes
    and flattens in between do not hide it.
    """
    counts = count(model).layers
    producers = model.producers()
    tensor = layer.inputs[0] if layer.inputs else None
    shape = layer.input_shape
    found = None
    seen: set[str] = set()
    while True:
        mapped = _split(shape, model.batch_dim)
        if mapped is not None:
            found = mapped
        producer = producers.get(tensor) if tensor is not None else None
        if (producer is None or tensor in seen or producer.op not in PASS_THROUGH
                or counts[producer.name].params or not producer.inputs):
            return found
        seen.add(tensor)
        tensor = producer.inputs[0]
        shape = model.shapes.get(tensor, producer.input_shape) if model.shapes else producer.input_shape


def _split(shape, batch_dim: bool):
    if shape is None:
        return None
    body = tuple(shape[1:] if batch_dim else shape)
    if len(body) < 2 or not all(isinstance(d, int) for d in body):
        return None
    return body[0], body[1:], tuple(shape)


def spatial_size(spatial) -> int:
    return prod(spatial)


def borrowed(model: Model) -> dict[str, int]:
    """Params each layer reads from a tie it does not own.

    A tied weight belongs to the first layer that reads it; the others
    borrow it, so a rule about the size of a layer reports the owner once.
    """
    out: dict[str, int] = {}
    for tie in count(model).ties:
        for reader in tie.layers[1:]:
            out[reader] = out.get(reader, 0) + tie.elements
    return out
