"""Format 2 layer types for tokens: per-position dense layers, norms and MLPs.

In format 2 a sequence is ``[T, D]`` (tokens first, features last), as in
PyTorch and Hugging Face code without the batch dimension. ``dense``, the
norms, the MLPs and attention act on the **last axis** at every position
with one set of weights (1x1-convolution semantics, ``torch.nn.Linear``);
image maps stay ``[C, H, W]`` for convolutions and pools. Every layer
applied at several positions records ``positions`` (the product of the
other axes), which counting turns into sharing figures (``unshared =
positions * P``) and which marks it as contracting channels only.
"""

from __future__ import annotations

from math import prod

from paramlint.ir.model import format_shape
from .fields import REQUIRED, Ctx, Field, any_int, boolean, one_of, pos_int
from .spatial import Result, need_some

Shape = tuple

#: Activations an MLP may name; all are count-neutral (validated so a typo
#: is caught, not because the figure depends on it).
ACTIVATIONS = ("gelu", "gelu_tanh", "quick_gelu", "silu", "swish", "relu", "relu2", "sigmoid", "tanh")


def features(ctx: Ctx, shape: Shape | None = None) -> int:
    """The last-axis size of a ``[D]`` or ``[T, D]`` input; a map is refused."""
    shape = ctx.in_shape if shape is None else shape
    if len(shape) > 2:
        raise ctx.error(
            f"acts on the last axis of its input in format 2, and {format_shape(shape)} is a "
            f"{len(shape)}-dim map: add 'flatten' before it (a classifier on a map) or "
            "'tokens' (a [C, H, W] map to [H*W, C] tokens)")
    return shape[-1]


def positions(shape: Shape) -> dict:
    """Attributes of a layer on the last axis: ``last_axis`` (what axis
    provenance and MACs read), and ``positions`` = T for a ``[T, D]`` input
    (nothing for a vector)."""
    return {"last_axis": True, "positions": prod(shape[:-1])} if len(shape) >= 2 else {"last_axis": True}


def projection(role: str, units: int, width: int, bias: bool) -> list[tuple[str, Shape, bool]]:
    """A linear map's weights, torch layout: kernel ``(out, in)``, bias ``(out,)``."""
    weights = [(f"{role}kernel", (units, width), True)]
    if bias:
        weights.append((f"{role}bias", (units,), True))
    return weights


# -------------------------------------------------------------- per token


def dense(ctx: Ctx) -> Result:
    width, units = features(ctx), ctx.values["units"]
    weights = projection("", units, width, ctx.values["bias"])
    return Result((*ctx.in_shape[:-1], units), weights, {"in_features": width, **positions(ctx.in_shape)})


def embedding(ctx: Ctx) -> Result:
    v = ctx.values
    return Result((*ctx.in_shape, v["dim"]), [("table", (v["num_embeddings"], v["dim"]), True)],
                  {"last_axis": True})


def norm(ctx: Ctx) -> Result:
    """``layernorm`` (scale and shift) or ``rmsnorm`` (scale) over the last axis."""
    width, v = features(ctx), ctx.values
    weights = []
    if v["affine"]:
        weights.append(("scale", (width,), True))
        if ctx.kind == "layernorm" and v["bias"]:
            weights.append(("shift", (width,), True))
    return Result(ctx.in_shape, weights, {"channels": width, "last_axis": True})


def mlp(ctx: Ctx) -> Result:
    """Two projections (``mlp``) or three (``gated_mlp``: SwiGLU, GeGLU)."""
    width, v = features(ctx), ctx.values
    hidden, out, bias = v["hidden"], v["out"] or width, v["bias"]
    gated = v["gated"]
    if v["fused"] and not gated:
        raise ctx.error("'fused' joins the gate and up projections of a gated MLP; "
                        "this MLP is not gated (set 'gated: true')", "fused")
    if gated and v["fused"]:
        weights = projection("gate_up_", 2 * hidden, width, bias)
    elif gated:
        weights = projection("gate_", hidden, width, bias) + projection("up_", hidden, width, bias)
    else:
        weights = projection("up_", hidden, width, bias)
    weights += projection("down_", out, hidden, bias)
    attrs = {"in_features": width, "hidden": hidden, "out_features": out, "gated": gated,
             **positions(ctx.in_shape)}
    return Result((*ctx.in_shape[:-1], out), weights, attrs)


def mlp_fields(gated: bool) -> dict[str, Field]:
    return {
        "hidden": Field(pos_int, REQUIRED),
        "out": Field(pos_int, None),
        "bias": Field(boolean, True),
        "activation": Field(one_of(*ACTIVATIONS), "silu" if gated else "gelu"),
        "gated": Field(boolean, gated),
        "fused": Field(boolean, False),
    }


