"""ggml's tensor types: elements per block and bytes per block, so bits per weight are exact.

From ggml's type traits table (``ggml.c``, mirrored as ``GGML_QUANT_SIZES``
in the ``gguf`` Python package, which this table was checked against:
gguf 0.x, tests/loaders/gguf). Q4_0 stores 32 weights in 18 bytes (16
bytes of nibbles and an fp16 scale): 4.5 bits per weight; Q8_0 34 bytes
per 32: 8.5. Ids 4, 5 and 31-33, 36-38 are types llama.cpp removed; a file
naming one (or any id not listed) has tensors of unknown size.
"""

from __future__ import annotations

#: id -> (name, elements per block, bytes per block)
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
    26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36),
    41: ("Q1_0", 128, 18),
}

#: the IR's per-element names for the plain types (analysis/memory.py's BITS)
PLAIN = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64",
         "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64"}


def bits_per_weight(type_id: int) -> float:
    """8 x bytes per block / elements per block: Q4_0 4.5, Q8_0 8.5, Q4_K 4.5."""
    _, block, size = GGML_TYPES[type_id]
    return size * 8 / block
