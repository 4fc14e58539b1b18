"""Each ``model_type`` paramlint models: how its config's fields map to a ``Decoder``.

One function per family, reading only the fields transformers' own
modelling code reads for the parameters (defaults as transformers' config
classes give them); everything else in the file changes no count.
Encoder families are in encoders.py.
"""

from __future__ import annotations

from typing import Callable

from .config import Config
from .decoder import Decoder

ALL = dict(q=True, k=True, v=True, o=True)
NONE = dict(q=False, k=False, v=False, o=False)
QKV = dict(q=True, k=True, v=True, o=False)


def _common(c: Config, **keys: str) -> dict:
    """vocab, width, layers, heads, kv_heads and head_dim under the family's names."""
    names = {"vocab": "vocab_size", "width": "hidden_size", "layers": "num_hidden_layers",
             "heads": "num_attention_heads", "kv_heads": "num_key_value_heads", **keys}
    width, heads = c.int(names["width"]), c.int(names["heads"])
    kv = c.int(names["kv_heads"], heads) if names["kv_heads"] else heads
    head_dim = c.int("head_dim", None) if c.has("head_dim") else None
    return dict(vocab=c.int(names["vocab"]), width=width, layers=c.int(names["layers"]), heads=heads,
                kv_heads=kv, head_dim=head_dim)


def _gated(hidden: int, bias: bool = False, activation: str = "silu", fused: bool = False) -> dict:
    layer = {"type": "gated_mlp", "hidden": hidden, "bias": bias, "activation": activation}
    if fused:
        layer["fused"] = True
    return layer


def _moe(experts: int, top_k: int, hidden: int, shared: int | None = None, gate: bool = False) -> dict:
    layer = {"type": "moe", "experts": experts, "top_k": top_k, "expert": _gated(hidden)}
    if shared:
        layer.update(shared_expert=_gated(shared), shared_expert_gate=gate)
    return layer


def _sparse_layers(c: Config, layers: int) -> frozenset[int]:
    """Qwen-MoE's layers without experts: mlp_only_layers, and those off the decoder_sparse_step."""
    step = c.int("decoder_sparse_step", 1)
    only = c.raw("mlp_only_layers", [])
    if not isinstance(only, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in only):
        raise c.error("config.json: 'mlp_only_layers' must be a list of layer indices")
    return frozenset(i for i in range(layers) if i in only or (i + 1) % step != 0)


def llama(c: Config) -> Decoder:
    bias = c.flag("attention_bias", False)
    return Decoder(**_common(c), bias=dict.fromkeys(ALL, bias),
                   mlp=_gated(c.int("intermediate_size"), c.flag("mlp_bias", False)),
                   tied=c.flag("tie_word_embeddings", False))


def mistral(c: Config) -> Decoder:
    return Decoder(**_common(c), mlp=_gated(c.int("intermediate_size")), tied=c.flag("tie_word_embeddings", False))


def mixtral(c: Config) -> Decoder:
    return Decoder(**_common(c), tied=c.flag("tie_word_embeddings", False),
                   mlp=_moe(c.int("num_local_experts"), c.int("num_experts_per_tok"), c.int("intermediate_size")))


def qwen2(c: Config) -> Decoder:
    return Decoder(**_common(c), bias=dict(QKV), mlp=_gated(c.int("intermediate_size")),
                   tied=c.flag("tie_word_embeddings", False))


def qwen2_moe(c: Config) -> Decoder:
    common = _common(c)
    return Decoder(**common, bias=dict(QKV), tied=c.flag("tie_word_embeddings", False),
                   mlp=_moe(c.int("num_experts"), c.int("num_experts_per_tok"), c.int("moe_intermediate_size"),
                            c.int("shared_expert_intermediate_size"), gate=True),
                   dense_mlp=_gated(c.int("intermediate_size")), dense_layers=_sparse_layers(c, common["layers"]))


def qwen3(c: Config) -> Decoder:
    return Decoder(**_common(c), bias=dict.fromkeys(ALL, c.flag("attention_bias", False)), qk_norm="rmsnorm",
                   mlp=_gated(c.int("intermediate_size")), tied=c.flag("tie_word_embeddings", False))


