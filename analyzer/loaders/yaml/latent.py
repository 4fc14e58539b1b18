"""Format 2 ``mla``: multi-head latent attention (DeepSeek-V2/V3).

Keys and values are compressed into one latent of ``kv_lora_rank`` per
token, plus a decoupled rotary key of ``qk_rope_head_dim`` shared by every
head; that latent is what generation caches. The weights follow
transformers' ``DeepseekV2Attention`` and its config's names:
``q_proj`` (or ``q_a_proj``, ``q_a_layernorm``, ``q_b_proj`` with a
``q_lora_rank``), ``kv_a_proj_with_mqa``, ``kv_a_layernorm``, ``kv_b_proj``
and ``o_proj``; ``attention_bias`` (here ``bias``) is on ``q_a_proj``,
``kv_a_proj_with_mqa`` and ``o_proj`` only, as there.
"""

from __future__ import annotations

from paramlint.ir.model import format_shape
from .fields import REQUIRED, Ctx, Field, boolean, pos_int
from .spatial import Result
from .tokens import projection

FIELDS: dict[str, Field] = {
    "heads": Field(pos_int, REQUIRED),
    "kv_lora_rank": Field(pos_int, REQUIRED),
    "q_lora_rank": Field(pos_int, None),        # None: one q_proj, as DeepSeek-V2-Lite
    "qk_rope_head_dim": Field(pos_int, REQUIRED),
    "qk_nope_head_dim": Field(pos_int, REQUIRED),
    "v_head_dim": Field(pos_int, REQUIRED),
    "bias": Field(boolean, False),              # attention_bias
    "causal": Field(boolean, True),             # DeepSeek's decoders; count-neutral
    "rope": Field(boolean, True),               # count-neutral
}


def mla(ctx: Ctx) -> Result:
    v = ctx.values
    if len(ctx.in_shape) != 2:
        raise ctx.error(f"reads its input as [T, D] tokens, got {format_shape(ctx.in_shape)}")
    tokens, width = ctx.in_shape
    heads, rank, rope = v["heads"], v["kv_lora_rank"], v["qk_rope_head_dim"]
    nope, v_dim, q_rank, bias = v["qk_nope_head_dim"], v["v_head_dim"], v["q_lora_rank"], v["bias"]
    q_dim = nope + rope
    if q_rank is None:
        weights = projection("q_proj_", heads * q_dim, width, False)
    else:
        weights = (projection("q_a_proj_", q_rank, width, bias) + [("q_a_layernorm_scale", (q_rank,), True)]
                   + projection("q_b_proj_", heads * q_dim, q_rank, False))
    weights += projection("kv_a_proj_with_mqa_", rank + rope, width, bias)
    weights.append(("kv_a_layernorm_scale", (rank,), True))
    weights += projection("kv_b_proj_", heads * (nope + v_dim), rank, False)
    weights += projection("o_proj_", width, heads * v_dim, bias)
    attrs = {"heads": heads, "q_len": tokens, "kv_len": tokens, "in_features": width,
             "out_features": width, "positions": tokens, "last_axis": True}
    return Result((tokens, width), weights, attrs)

