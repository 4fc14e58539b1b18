"""Format 2 ``attention``: multi-head, multi-query and grouped-query, self or cross.

One layer holds the query, key, value and output projections (separate or
fused) and an optional per-head q/k norm, so a report shows one row per
attention and not its plumbing. Self-attention reads ``[T, D]``; cross
attention reads ``[x, memory]``: queries from ``x`` (``[T, D]``), keys and
values from ``memory`` (``[S, Dm]``). ``softmax(Q K^T) V`` has no
parameters; the attributes (heads, kv_heads, head_dim, lengths) are what
MACs need for ``Q*K^T`` and ``A*V``.
"""

from __future__ import annotations

from paramlint.ir.model import format_shape
from .fields import REQUIRED, Ctx, Field, boolean, did_you_mean, nonneg_int, one_of, pos_int, show
from .source import MarkedMap

#: the projections a ``bias`` mapping may name
PROJECTIONS = ("q", "k", "v", "o")


def _bias(ctx: Ctx, key: str, value):
    """``true``/``false`` for every projection, or ``{q: true, k: false, v: true, o: true}``
    (Whisper's key projection has no bias; a projection left out of the mapping has none)."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, MarkedMap) or not value:
        raise ctx.bad(key, "true, false or a mapping of q, k, v, o to true or false", value)
    for name, flag in value.items():
        if name not in PROJECTIONS:
            raise ctx.error(f"field '{key}': unknown projection {name!r}{did_you_mean(name, list(PROJECTIONS))} "
                            "(one of q, k, v, o)", mark=value.key_marks.get(name))
        if not isinstance(flag, bool):
            raise ctx.bad(f"{key}.{name}", "true or false", flag, value.mark_of(name))
    return {name: bool(value.get(name, False)) for name in PROJECTIONS}
from .spatial import Result
from .tokens import projection

PATTERN_ENTRIES = ("slide", "full")


def window_pattern(ctx: Ctx, key: str, value) -> tuple[str, ...]:
    """A non-empty list of ``slide``/``full``, cycled over a block's repeats."""
    if not isinstance(value, list) or not value or not all(v in PATTERN_ENTRIES for v in value):
        raise ctx.bad(key, "a list of 'slide' and 'full' (e.g. [slide, full]: every other layer "
                      "slides)", value)
    return tuple(value)


def apply_window_pattern(attrs: dict, repeat_index: int) -> None:
    """Resolve ``window_pattern`` for the repeat this layer belongs to:
    entry ``repeat_index % len(pattern)``; a ``full`` entry has no window."""
    pattern = attrs.get("window_pattern")
    if pattern and pattern[repeat_index % len(pattern)] == "full":
        attrs["window"] = None


def check_window(ctx: Ctx, v: dict, kv_len: int) -> None:
    if v["window_pattern"] is not None and v["window"] is None:
        raise ctx.error("'window_pattern' says which repeats slide, and no 'window' is given", "window_pattern")
    if v["window"] is not None and len(ctx.in_shapes) == 2:
        raise ctx.error(f"'window' is a sliding window over a sequence's own tokens; a cross attention "
                        f"reads all {kv_len} memory positions (got window {show(v['window'])})", "window")


FIELDS: dict[str, Field] = {
    "heads": Field(pos_int, REQUIRED),
    "kv_heads": Field(pos_int, None),       # None: heads (multi-head attention)
    "head_dim": Field(pos_int, None),       # None: D / heads
    "bias": Field(_bias, True),
    "qkv_bias": Field(boolean, None),       # None: bias
    "out_bias": Field(boolean, None),       # None: bias
    "qkv": Field(one_of("separate", "fused"), "separate"),
    "out_proj": Field(boolean, True),
    "out_dim": Field(pos_int, None),        # None: D
    "qk_norm": Field(one_of("none", "rmsnorm", "layernorm"), "none"),
    "qk_norm_scope": Field(one_of("head", "all"), "head"),
    "relative_bias": Field(nonneg_int, 0),  # rows of a learned [rows, heads] bias table
    "causal": Field(boolean, False),        # count-neutral
    "rope": Field(boolean, False),          # count-neutral: rotary tables are derived
    "window": Field(pos_int, None),         # sliding window: keys within the last `window` tokens
    "window_pattern": Field(window_pattern, None),  # which repeats slide: [slide, full] cycled
}


