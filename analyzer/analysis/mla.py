"""MACs of multi-head latent attention (``op == "mla"``), as transformers'
``DeepseekV2Attention`` computes it (counting.md's MAC convention).

Attributes: ``q_len``, ``kv_len``, ``in_features``, ``heads``,
``kv_lora_rank``, ``qk_rope_head_dim``, ``qk_nope_head_dim``,
``v_head_dim`` and ``q_lora_rank`` (None: a single ``q_proj``).
"""

from __future__ import annotations

from paramlint.ir.model import Layer, Model


def mla_macs(layer: Layer, model: Model) -> tuple[int | None, str | None]:
    """Projections at every token, the latent expanded at every cached
    token (``kv_b_proj``), then ``Q*K^T`` over ``nope + rope`` and ``A*V``
    over ``v_head_dim`` for every head (transformers' eager path)."""
    a = layer.attrs
    names = ("q_len", "kv_len", "in_features", "heads", "kv_lora_rank", "qk_rope_head_dim",
             "qk_nope_head_dim", "v_head_dim")
    values = [a.get(k) for k in names]
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in values):
        return None, "its heads, ranks or sequence lengths are unknown"
    t, s, d, h, rank, rope, nope, v_dim = values
    q_rank = a.get("q_lora_rank")
    q = t * d * h * (nope + rope) if q_rank is None else t * (d * q_rank + q_rank * h * (nope + rope))
    kv = t * d * (rank + rope) + s * rank * h * (nope + v_dim)
    products = h * t * s * (nope + rope) + h * t * s * v_dim
    return q + kv + products + t * h * v_dim * d, None
