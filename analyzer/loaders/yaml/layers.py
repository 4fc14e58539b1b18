"""The YAML layer types: fields, defaults, output shapes and weight shapes.

Each type is a ``LayerType`` whose ``infer`` takes a checked ``Ctx`` (the
layer's input shapes and field values) and returns a ``Result``: the output
shape, the weight tensors it owns as ``(role, shape, trainable)``, and the
attributes counting needs. Shapes have no batch dimension, channels first.
Convolutions and pools live in spatial.py. The contract is
/work/shared/spec/yaml-format.md; choices it leaves open are in
docs/yaml-decisions.md.
"""

from __future__ import annotations

from math import prod
from typing import Any, Callable

from paramlint.ir.model import format_shape
from .fields import REQUIRED, Ctx, Field, any_int, boolean, new_shape, nonneg_dims, number, pos_dims, pos_int
from .spatial import (
    LayerType,
    Result,
    conv,
    conv_fields,
    conv_transpose,
    divides,
    global_pool,
    locally_connected,
    pool,
    pool_fields,
    need_some,
)

__all__ = ["BLOCK_FIELDS", "COMMON_FIELDS", "TYPES", "TYPE_NAMES", "LayerType", "Result"]

# ------------------------------------------------------- dense and friends


def _dense(ctx: Ctx) -> Result:
    units, features = ctx.values["units"], prod(ctx.in_shape)
    weights = [("kernel", (units, features), True)]
    if ctx.values["bias"]:
        weights.append(("bias", (units,), True))
    return Result((units,), weights, {"in_features": features})


def _embedding(ctx: Ctx) -> Result:
    v = ctx.values
    return Result((v["dim"], *ctx.in_shape), [("table", (v["num_embeddings"], v["dim"]), True)])


_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _recurrent(ctx: Ctx) -> Result:
    v = ctx.values
    if len(ctx.in_shape) != 2:
        raise ctx.error(f"expects a 2-dim input [F, T] (features, time), got {format_shape(ctx.in_shape)}")
    features, steps = ctx.in_shape
    units, dirs, gates = v["units"], 2 if v["bidirectional"] else 1, _GATES[ctx.kind]
    weights = [("W", (dirs, gates * units, features), True), ("R", (dirs, gates * units, units), True)]
    if v["bias"]:
        weights.append(("B", (dirs, 2 * gates * units), True))
    out = (dirs * units, steps) if v["return_sequences"] else (dirs * units,)
    return Result(out, weights, {"sequence_length": steps, "gates": gates})


# ------------------------------------------------------------------ norms


def _norm(ctx: Ctx) -> Result:
    need_some(ctx)
    channels = ctx.in_shape[0]
    if ctx.kind == "groupnorm":
        divides(ctx, "channels", channels, ctx.values["groups"])
    weights = []
    if ctx.values["affine"]:
        weights = [("scale", (channels,), True), ("shift", (channels,), True)]
    if ctx.kind == "batchnorm":
        weights += [("running_mean", (channels,), False), ("running_var", (channels,), False)]
    return Result(ctx.in_shape, weights, {"channels": channels})


# ------------------------------------------------------- shape-only layers


def _same(ctx: Ctx) -> Result:
    return Result(ctx.in_shape)


def _flatten(ctx: Ctx) -> Result:
    return Result((prod(ctx.in_shape),))


def _reshape(ctx: Ctx) -> Result:
    target, total = list(ctx.values["shape"]), prod(ctx.in_shape)
    known = prod(d for d in target if d != -1)
    if -1 in target:
        if total % known:
            raise ctx.error(f"cannot reshape {format_shape(ctx.in_shape)} ({total} values) to {format_shape(target)}", "shape")
        target[target.index(-1)] = total // known
    if prod(target) != total:
        raise ctx.error(f"cannot reshape {format_shape(ctx.in_shape)} ({total} values) to {format_shape(target)}", "shape")
    return Result(tuple(target))


def _broadcast(ctx: Ctx) -> Result:
    out: list[int] = []
    rank = max(len(s) for s in ctx.in_shapes)
    for i in range(1, rank + 1):
        dims = {s[-i] for s in ctx.in_shapes if len(s) >= i} - {1}
        if len(dims) > 1:
            shapes = ", ".join(format_shape(s) for s in ctx.in_shapes)
            raise ctx.error(f"inputs have incompatible shapes {shapes}", "inputs")
        out.insert(0, dims.pop() if dims else 1)
    return Result(tuple(out))