def qwen3_moe(c: Config) -> Decoder:
    common = _common(c)
    return Decoder(**common, bias=dict.fromkeys(ALL, c.flag("attention_bias", False)), qk_norm="rmsnorm",
                   tied=c.flag("tie_word_embeddings", False),
                   mlp=_moe(c.int("num_experts"), c.int("num_experts_per_tok"), c.int("moe_intermediate_size")),
                   dense_mlp=_gated(c.int("intermediate_size")), dense_layers=_sparse_layers(c, common["layers"]))


def gemma(c: Config) -> Decoder:
    act = "gelu_tanh"
    return Decoder(**_common(c), bias=dict.fromkeys(ALL, c.flag("attention_bias", False)),
                   mlp=_gated(c.int("intermediate_size"), activation=act), tied=c.flag("tie_word_embeddings", True))


def gemma2(c: Config) -> Decoder:
    d = gemma(c)
    d.layout = "sandwich"
    return d


def gemma3_text(c: Config) -> Decoder:
    d = gemma2(c)
    d.qk_norm = "rmsnorm"
    return d


def phi(c: Config) -> Decoder:
    qk = c.flag("qk_layernorm", False)
    return Decoder(**_common(c), bias=dict(ALL), norm="layernorm", layout="parallel",
                   qk_norm="layernorm" if qk else "none",
                   mlp={"type": "mlp", "hidden": c.int("intermediate_size"), "bias": True, "activation": "gelu_tanh"},
                   tied=c.flag("tie_word_embeddings", False), head_bias=True, names={"final": "final_layernorm"})


def phi3(c: Config) -> Decoder:
    return Decoder(**_common(c), qkv="fused", mlp=_gated(c.int("intermediate_size"), fused=True),
                   tied=c.flag("tie_word_embeddings", False))


def olmo2(c: Config) -> Decoder:
    return Decoder(**_common(c), bias=dict.fromkeys(ALL, c.flag("attention_bias", False)), layout="post",
                   qk_norm="rmsnorm", qk_norm_scope="all", mlp=_gated(c.int("intermediate_size")),
                   tied=c.flag("tie_word_embeddings", False))


def olmoe(c: Config) -> Decoder:
    return Decoder(**_common(c), bias=dict.fromkeys(ALL, c.flag("attention_bias", False)),
                   qk_norm="rmsnorm", qk_norm_scope="all", tied=c.flag("tie_word_embeddings", False),
                   mlp=_moe(c.int("num_experts"), c.int("num_experts_per_tok"), c.int("intermediate_size")))


def gpt2(c: Config) -> Decoder:
    width = c.int("n_embd")
    inner = c.int("n_inner", None) if c.has("n_inner") else 4 * width
    return Decoder(vocab=c.int("vocab_size"), width=width, layers=c.int("n_layer"), heads=c.int("n_head"),
                   kv_heads=c.int("n_head"), bias=dict(ALL), qkv="fused", norm="layernorm",
                   mlp={"type": "mlp", "hidden": inner, "bias": True, "activation": "gelu_tanh"},
                   tied=c.flag("tie_word_embeddings", True), positions=c.int("n_positions"),
                   names={"embed": "wte", "block": "h", "attn": "attn", "norm1": "ln_1", "norm2": "ln_2",
                          "final": "ln_f"})


def gptj(c: Config) -> Decoder:
    width = c.int("n_embd")
    inner = c.int("n_inner", None) if c.has("n_inner") else 4 * width
    return Decoder(vocab=c.int("vocab_size"), width=width, layers=c.int("n_layer"), heads=c.int("n_head"),
                   kv_heads=c.int("n_head"), norm="layernorm", layout="parallel",
                   mlp={"type": "mlp", "hidden": inner, "bias": True, "activation": "gelu_tanh"},
                   tied=c.flag("tie_word_embeddings", False), head_bias=True,
                   names={"embed": "wte", "block": "h", "attn": "attn", "norm1": "ln_1", "final": "ln_f"})


