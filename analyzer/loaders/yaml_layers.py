"""The YAML layer types: fields, defaults, output shapes and weight shapes.

Each type is a ``LayerType`` whose ``infer`` takes a checked ``Ctx`` (the
layer's input shapes and field values) and returns a ``Result``: the output
shape, the weight tensors it owns as ``(role, shape, trainable)``, and the
attributes counting needs. Shapes have no batch dimension, channels first.
See docs/yaml-format.md (the contract) and docs/yaml-decisions.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any, Callable

from .yaml_fields import (
    REQUIRED,
    Ctx,
    Field,
    any_int,
    boolean,
    new_shape,
    nonneg_dims,
    number,
    padding,
    pos_dims,
    pos_int,
    shape_text,
)

Shape = tuple


@dataclass
class Result:
    output_shape: Shape
    weights: list[tuple[str, Shape, bool]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerType:
    name: str
    op: str
    fields: dict[str, Field]
    infer: Callable[[Ctx], Result]
    min_inputs: int = 1
    max_inputs: int | None = 1


_DIM_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
_LAYOUT = {1: "[C, L]", 2: "[C, H, W]", 3: "[C, D, H, W]"}


def dim_name(rank: int, index: int) -> str:
    names = _DIM_NAMES.get(rank)
    return names[index] if names else f"dimension {index + 1}"


def need_rank(ctx: Ctx, dims: int) -> None:
    if len(ctx.in_shape) != dims:
        layout = _LAYOUT.get(dims - 1, f"of {dims} dims")
        raise ctx.error(f"expects a {dims}-dim input {layout}, got {shape_text(ctx.in_shape)}")


def need_some(ctx: Ctx, dims: int = 1) -> None:
    if len(ctx.in_shape) < dims:
        raise ctx.error(f"expects an input with at least {dims} dims, got {shape_text(ctx.in_shape)}")


def out_size(ctx: Ctx, index: int, rank: int, n: int, k: int, s: int, p: int,
             d: int = 1, ceil_mode: bool = False) -> int:
    """``floor((n + 2p - d(k-1) - 1)/s) + 1`` (or ceil); an error below 1."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and out > 1 and (out - 1) * s >= n + p:
        out -= 1  # the last window must start inside the input (PyTorch rule)
    if out < 1:
        dil = f", dilation={d}" if d != 1 else ""
        raise ctx.error(
            f"output {dim_name(rank, index)} (in={n}, kernel={k}, stride={s}, pad={p}{dil}) would be {out}"
        )
    return out


