"""Encoder-decoder families (T5, Whisper) as format 2 documents.

The encoder reads the length the model was trained on (T5's ``n_positions``,
512; Whisper's 30 s of audio, 3000 mel frames halved to
``max_source_positions``); the decoder one token, as decoders do here
(decoder.py). T5's relative position bias lives in the first layer of each
stack only; Whisper's key projections have no bias, and its encoder
positions are a stored sinusoidal table, not trained.
"""

from __future__ import annotations

from typing import Any, Callable

from .config import Config

RESIDUAL = "add"


def _t5_ffn(c: Config) -> dict:
    proj = c.raw("feed_forward_proj", "relu")
    if not isinstance(proj, str) or proj.replace("gated-", "") not in ("relu", "gelu", "gelu_new", "silu"):
        raise c.error(f"config.json: feed_forward_proj {str(proj)[:40]!r} is not one paramlint models")
    act = {"relu": "relu", "gelu": "gelu", "gelu_new": "gelu_tanh", "silu": "silu"}[proj.replace("gated-", "")]
    kind = "gated_mlp" if proj.startswith("gated-") else "mlp"
    return {"name": "DenseReluDense", "type": kind, "hidden": c.int("d_ff"), "activation": act, "bias": False}


def _t5_stack(c: Config, prefix: str, layers: int, heads: int, head_dim: int, buckets: int,
              cross: str | None) -> list[dict]:
    def block(first: bool) -> list[dict]:
        attn: dict[str, Any] = {"name": "SelfAttention", "type": "attention", "heads": heads, "head_dim": head_dim,
                                "bias": False, "inputs": "layer_norm_0"}
        if first:
            attn["relative_bias"] = buckets
        if cross is None:
            attn["causal"] = False
        out = [{"name": "layer_norm_0", "type": "rmsnorm", "inputs": "@input"}, attn,
               {"name": "residual_0", "type": RESIDUAL, "inputs": ["SelfAttention", "@input"]}]
        last = "residual_0"
        if cross is not None:
            out += [{"name": "layer_norm_1", "type": "rmsnorm"},
                    {"name": "EncDecAttention", "type": "attention", "heads": heads, "head_dim": head_dim,
                     "bias": False, "inputs": ["layer_norm_1", cross]},
                    {"name": "residual_1", "type": RESIDUAL, "inputs": ["EncDecAttention", last]}]
            last = "residual_1"
        out += [{"name": "layer_norm_2", "type": "rmsnorm"}, _t5_ffn(c),
                {"name": "residual_2", "type": RESIDUAL, "inputs": ["DenseReluDense", last]}]
        return out

    blocks = [{"type": "block", "name": f"{prefix}_block_first", "layers": block(True)}]
    if layers > 1:
        blocks.append({"type": "block", "name": f"{prefix}_block", "repeat": layers - 1, "layers": block(False)})
    return blocks


def t5(c: Config, name: str) -> dict:
    width, vocab = c.int("d_model"), c.int("vocab_size")
    heads, head_dim = c.int("num_heads"), c.int("d_kv")
    layers = c.int("num_layers")
    decoder_layers = c.int("num_decoder_layers", layers)
    buckets = c.int("relative_attention_num_buckets", 32)
    tied = c.flag("tie_word_embeddings", True)
    doc = [{"name": "shared", "type": "embedding", "num_embeddings": vocab, "dim": width, "inputs": "input_ids"}]
    doc += _t5_stack(c, "encoder", layers, heads, head_dim, buckets, None)
    doc.append({"name": "encoder_final_layer_norm", "type": "rmsnorm"})
    doc.append({"name": "decoder_embed_tokens", "type": "embedding", "num_embeddings": vocab, "dim": width,
                "inputs": "decoder_input_ids", "share": "shared"})
    doc += _t5_stack(c, "decoder", decoder_layers, heads, head_dim, buckets, "encoder_final_layer_norm")
    doc.append({"name": "decoder_final_layer_norm", "type": "rmsnorm"})
    head: dict[str, Any] = {"name": "lm_head", "type": "dense", "units": vocab, "bias": False}
    if tied:
        head["share"] = "shared"
    doc.append(head)
    tokens = c.int("n_positions", 512)
    return {"paramlint": 2, "name": name, "inputs": {"input_ids": [tokens], "decoder_input_ids": [1]}, "layers": doc}


WHISPER_BIAS = {"q": True, "k": False, "v": True, "o": True}


def _whisper_layer(width_ffn: int, heads: int, cross: str | None) -> list[dict]:
    out = [{"name": "self_attn_layer_norm", "type": "layernorm", "inputs": "@input"},
           {"name": "self_attn", "type": "attention", "heads": heads, "bias": dict(WHISPER_BIAS),
            "causal": cross is not None},
           {"name": "residual_0", "type": RESIDUAL, "inputs": ["self_attn", "@input"]}]
    last = "residual_0"
    if cross is not None:
        out += [{"name": "encoder_attn_layer_norm", "type": "layernorm"},
                {"name": "encoder_attn", "type": "attention", "heads": heads, "bias": dict(WHISPER_BIAS),
                 "inputs": ["encoder_attn_layer_norm", cross]},
                {"name": "residual_1", "type": RESIDUAL, "inputs": ["encoder_attn", last]}]
        last = "residual_1"
    out += [{"name": "final_layer_norm", "type": "layernorm"},
            {"name": "mlp", "type": "mlp", "hidden": width_ffn, "activation": "gelu"},
            {"name": "residual_2", "type": RESIDUAL, "inputs": ["mlp", last]}]
    return out


def whisper(c: Config, name: str) -> dict:
    width, vocab = c.int("d_model"), c.int("vocab_size")
    source, target = c.int("max_source_positions", 1500), c.int("max_target_positions", 448)
    mels = c.int("num_mel_bins", 80)
    doc: list[dict] = [
        {"name": "conv1", "type": "conv1d", "filters": width, "kernel": 3, "padding": 1, "inputs": "input_features"},
        {"name": "conv1_gelu", "type": "gelu"},
        {"name": "conv2", "type": "conv1d", "filters": width, "kernel": 3, "stride": 2, "padding": 1},
        {"name": "conv2_gelu", "type": "gelu"},
        {"name": "frames", "type": "transpose", "perm": [1, 0]},
        {"name": "encoder_embed_positions", "type": "position_embedding", "max_positions": source,
         "trainable": False},
        {"type": "block", "name": "encoder_layers", "repeat": c.int("encoder_layers"),
         "layers": _whisper_layer(c.int("encoder_ffn_dim"), c.int("encoder_attention_heads"), None)},
        {"name": "encoder_layer_norm", "type": "layernorm"},
        {"name": "embed_tokens", "type": "embedding", "num_embeddings": vocab, "dim": width,
         "inputs": "decoder_input_ids"},
        {"name": "decoder_embed_positions", "type": "position_embedding", "max_positions": target},
        {"type": "block", "name": "decoder_layers", "repeat": c.int("decoder_layers"),
         "layers": _whisper_layer(c.int("decoder_ffn_dim"), c.int("decoder_attention_heads"), "encoder_layer_norm")},
        {"name": "decoder_layer_norm", "type": "layernorm"},
        {"name": "proj_out", "type": "dense", "units": vocab, "bias": False, "share": "embed_tokens"},
    ]
    return {"paramlint": 2, "name": name,
            "inputs": {"input_features": [mels, 2 * source], "decoder_input_ids": [1]}, "layers": doc}


ENCODER_DECODERS: dict[str, Callable[[Config, str], dict]] = {"t5": t5, "whisper": whisper}