def gpt_neox(c: Config) -> Decoder:
    bias = c.flag("attention_bias", True)
    parallel = c.flag("use_parallel_residual", True)
    return Decoder(**_common(c, kv_heads=""), bias=dict.fromkeys(ALL, bias), qkv="fused", norm="layernorm",
                   layout="parallel2" if parallel else "pre",
                   mlp={"type": "mlp", "hidden": c.int("intermediate_size"), "bias": True, "activation": "gelu"},
                   tied=c.flag("tie_word_embeddings", False),
                   names={"embed": "embed_in", "attn": "attention", "final": "final_layer_norm", "head": "embed_out"})


def falcon(c: Config) -> Decoder:
    bias = c.flag("bias", False)
    heads = c.int("num_attention_heads")
    new = c.flag("new_decoder_architecture", False)
    if c.flag("alibi", False):
        pass  # ALiBi has no parameters
    if new:
        kv = c.int("num_kv_heads", heads)
    else:
        kv = 1 if c.flag("multi_query", True) else heads
    parallel = c.flag("parallel_attn", True)
    width = c.int("hidden_size")
    hidden = c.int("ffn_hidden_size", None) if c.has("ffn_hidden_size") else 4 * width
    layout = "parallel2" if new and c.int("num_ln_in_parallel_attn", 2) == 2 else ("parallel" if parallel else "pre")
    names = {"embed": "word_embeddings", "block": "h", "attn": "self_attention", "final": "ln_f"}
    if layout == "parallel2":
        names.update(norm1="ln_attn", norm2="ln_mlp")
    return Decoder(vocab=c.int("vocab_size"), width=width, layers=c.int("num_hidden_layers"), heads=heads,
                   kv_heads=kv, bias=dict.fromkeys(ALL, bias), qkv="fused", norm="layernorm", layout=layout,
                   mlp={"type": "mlp", "hidden": hidden, "bias": bias, "activation": "gelu"},
                   tied=c.flag("tie_word_embeddings", True), names=names)


def deepseek(c: Config) -> Decoder:
    """DeepSeek-V2/V3: multi-head latent attention (format 2 ``mla``), shared and routed experts, and
    ``first_k_dense_replace`` dense layers first. V3's router correction bias is a buffer, not a
    parameter (transformers registers it so): not counted."""
    common = _common(c)
    latent = {"type": "mla", "heads": common["heads"], "kv_lora_rank": c.int("kv_lora_rank"),
              "qk_rope_head_dim": c.int("qk_rope_head_dim"), "qk_nope_head_dim": c.int("qk_nope_head_dim"),
              "v_head_dim": c.int("v_head_dim"), "bias": c.flag("attention_bias", False)}
    if c.has("q_lora_rank"):
        latent["q_lora_rank"] = c.int("q_lora_rank")
    first, freq = c.int("first_k_dense_replace", 0, minimum=0), c.int("moe_layer_freq", 1)
    layers = common["layers"]
    dense = frozenset(i for i in range(layers) if i < first or i % freq != 0)
    shared = c.int("n_shared_experts", 0, minimum=0)
    inner = c.int("moe_intermediate_size")
    moe = _moe(c.int("n_routed_experts"), c.int("num_experts_per_tok"), inner, shared * inner or None)
    return Decoder(**common, attention=latent, mlp=moe, dense_mlp=_gated(c.int("intermediate_size")),
                   dense_layers=dense, tied=c.flag("tie_word_embeddings", False))


DECODERS: dict[str, Callable[[Config], Decoder]] = {
    "llama": llama, "mistral": mistral, "mixtral": mixtral, "qwen2": qwen2, "qwen2_moe": qwen2_moe,
    "qwen3": qwen3, "qwen3_moe": qwen3_moe, "gemma": gemma, "gemma2": gemma2, "gemma3_text": gemma3_text,
    "phi": phi, "phi3": phi3, "olmo2": olmo2, "olmoe": olmoe, "gpt2": gpt2, "gptj": gptj,
    "gpt_neox": gpt_neox, "falcon": falcon, "deepseek_v2": deepseek, "deepseek_v3": deepseek,
}
#: families whose layers need a format 2 type another change brings (multi-head latent attention)
NEEDS = {"deepseek_v2": "mla", "deepseek_v3": "mla"}
