"""The decoder-only transformer as a format 2 document, from a family's reading of its config.

Every decoder family transformers ships is the same stack with different
choices: which norm and where (before, after, both), whether attention and
the MLP run in parallel, biases, fused projections, q/k norms, a gated or
plain MLP, experts, a learned position table, a tied head. A family module
reads its config into a ``Decoder`` and this module writes the layers, named
as transformers names the modules (``layers.0.self_attn``), so the format 2
builder sizes them with the one arithmetic every paramlint file uses.

Sequence length: one token (``input: [1]``). A config.json has no sequence
length; one token's MACs are what a decode step costs without its cache
(docs/hf-config.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOKENS = 1


@dataclass
class Decoder:
    vocab: int
    width: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int | None = None
    #: bias per projection {q, k, v, o}
    bias: dict[str, bool] = field(default_factory=lambda: dict(q=False, k=False, v=False, o=False))
    qkv: str = "separate"
    qk_norm: str = "none"
    qk_norm_scope: str = "head"
    norm: str = "rmsnorm"          # or "layernorm"
    norm_bias: bool = True         # a layernorm's shift
    #: "pre": norm, attention, add, norm, mlp, add (Llama); "sandwich": Gemma 2's four norms;
    #: "post": OLMo 2's norms after each sublayer; "parallel": one norm, attention and MLP side by side;
    #: "parallel2": a norm each, side by side (GPT-NeoX, Falcon's new architecture)
    layout: str = "pre"
    #: the MLP (or moe) layer, without its name
    mlp: dict[str, Any] = field(default_factory=dict)
    #: the MLP of layers that have no experts (DeepSeek's first layers, Qwen-MoE's mlp_only_layers)
    dense_mlp: dict[str, Any] | None = None
    #: which layers use ``dense_mlp`` instead of ``mlp``
    dense_layers: frozenset[int] = frozenset()
    tied: bool = False
    head_bias: bool = False
    positions: int | None = None   # a learned position table (GPT-2)
    final_norm: bool = True
    names: dict[str, str] = field(default_factory=dict)  # transformers' module names, per role
    #: an attention layer of another type, given whole (DeepSeek's ``mla``)
    attention: dict[str, Any] | None = None


NAMES = {"embed": "embed_tokens", "pos": "wpe", "block": "layers", "attn": "self_attn", "mlp": "mlp",
         "norm1": "input_layernorm", "norm2": "post_attention_layernorm", "norm3": "pre_feedforward_layernorm",
         "norm4": "post_feedforward_layernorm", "final": "norm", "head": "lm_head"}


def _norm(d: Decoder, name: str, inputs: Any = None) -> dict:
    layer: dict[str, Any] = {"name": name, "type": d.norm}
    if d.norm == "layernorm" and not d.norm_bias:
        layer["bias"] = False
    if inputs is not None:
        layer["inputs"] = inputs
    return layer


def _attention(d: Decoder, name: str, inputs: Any) -> dict:
    if d.attention is not None:
        return {"name": name, **d.attention, "inputs": inputs}
    layer = {"name": name, "type": "attention", "heads": d.heads, "kv_heads": d.kv_heads, "bias": dict(d.bias),
             "causal": True, "inputs": inputs}
    if d.head_dim is not None:
        layer["head_dim"] = d.head_dim
    if d.qkv != "separate":
        layer["qkv"] = d.qkv
    if d.qk_norm != "none":
        layer.update(qk_norm=d.qk_norm, qk_norm_scope=d.qk_norm_scope)
    return layer


def _layer(d: Decoder, mlp: dict) -> list[dict]:
    n = {**NAMES, **d.names}
    attn, mlp_name = n["attn"], n["mlp"]
    ffn = {"name": mlp_name, **mlp}
    if d.layout == "pre":
        return [_norm(d, n["norm1"], "@input"), _attention(d, attn, n["norm1"]),
                {"name": "attn_residual", "type": "add", "inputs": [attn, "@input"]},
                _norm(d, n["norm2"]), ffn, {"name": "mlp_residual", "type": "add", "inputs": [mlp_name, "attn_residual"]}]
    if d.layout == "sandwich":
        return [_norm(d, n["norm1"], "@input"), _attention(d, attn, n["norm1"]), _norm(d, n["norm2"]),
                {"name": "attn_residual", "type": "add", "inputs": [n["norm2"], "@input"]},
                _norm(d, n["norm3"]), ffn, _norm(d, n["norm4"]),
                {"name": "mlp_residual", "type": "add", "inputs": [n["norm4"], "attn_residual"]}]
    if d.layout == "post":
        return [_attention(d, attn, "@input"), _norm(d, n["norm2"]),
                {"name": "attn_residual", "type": "add", "inputs": [n["norm2"], "@input"]},
                ffn, _norm(d, n["norm4"]), {"name": "mlp_residual", "type": "add", "inputs": [n["norm4"], "attn_residual"]}]
    if d.layout == "parallel":
        return [_norm(d, n["norm1"], "@input"), _attention(d, attn, n["norm1"]), {**ffn, "inputs": n["norm1"]},
                {"name": "residual", "type": "add", "inputs": [attn, mlp_name, "@input"]}]
    if d.layout == "parallel2":
        return [_norm(d, n["norm1"], "@input"), _attention(d, attn, n["norm1"]), _norm(d, n["norm2"], "@input"),
                {**ffn, "inputs": n["norm2"]}, {"name": "residual", "type": "add", "inputs": [attn, mlp_name, "@input"]}]
    raise ValueError(d.layout)


def _blocks(d: Decoder) -> list[dict]:
    """One block per run of layers alike: ``layers`` when all are (Llama), else a block per run."""
    n = {**NAMES, **d.names}
    kinds = ["dense" if i in d.dense_layers and d.dense_mlp is not None else "main" for i in range(d.layers)]
    runs: list[tuple[str, int]] = []
    for kind in kinds:
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + 1)
        else:
            runs.append((kind, 1))
    blocks = []
    for index, (kind, repeat) in enumerate(runs):
        name = n["block"] if len(runs) == 1 else f"{n['block']}_{index}"
        blocks.append({"type": "block", "name": name, "repeat": repeat,
                       "layers": _layer(d, d.dense_mlp if kind == "dense" else d.mlp)})
    return blocks


def document(d: Decoder, name: str) -> dict:
    """The format 2 document of a decoder: embedding, blocks, final norm, head."""
    n = {**NAMES, **d.names}
    layers: list[dict] = [{"name": n["embed"], "type": "embedding", "num_embeddings": d.vocab, "dim": d.width}]
    if d.positions is not None:
        layers.append({"name": n["pos"], "type": "position_embedding", "max_positions": d.positions})
    layers += _blocks(d)
    if d.final_norm:
        layers.append(_norm(d, n["final"]))
    head: dict[str, Any] = {"name": n["head"], "type": "dense", "units": d.vocab, "bias": d.head_bias}
    if d.tied:
        head["share"] = n["embed"]
    layers.append(head)
    return {"paramlint": 2, "name": name, "input": [TOKENS], "layers": layers}
