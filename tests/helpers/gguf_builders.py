"""A minimal GGUF writer for tests: header, metadata and tensor infos, data optional.

Enough of the format (v3, little-endian) to write hostile and edge cases
that the gguf package refuses to write; fixtures/gguf/ holds files the
gguf package itself wrote, for the real figures.
"""

from __future__ import annotations

import struct

U32, I32, F32, BOOL, STRING, ARRAY, U64 = 4, 5, 6, 7, 8, 9, 10


def string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(data)) + data


def value(kind: int, v) -> bytes:
    if kind == STRING:
        return string(v)
    if kind == ARRAY:
        item, items = v
        return struct.pack("<IQ", item, len(items)) + b"".join(value(item, x) for x in items)
    return struct.pack({U32: "<I", I32: "<i", F32: "<f", BOOL: "<?", U64: "<Q"}[kind], v)


def gguf(metadata: list[tuple[str, int, object]], tensors: list[tuple[str, tuple[int, ...], int, int]],
         version: int = 3, counts: tuple[int, int] | None = None, data: bytes = b"") -> bytes:
    """The bytes of a GGUF file; ``tensors`` are (name, ggml dims, type id, offset)."""
    n_tensors, n_keys = counts if counts else (len(tensors), len(metadata))
    out = b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_keys)
    for key, kind, v in metadata:
        out += string(key) + struct.pack("<I", kind) + value(kind, v)
    for name, dims, type_id, offset in tensors:
        out += string(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
        out += struct.pack("<IQ", type_id, offset)
    out += b"\x00" * (-len(out) % 32)
    return out + data


def llama_metadata(layers: int = 32, heads: int = 32, kv_heads: int = 8, width: int = 4096,
                   context: int = 8192, vocab: int = 0) -> list[tuple[str, int, object]]:
    meta = [("general.architecture", STRING, "llama"), ("llama.block_count", U32, layers),
            ("llama.attention.head_count", U32, heads), ("llama.attention.head_count_kv", U32, kv_heads),
            ("llama.embedding_length", U32, width), ("llama.context_length", U32, context)]
    if vocab:
        meta.append(("tokenizer.ggml.tokens", ARRAY, (STRING, [f"tok{i}" for i in range(vocab)])))
    return meta
