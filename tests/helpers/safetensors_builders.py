"""Writing safetensors files for tests: the header exactly as the format lays it out.

``write`` stores the data (zeros) or, with ``data=False``, only the header:
a header-only file, as a truncated download or a fixture of a model too
large to store. ``llama3_8b`` names Llama-3-8B's tensors with their
published shapes (config: hidden 4096, 32 layers, 32 heads, 8 key/value
heads, intermediate 14336, vocabulary 128256, untied head).
"""

from __future__ import annotations

import json
import struct
from math import prod

BITS = {"BOOL": 8, "U8": 8, "I8": 8, "F8_E4M3": 8, "F8_E5M2": 8, "I16": 16, "F16": 16, "BF16": 16,
        "I32": 32, "U32": 32, "F32": 32, "F64": 64, "I64": 64}


def header_bytes(tensors: dict[str, tuple[str, tuple[int, ...]]], metadata: dict | None = None) -> tuple[bytes, int]:
    """The 8-byte length and JSON header, and the data size the offsets describe."""
    doc: dict = {}
    if metadata is not None:
        doc["__metadata__"] = metadata
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = (prod(shape) * BITS[dtype] + 7) // 8
        doc[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, offset


def write(path, tensors: dict[str, tuple[str, tuple[int, ...]]], data: bool = True,
          metadata: dict | None = None) -> int:
    """Write the file; returns the data bytes its header describes."""
    head, size = header_bytes(tensors, metadata)
    with open(path, "wb") as handle:
        handle.write(head)
        if data:
            handle.write(bytes(size))
    return size


def llama3_8b(dtype: str = "BF16") -> dict[str, tuple[str, tuple[int, ...]]]:
    """Llama-3-8B's tensors, named as its checkpoint names them."""
    d, inter, kv, vocab = 4096, 14336, 1024, 128256
    out = {"model.embed_tokens.weight": (dtype, (vocab, d))}
    for i in range(32):
        p = f"model.layers.{i}."
        out.update({
            p + "input_layernorm.weight": (dtype, (d,)),
            p + "mlp.down_proj.weight": (dtype, (d, inter)),
            p + "mlp.gate_proj.weight": (dtype, (inter, d)),
            p + "mlp.up_proj.weight": (dtype, (inter, d)),
            p + "post_attention_layernorm.weight": (dtype, (d,)),
            p + "self_attn.k_proj.weight": (dtype, (kv, d)),
            p + "self_attn.o_proj.weight": (dtype, (d, d)),
            p + "self_attn.q_proj.weight": (dtype, (d, d)),
            p + "self_attn.v_proj.weight": (dtype, (kv, d)),
        })
    out["model.norm.weight"] = (dtype, (d,))
    out["lm_head.weight"] = (dtype, (vocab, d))
    return out


def write_index(folder, shards: dict[str, dict[str, tuple[str, tuple[int, ...]]]], data: bool = False,
                name: str = "model.safetensors.index.json", write_shards: bool = True) -> int:
    """Write shards (file name -> tensors) and their index; returns the total data bytes."""
    total, weight_map = 0, {}
    for shard, tensors in shards.items():
        if write_shards:
            total += write(folder / shard, tensors, data=data)
        else:
            total += header_bytes(tensors)[1]
        weight_map.update(dict.fromkeys(tensors, shard))
    (folder / name).write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}))
    return total