def _tokens(ctx: Ctx, shape: tuple, what: str) -> tuple[int, int]:
    if len(shape) != 2:
        raise ctx.error(f"reads {what} as [T, D] tokens, got {format_shape(shape)}", "inputs")
    return shape[0], shape[1]


def attention(ctx: Ctx) -> Result:
    v = ctx.values
    q_len, width = _tokens(ctx, ctx.in_shape, "its input" if len(ctx.in_shapes) == 1 else "the queries")
    cross = len(ctx.in_shapes) == 2
    kv_len, kv_width = _tokens(ctx, ctx.in_shapes[1], "the memory") if cross else (q_len, width)
    check_window(ctx, v, kv_len)
    heads = v["heads"]
    kv_heads = v["kv_heads"] or heads
    if heads % kv_heads:
        raise ctx.error(f"heads ({heads}) must be a multiple of kv_heads ({kv_heads}): "
                        "each key/value head serves a group of query heads", "kv_heads")
    head_dim = v["head_dim"]
    if head_dim is None:
        if width % heads:
            raise ctx.error(f"the input width {width} (D of [T, D]) is not divisible by heads ({heads}); "
                            "give 'head_dim'", "heads")
        head_dim = width // heads
    each = v["bias"] if isinstance(v["bias"], dict) else dict.fromkeys(PROJECTIONS, v["bias"])
    if v["qkv_bias"] is not None:
        each.update(q=v["qkv_bias"], k=v["qkv_bias"], v=v["qkv_bias"])
    if v["out_bias"] is not None:
        each["o"] = v["out_bias"]
    qkv_bias, out_bias = each["q"], each["o"]
    q_units, kv_units = heads * head_dim, kv_heads * head_dim
    if v["qkv"] == "fused":
        if not each["q"] == each["k"] == each["v"]:
            raise ctx.error("'qkv: fused' stores one bias for q, k and v: give them the same bias", "bias")
        if cross:
            raise ctx.error("'qkv: fused' needs self-attention: a cross attention reads its keys "
                            "and values from another input", "qkv")
        weights = projection("qkv_", q_units + 2 * kv_units, width, qkv_bias)
    else:
        weights = (projection("q_", q_units, width, each["q"]) + projection("k_", kv_units, kv_width, each["k"])
                   + projection("v_", kv_units, kv_width, each["v"]))
    weights += _qk_norm(v["qk_norm"], v["qk_norm_scope"], head_dim, q_units, kv_units)
    if v["relative_bias"]:  # T5's buckets, Swin's (2W-1)^2 offsets: one bias per head each
        weights.append(("relative_bias", (v["relative_bias"], heads), True))
    if v["out_proj"]:
        out = v["out_dim"] or width
        weights += projection("out_", out, q_units, out_bias)
    else:
        if v["out_dim"] is not None:
            raise ctx.error("'out_dim' is the output projection's width, and 'out_proj' is false", "out_dim")
        out = q_units
    attrs = {"heads": heads, "kv_heads": kv_heads, "head_dim": head_dim, "q_len": q_len, "kv_len": kv_len,
             "in_features": width, "kv_features": kv_width, "out_features": out, "cross": cross,
             "positions": q_len, "last_axis": True}
    return Result((q_len, out), weights, attrs)


def _qk_norm(kind: str, scope: str, head_dim: int, q_units: int, kv_units: int) -> list:
    """Scale (and shift, for layernorm) of the query and key norms."""
    if kind == "none":
        return []
    weights = []
    for role, width in (("q_norm_", q_units), ("k_norm_", kv_units)):
        size = head_dim if scope == "head" else width
        weights.append((f"{role}scale", (size,), True))
        if kind == "layernorm":
            weights.append((f"{role}shift", (size,), True))
    return weights
