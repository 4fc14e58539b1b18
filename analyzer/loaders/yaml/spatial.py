"""Convolutions and pools for YAML layers: spatial output sizes and kernels.

Also the ``Result`` and ``LayerType`` records every layer type returns and
is registered as (see layers.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any, Callable

from paramlint.ir.model import format_shape
from .fields import REQUIRED, Ctx, Field, boolean, padding, pos_dims, pos_int

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
        raise ctx.error(f"expects a {dims}-dim input {layout}, got {format_shape(ctx.in_shape)}")


def need_some(ctx: Ctx, dims: int = 1) -> None:
    if len(ctx.in_shape) < dims:
        raise ctx.error(f"expects an input with at least {dims} dims, got {format_shape(ctx.in_shape)}")


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


def divides(ctx: Ctx, what: str, count: int, groups: int) -> None:
    if count % groups:
        raise ctx.error(f"{what} ({count}) must be divisible by groups ({groups})", "groups")


# ------------------------------------------------------------ convolutions


def conv_fields(rank: int) -> dict[str, Field]:
    return {
        "filters": Field(pos_int, REQUIRED),
        "kernel": Field(pos_dims(rank), REQUIRED),
        "stride": Field(pos_dims(rank), (1,) * rank),
        "padding": Field(padding(rank), (0,) * rank),
        "dilation": Field(pos_dims(rank), (1,) * rank),
        "groups": Field(pos_int, 1),
        "bias": Field(boolean, True),
    }


def conv(rank: int) -> Callable[[Ctx], Result]:
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
            divides(ctx, "input channels", cin, groups)
            divides(ctx, "filters", cout, groups)
        outs, pads = spatial(ctx, rank, v["kernel"], v["stride"], v["padding"], v["dilation"])
        weights = [("kernel", (cout, cin // groups, *v["kernel"]), True)]
        if v["bias"]:
            weights.append(("bias", (cout,), True))
        attrs = {"filters": cout, "groups": groups, "padding": pads, "padding_spec": v["padding"]}
        return Result((cout, *outs), weights, attrs)

    return infer


def conv_transpose(ctx: Ctx) -> Result:
    v = ctx.values
    need_rank(ctx, 3)
    cin, cout, groups = ctx.in_shape[0], v["filters"], v["groups"]
    divides(ctx, "input channels", cin, groups)
    divides(ctx, "filters", cout, groups)
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


def locally_connected(ctx: Ctx) -> Result:
    v = ctx.values
    need_rank(ctx, 3)
    cin, cout = ctx.in_shape[0], v["filters"]
    outs, pads = spatial(ctx, 2, v["kernel"], v["stride"], v["padding"], (1, 1))
    positions = prod(outs)
    weights = [("kernel", (positions, cout, cin * prod(v["kernel"])), True)]
    if v["bias"]:
        weights.append(("bias", (positions, cout), True))
    return Result((cout, *outs), weights, {"groups": 1, "padding": pads, "padding_spec": v["padding"]})


# ------------------------------------------------------------------ pools


def pool_fields(rank: int) -> dict[str, Field]:
    return {
        "kernel": Field(pos_dims(rank), REQUIRED),
        "stride": Field(pos_dims(rank), None),  # None: the kernel
        "padding": Field(padding(rank), (0,) * rank),
        "ceil_mode": Field(boolean, False),
    }


def pool(rank: int) -> Callable[[Ctx], Result]:
    def infer(ctx: Ctx) -> Result:
        v = ctx.values
        need_rank(ctx, rank + 1)
        if v["stride"] is None:
            v["stride"] = v["kernel"]
        outs, pads = spatial(ctx, rank, v["kernel"], v["stride"], v["padding"], (1,) * rank, v["ceil_mode"])
        return Result((ctx.in_shape[0], *outs), [], {"padding": pads, "padding_spec": v["padding"]})

    return infer


def global_pool(ctx: Ctx) -> Result:
    need_some(ctx)
    return Result((ctx.in_shape[0],))