def recurrent(ctx: Ctx) -> Result:
    """``rnn``/``lstm``/``gru`` on ``[T, F]``: the format 1 weights, tokens first."""
    v = ctx.values
    if len(ctx.in_shape) != 2:
        raise ctx.error(f"expects a 2-dim input [T, F] (time, features), got {format_shape(ctx.in_shape)}")
    steps, width = ctx.in_shape
    units, dirs, gates = v["units"], 2 if v["bidirectional"] else 1, {"rnn": 1, "lstm": 4, "gru": 3}[ctx.kind]
    weights = [("W", (dirs, gates * units, width), True), ("R", (dirs, gates * units, units), True)]
    if v["bias"]:
        weights.append(("B", (dirs, 2 * gates * units), True))
    out = (steps, dirs * units) if v["return_sequences"] else (dirs * units,)
    return Result(out, weights, {"sequence_length": steps, "gates": gates, "last_axis": True})


# ------------------------------------------------------ tokens and positions


def position_embedding(ctx: Ctx) -> Result:
    """A learned table of ``max_positions`` rows, added to ``[T, D]`` tokens."""
    if len(ctx.in_shape) != 2:
        raise ctx.error(f"adds a learned position to each token of a [T, D] input, got {format_shape(ctx.in_shape)}")
    steps, width = ctx.in_shape
    rows = ctx.values["max_positions"] or steps
    if steps > rows:
        raise ctx.error(f"the input has {steps} positions, more than max_positions ({rows})", "max_positions")
    return Result(ctx.in_shape, [("table", (rows, width), True)], {"max_positions": rows})


def class_token(ctx: Ctx) -> Result:
    """Learned tokens prepended to ``[T, D]`` (ViT's class token, DeiT's distillation token)."""
    if len(ctx.in_shape) != 2:
        raise ctx.error(f"prepends learned tokens to a [T, D] input, got {format_shape(ctx.in_shape)}")
    steps, width = ctx.in_shape
    count = ctx.values["count"]
    return Result((steps + count, width), [("token", (count, width), True)])


def tokens(ctx: Ctx) -> Result:
    """A ``[C, H, W]`` map as ``[H*W, C]`` tokens (``x.flatten(2).transpose(1, 2)``)."""
    need_some(ctx, 2)
    return Result((prod(ctx.in_shape[1:]), ctx.in_shape[0]))


def _axis(ctx: Ctx) -> int:
    axis, rank = ctx.values["axis"], len(ctx.in_shape)
    if not -rank <= axis < rank:
        raise ctx.error(f"axis {axis} is out of range for an input of {rank} dims", "axis")
    return axis % rank


def select(ctx: Ctx) -> Result:
    """One position along an axis, which disappears (``x[:, 0]``: the class token)."""
    need_some(ctx, 2)
    axis, index = _axis(ctx), ctx.values["index"]
    size = ctx.in_shape[axis]
    if not -size <= index < size:
        raise ctx.error(f"index {index} is out of range for axis {axis} of size {size}", "index")
    return Result(ctx.in_shape[:axis] + ctx.in_shape[axis + 1:], [], {"axis": axis, "index": index % size})


def mean(ctx: Ctx) -> Result:
    """The mean over an axis, which disappears (mean pooling over tokens)."""
    need_some(ctx, 2)
    axis = _axis(ctx)
    return Result(ctx.in_shape[:axis] + ctx.in_shape[axis + 1:], [], {"axis": axis})


def transpose(ctx: Ctx) -> Result:
    perm = ctx.values["perm"]
    rank = len(ctx.in_shape)
    if perm is None:
        perm = tuple(reversed(range(rank)))
    if sorted(perm) != list(range(rank)):
        raise ctx.error(f"perm {list(perm)} is not a permutation of the {rank} axes of "
                        f"{format_shape(ctx.in_shape)}", "perm")
    return Result(tuple(ctx.in_shape[i] for i in perm), [], {"perm": tuple(perm)})


def permutation(ctx: Ctx, key: str, value) -> tuple[int, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool)
                                                           for v in value):
        raise ctx.bad(key, "a list of axis indices like [1, 0]", value)
    return tuple(value)


FIELDS = {
    "position_embedding": {"max_positions": Field(pos_int, None)},
    "class_token": {"count": Field(pos_int, 1)},
    "select": {"axis": Field(any_int, 0), "index": Field(any_int, 0)},
    "mean": {"axis": Field(any_int, 0)},
    "transpose": {"perm": Field(permutation, None)},
}