def _concat(ctx: Ctx) -> Result:
    first = ctx.in_shape
    axis = ctx.values["axis"]
    if not -len(first) <= axis < len(first):
        raise ctx.error(f"axis {axis} is out of range for inputs of {len(first)} dims", "axis")
    axis %= len(first)
    for shape in ctx.in_shapes[1:]:
        if len(shape) != len(first) or any(a != b for i, (a, b) in enumerate(zip(shape, first)) if i != axis):
            shapes = ", ".join(format_shape(s) for s in ctx.in_shapes)
            raise ctx.error(f"inputs {shapes} differ outside axis {axis}", "inputs")
    out = list(first)
    out[axis] = sum(s[axis] for s in ctx.in_shapes)
    return Result(tuple(out), [], {"axis": axis})


def _rank_dims(minimum: int) -> Callable:
    """A per-spatial-dimension field whose rank comes from the input shape."""

    def check(ctx: Ctx, key: str, value: Any) -> tuple[int, ...]:
        rank = max(len(ctx.in_shape) - 1, 1)
        return (pos_dims(rank) if minimum else nonneg_dims(rank))(ctx, key, value)

    return check


def _upsample(ctx: Ctx) -> Result:
    need_some(ctx, 2)
    scale = ctx.values["scale"]
    return Result((ctx.in_shape[0], *(n * s for n, s in zip(ctx.in_shape[1:], scale))))


def _pad(ctx: Ctx) -> Result:
    need_some(ctx, 2)
    pads = ctx.values["padding"]
    return Result((ctx.in_shape[0], *(n + 2 * p for n, p in zip(ctx.in_shape[1:], pads))))


# --------------------------------------------------------------- registry

COMMON_FIELDS = ("type", "name", "inputs", "share")

TYPES: dict[str, LayerType] = {}


def _register(name: str, infer: Callable[[Ctx], Result], fields: dict[str, Field] | None = None,
              op: str | None = None, min_inputs: int = 1, max_inputs: int | None = 1) -> None:
    TYPES[name] = LayerType(name, op or name, fields or {}, infer, min_inputs, max_inputs)


for _rank in (1, 2, 3):
    _register(f"conv{_rank}d", conv(_rank), conv_fields(_rank))
    _register(f"maxpool{_rank}d", pool(_rank), pool_fields(_rank))
    _register(f"avgpool{_rank}d", pool(_rank), pool_fields(_rank))
_register("depthwise_conv2d", conv(2), {
    **{k: f for k, f in conv_fields(2).items() if k not in ("filters", "groups")},
    "multiplier": Field(pos_int, 1),
})
_register("conv2d_transpose", conv_transpose, {
    **{k: f for k, f in conv_fields(2).items()},
    "padding": Field(nonneg_dims(2), (0, 0)),
    "output_padding": Field(nonneg_dims(2), (0, 0)),
})
_register("locally_connected2d", locally_connected, {
    k: f for k, f in conv_fields(2).items() if k not in ("groups", "dilation")
})
for _name in ("dense", "linear"):
    _register(_name, _dense, {"units": Field(pos_int, REQUIRED), "bias": Field(boolean, True)}, op="dense")
_register("embedding", _embedding, {"num_embeddings": Field(pos_int, REQUIRED), "dim": Field(pos_int, REQUIRED)})
for _name in _GATES:
    _register(_name, _recurrent, {
        "units": Field(pos_int, REQUIRED), "bias": Field(boolean, True),
        "bidirectional": Field(boolean, False), "return_sequences": Field(boolean, True),
    })
for _name in ("batchnorm", "layernorm", "instancenorm"):
    _register(_name, _norm, {"affine": Field(boolean, True)})
_register("groupnorm", _norm, {"groups": Field(pos_int, REQUIRED), "affine": Field(boolean, True)})
_register("global_avgpool", global_pool)
_register("global_maxpool", global_pool)
_register("flatten", _flatten)
_register("reshape", _reshape, {"shape": Field(new_shape, REQUIRED)})
for _name in ("identity", "relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "hardswish"):
    _register(_name, _same)
# Optional, count-neutral fields people write anyway (see yaml-decisions.md).
_register("dropout", _same, {"rate": Field(number, 0.5)})
_register("leaky_relu", _same, {"negative_slope": Field(number, 0.01)})
_register("elu", _same, {"alpha": Field(number, 1.0)})
_register("softmax", _same, {"axis": Field(any_int, 0)})
_register("add", _broadcast, min_inputs=2, max_inputs=None)
_register("multiply", _broadcast, min_inputs=2, max_inputs=None)
_register("concat", _concat, {"axis": Field(any_int, 0)}, min_inputs=2, max_inputs=None)
_register("upsample", _upsample, {"scale": Field(_rank_dims(1), REQUIRED)})
_register("pad", _pad, {"padding": Field(_rank_dims(0), REQUIRED)})

#: ``block`` is expanded by the loader, not inferred; listed for did-you-mean.
BLOCK_FIELDS = ("layers", "repeat", "share_repeats")
TYPE_NAMES = sorted([*TYPES, "block"])