def spatial(ctx: Ctx, rank: int, kernel: tuple, stride: tuple, pad: Any, dilation: tuple,
            ceil_mode: bool = False) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Output spatial sizes and the resolved padding per dimension."""
    sizes = ctx.in_shape[1:]
    if pad == "same":
        outs = tuple(-(-n // s) for n, s in zip(sizes, stride))
        pads = tuple(
            max((o - 1) * s + d * (k - 1) + 1 - n, 0) // 2
            for n, o, s, k, d in zip(sizes, outs, stride, kernel, dilation)
        )
        return outs, pads
    pads = (0,) * rank if pad == "valid" else pad
    outs = tuple(
        out_size(ctx, i, rank, n, k, s, p, d, ceil_mode)
        for i, (n, k, s, p, d) in enumerate(zip(sizes, kernel, stride, pads, dilation))
    )
    return outs, pads


def _divides(ctx: Ctx, what: str, count: int, groups: int) -> None:
    if count % groups:
        raise ctx.error(f"{what} ({count}) must be divisible by groups ({groups})", "groups")


# ------------------------------------------------------------ convolutions


def _conv_fields(rank: int) -> dict[str, Field]:
    return {
        "filters": Field(pos_int, REQUIRED),
        "kernel": Field(pos_dims(rank), REQUIRED),
        "stride": Field(pos_dims(rank), (1,) * rank),
        "padding": Field(padding(rank), (0,) * rank),
        "dilation": Field(pos_dims(rank), (1,) * rank),
        "groups": Field(pos_int, 1),
        "bias": Field(boolean, True),
    }


def _conv(rank: int) -> Callable[[Ctx], Result]:
    def infer(ctx: Ctx) -> Result:
        v = ctx.values
        need_rank(ctx, rank + 1)
        cin = ctx.in_shape[0]
        groups = v.get("groups", 1)
        if ctx.kind == "depthwise_conv2d":
            groups = cin
            cout = cin * v["multiplier"]
        else:
            cout = v["filters"]
            _divides(ctx, "input channels", cin, groups)
            _divides(ctx, "filters", cout, groups)
        outs, pads = spatial(ctx, rank, v["kernel"], v["stride"], v["padding"], v["dilation"])
        weights = [("kernel", (cout, cin // groups, *v["kernel"]), True)]
        if v["bias"]:
            weights.append(("bias", (cout,), True))
        attrs = {"filters": cout, "groups": groups, "padding": pads, "padding_spec": v["padding"]}
        return Result((cout, *outs), weights, attrs)

    return infer


def _conv_transpose(ctx: Ctx) -> Result:
    v = ctx.values
    need_rank(ctx, 3)
    cin, cout, groups = ctx.in_shape[0], v["filters"], v["groups"]
    _divides(ctx, "input channels", cin, groups)
    _divides(ctx, "filters", cout, groups)
    outs = []
    for i, (n, k, s, p, d, op) in enumerate(zip(ctx.in_shape[1:], v["kernel"], v["stride"],
                                                  v["padding"], v["dilation"], v["output_padding"])):
        if op >= max(s, d):
            raise ctx.error(f"output_padding ({op}) must be smaller than stride or dilation", "output_padding")
        out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        if out < 1:
            raise ctx.error(
                f"output {dim_name(2, i)} (in={n}, kernel={k}, stride={s}, pad={p}, "
                f"output_padding={op}) would be {out}"
            )
        outs.append(out)
    weights = [("kernel", (cin, cout // groups, *v["kernel"]), True)]
    if v["bias"]:
        weights.append(("bias", (cout,), True))
    return Result((cout, *outs), weights, {"groups": groups})


def _locally_connected(ctx: Ctx) -> Result:
    v = ctx.values
    need_rank(ctx, 3)
    cin, cout = ctx.in_shape[0], v["filters"]
    outs, pads = spatial(ctx, 2, v["kernel"], v["stride"], v["padding"], (1, 1))
    positions = prod(outs)
    weights = [("kernel", (positions, cout, cin * prod(v["kernel"])), True)]
    if v["bias"]:
        weights.append(("bias", (positions, cout), True))
    return Result((cout, *outs), weights, {"groups": 1, "padding": pads, "padding_spec": v["padding"]})


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
        raise ctx.error(f"expects a 2-dim input [F, T] (features, time), got {shape_text(ctx.in_shape)}")
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
        _divides(ctx, "channels", channels, ctx.values["groups"])
    weights = []
    if ctx.values["affine"]:
        weights = [("scale", (channels,), True), ("shift", (channels,), True)]
    if ctx.kind == "batchnorm":
        weights += [("running_mean", (channels,), False), ("running_var", (channels,), False)]
    return Result(ctx.in_shape, weights, {"channels": channels})


# ------------------------------------------------------------------ pools


def _pool_fields(rank: int) -> dict[str, Field]:
    return {
        "kernel": Field(pos_dims(rank), REQUIRED),
        "stride": Field(pos_dims(rank), None),  # None: the kernel
        "padding": Field(padding(rank), (0,) * rank),
        "ceil_mode": Field(boolean, False),
    }


def _pool(rank: int) -> Callable[[Ctx], Result]:
    def infer(ctx: Ctx) -> Result:
        v = ctx.values
        need_rank(ctx, rank + 1)
        if v["stride"] is None:
            v["stride"] = v["kernel"]
        outs, pads = spatial(ctx, rank, v["kernel"], v["stride"], v["padding"], (1,) * rank, v["ceil_mode"])
        return Result((ctx.in_shape[0], *outs), [], {"padding": pads, "padding_spec": v["padding"]})

    return infer


def _global_pool(ctx: Ctx) -> Result:
    need_some(ctx)
    return Result((ctx.in_shape[0],))


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
            raise ctx.error(f"cannot reshape {shape_text(ctx.in_shape)} ({total} values) to {shape_text(target)}", "shape")
        target[target.index(-1)] = total // known
    if prod(target) != total:
        raise ctx.error(f"cannot reshape {shape_text(ctx.in_shape)} ({total} values) to {shape_text(target)}", "shape")
    return Result(tuple(target))


def _broadcast(ctx: Ctx) -> Result:
    out: list[int] = []
    rank = max(len(s) for s in ctx.in_shapes)
    for i in range(1, rank + 1):
        dims = {s[-i] for s in ctx.in_shapes if len(s) >= i} - {1}
        if len(dims) > 1:
            shapes = ", ".join(shape_text(s) for s in ctx.in_shapes)
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
            shapes = ", ".join(shape_text(s) for s in ctx.in_shapes)
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
    _register(f"conv{_rank}d", _conv(_rank), _conv_fields(_rank))
    _register(f"maxpool{_rank}d", _pool(_rank), _pool_fields(_rank))
    _register(f"avgpool{_rank}d", _pool(_rank), _pool_fields(_rank))
_register("depthwise_conv2d", _conv(2), {
    **{k: f for k, f in _conv_fields(2).items() if k not in ("filters", "groups")},
    "multiplier": Field(pos_int, 1),
})
_register("conv2d_transpose", _conv_transpose, {
    **{k: f for k, f in _conv_fields(2).items()},
    "padding": Field(nonneg_dims(2), (0, 0)),
    "output_padding": Field(nonneg_dims(2), (0, 0)),
})
_register("locally_connected2d", _locally_connected, {
    k: f for k, f in _conv_fields(2).items() if k not in ("groups", "dilation")
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
_register("global_avgpool", _global_pool)
_register("global_maxpool", _global_pool)
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
