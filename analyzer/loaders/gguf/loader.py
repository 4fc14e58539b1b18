"""``load(path) -> Model`` for a GGUF file: weights at their ggml types, facts from the metadata.

Each tensor is a weight of its ggml type, with the bytes its blocks take
(``Weight.nbytes``: a Q4_0 tensor of n weights is n/32 blocks of 18
bytes), so element counts and stored bytes are both exact. ggml lists a
tensor's dimensions fastest-varying first (``[in, out]``); the IR gives
them in torch's order (``[out, in]``), so names and shapes read as in the
checkpoint the file was converted from. Modules come from the names
(``blk.0.attn_q``), as for safetensors; what they compute is not in the
file, so MACs are unknown.

The architecture (``general.architecture``) and its hyper-parameters
(``llama.block_count``, ``llama.attention.head_count_kv``, ...) become
``Model.facts``, with the KV cache they imply at llama.cpp's default f16
cache: per token, ``2 bytes x sum over layers of kv_heads x (key_length +
value_length)``.
"""

from __future__ import annotations

import os
from typing import Any

from paramlint.ir.model import Layer, LoadError, Location, Model, Weight
from paramlint.loaders.tensor_names import module_of, natural
from .reader import Gguf, read
from .types import GGML_TYPES, PLAIN, bits_per_weight

NO_MACS = "a GGUF file says what is stored, not what each tensor computes"
#: llama.cpp's default KV-cache type is f16
CACHE_BYTES = 2


def load(path: str) -> Model:
    """Load a GGUF file; raises only ``LoadError``."""
    gguf = read(path)
    weights: dict[str, Weight] = {}
    groups: dict[str, list[str]] = {}
    for info in gguf.tensors:
        if info.type_id not in GGML_TYPES:
            raise LoadError(f"tensor '{info.name}' has ggml type {info.type_id}, which paramlint does not know: "
                            "its size cannot be told", Location(path))
        kind, block, size = GGML_TYPES[info.type_id]
        shape = tuple(reversed(info.dims))
        elements = 1
        for d in shape:
            elements *= d
        if info.dims and info.dims[0] % block:
            raise LoadError(f"tensor '{info.name}': rows of {info.dims[0]} values do not fill {kind} blocks "
                            f"of {block}", Location(path))
        if info.name in weights:
            raise LoadError(f"tensor '{info.name}' is listed twice", Location(path))
        weights[info.name] = Weight(info.name, shape, trainable=True, uniform=None,
                                    dtype=PLAIN.get(kind, kind.lower()), nbytes=elements // block * size)
        groups.setdefault(module_of(info.name)[0], []).append(info.name)
    layers = [Layer(name=module, op="stored", source_op="gguf",
                    weights=sorted(names, key=natural), attrs={"macs_unknown": NO_MACS},
                    location=Location(path), module=module)
              for module, names in sorted(groups.items(), key=lambda item: natural(item[0]))]
    name = gguf.metadata.get("general.name")
    if not isinstance(name, str) or not name:
        name = os.path.splitext(os.path.basename(path))[0]
    return Model(path=path, format="gguf", name=name[:200], layers=layers, weights=weights,
                 facts=facts(gguf))


def _types(gguf: Gguf) -> dict[str, Any]:
    """Tensors, weights and bytes per ggml type, with its bits per weight."""
    out: dict[str, dict[str, Any]] = {}
    for info in gguf.tensors:
        kind, block, size = GGML_TYPES[info.type_id]
        n = 1
        for d in info.dims:
            n *= d
        entry = out.setdefault(kind, {"tensors": 0, "elements": 0, "bytes": 0,
                                      "bits_per_weight": bits_per_weight(info.type_id)})
        entry["tensors"] += 1
        entry["elements"] += n
        entry["bytes"] += n // block * size
    return out


def facts(gguf: Gguf) -> dict[str, Any]:
    """The architecture, its keys and the KV cache they imply; unknown figures are None with a reason."""
    meta = gguf.metadata
    arch = meta.get("general.architecture")
    out: dict[str, Any] = {"gguf_version": gguf.version, "ggml_types": _types(gguf)}
    if not isinstance(arch, str):
        out["architecture"] = None
        return out
    out["architecture"] = arch
    prefix = arch + "."
    keys = {k[len(prefix):]: v for k, v in meta.items()
            if k.startswith(prefix) and isinstance(v, (int, float, str, bool, list))}
    out["hyperparameters"] = keys
    out.update(kv_cache(keys))
    return out


def kv_cache(keys: dict[str, Any]) -> dict[str, Any]:
    """KV-cache bytes per token and at the context length, from an architecture's keys."""
    layers, heads = keys.get("block_count"), keys.get("attention.head_count")
    kv_heads = keys.get("attention.head_count_kv", heads)
    width = keys.get("embedding_length")
    if "attention.kv_lora_rank" in keys:
        return {"kv_cache_bytes_per_token": None,
                "kv_cache_unknown": "latent attention (kv_lora_rank): what llama.cpp caches is not "
                                    "the key/value heads"}
    if not isinstance(layers, int) or layers <= 0:
        return {"kv_cache_bytes_per_token": None, "kv_cache_unknown": "no block_count"}
    per_layer = kv_heads if isinstance(kv_heads, list) else [kv_heads] * layers
    if len(per_layer) != layers or not all(isinstance(h, int) and h >= 0 for h in per_layer):
        return {"kv_cache_bytes_per_token": None, "kv_cache_unknown": "head_count_kv is not one count per layer"}
    default = None
    if isinstance(width, int) and isinstance(heads, int) and heads > 0 and width % heads == 0:
        default = width // heads
    k_len = keys.get("attention.key_length", default)
    v_len = keys.get("attention.value_length", default)
    if not isinstance(k_len, int) or not isinstance(v_len, int):
        return {"kv_cache_bytes_per_token": None, "kv_cache_unknown": "no head width (key_length or "
                                                                     "embedding_length / head_count)"}
    per_token = CACHE_BYTES * sum(per_layer) * (k_len + v_len)
    out: dict[str, Any] = {"kv_cache_bytes_per_token": per_token, "kv_cache_dtype": "f16"}
    context = keys.get("context_length")
    if isinstance(context, int) and context > 0:
        out["context_length"] = context
        out["kv_cache_bytes_at_context"] = per_token * context
    return out
