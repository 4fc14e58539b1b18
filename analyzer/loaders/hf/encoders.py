"""Encoder families (BERT, RoBERTa) as format 2 documents: embeddings, post-norm layers, pooler.

transformers' AutoModel builds these with their pooler (``BertModel``),
which is what their published counts are (bert-base-uncased: 109,482,240).
Sequence length: the config's ``max_position_embeddings`` less RoBERTa's
padding offset (514 - 2 = 512), the length the model was trained at.
"""

from __future__ import annotations

from typing import Callable

from .config import Config


def bert(c: Config, name: str, offset: int = 0) -> dict:
    width, heads = c.int("hidden_size"), c.int("num_attention_heads")
    positions = c.int("max_position_embeddings")
    tokens = positions - offset
    if tokens < 1:
        raise c.error("config.json: 'max_position_embeddings' leaves no token positions")
    eps_layer = {"type": "layernorm"}
    layers = [
        {"name": "word_embeddings", "type": "embedding", "num_embeddings": c.int("vocab_size"), "dim": width,
         "inputs": "input_ids"},
        {"name": "position_embeddings", "type": "position_embedding", "max_positions": positions},
        {"name": "token_type_embeddings", "type": "embedding", "num_embeddings": c.int("type_vocab_size", 2),
         "dim": width, "inputs": "token_type_ids"},
        {"name": "embeddings_sum", "type": "add", "inputs": ["position_embeddings", "token_type_embeddings"]},
        {"name": "embeddings_norm", **eps_layer},
        {"type": "block", "name": "layer", "repeat": c.int("num_hidden_layers"), "layers": [
            {"name": "attention", "type": "attention", "heads": heads, "inputs": "@input"},
            {"name": "attention_residual", "type": "add", "inputs": ["attention", "@input"]},
            {"name": "attention_norm", **eps_layer},
            {"name": "intermediate", "type": "mlp", "hidden": c.int("intermediate_size"), "activation": "gelu"},
            {"name": "output_residual", "type": "add", "inputs": ["intermediate", "attention_norm"]},
            {"name": "output_norm", **eps_layer},
        ]},
        {"name": "cls", "type": "select", "index": 0},
        {"name": "pooler", "type": "dense", "units": width},
        {"name": "pooler_activation", "type": "tanh"},
    ]
    return {"paramlint": 2, "name": name, "inputs": {"input_ids": [tokens], "token_type_ids": [tokens]},
            "layers": layers}


def roberta(c: Config, name: str) -> dict:
    # RoBERTa's position ids start after the padding index (padding_idx + 1 = 2)
    return bert(c, name, offset=c.int("pad_token_id", 1, minimum=0) + 1)


ENCODERS: dict[str, Callable[[Config, str], dict]] = {"bert": bert, "roberta": roberta}


def vit(c: Config, name: str) -> dict:
    """ViTModel: patches by a strided convolution, a class token, learned positions, pre-norm layers, pooler."""
    width, heads = c.int("hidden_size"), c.int("num_attention_heads")
    image, patch, channels = c.int("image_size", 224), c.int("patch_size", 16), c.int("num_channels", 3)
    if image % patch:
        raise c.error(f"config.json: image_size {image} is not a multiple of patch_size {patch}")
    qkv_bias = c.flag("qkv_bias", True)
    layers = [
        {"name": "patch_embeddings", "type": "conv2d", "filters": width, "kernel": patch, "stride": patch},
        {"name": "patches", "type": "tokens"},
        {"name": "cls_token", "type": "class_token"},
        {"name": "position_embeddings", "type": "position_embedding"},
        {"type": "block", "name": "layer", "repeat": c.int("num_hidden_layers"), "layers": [
            {"name": "layernorm_before", "type": "layernorm", "inputs": "@input"},
            {"name": "attention", "type": "attention", "heads": heads,
             "bias": {"q": qkv_bias, "k": qkv_bias, "v": qkv_bias, "o": True}},
            {"name": "attention_residual", "type": "add", "inputs": ["attention", "@input"]},
            {"name": "layernorm_after", "type": "layernorm"},
            {"name": "mlp", "type": "mlp", "hidden": c.int("intermediate_size"), "activation": "gelu"},
            {"name": "mlp_residual", "type": "add", "inputs": ["mlp", "attention_residual"]},
        ]},
        {"name": "layernorm", "type": "layernorm"},
        {"name": "cls", "type": "select", "index": 0},
        {"name": "pooler", "type": "dense", "units": width},
        {"name": "pooler_activation", "type": "tanh"},
    ]
    return {"paramlint": 2, "name": name, "input": [channels, image, image], "layers": layers}


ENCODERS["vit"] = vit
