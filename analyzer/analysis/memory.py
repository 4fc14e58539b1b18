"""Weight memory: the bytes the parameters take (counting.md, "Compute and memory").

At their stored data types (an int8 weight is one byte, int4 half a byte),
and, as a what-if, every parameter at one precision (fp32, fp16/bf16, int8,
int4). Counted over the same tensors as ``params``: each weight once, an
exporter's merged constant once per reading layer (as a trained model
stores it), unused tensors not at all. So an fp32 model's weight bytes are
exactly ``4 * params`` (VGG16: 553,430,176).
"""

from __future__ import annotations

from .counting import Counts
from paramlint.ir.model import Model

#: Bits per element of each stored type (Weight.dtype). A weight whose
#: type the source does not give (YAML) is float32.
BITS = {
    "float32": 32, "float16": 16, "bfloat16": 16, "float64": 64,
    "int8": 8, "uint8": 8, "int16": 16, "uint16": 16, "int32": 32, "uint32": 32,
    "int64": 64, "uint64": 64, "bool": 8, "complex64": 64, "complex128": 128,
    "float8e4m3fn": 8, "float8e4m3fnuz": 8, "float8e5m2": 8, "float8e5m2fnuz": 8,
    "float8e8m0": 8, "int4": 4, "uint4": 4, "float4e2m1": 4, "int2": 2, "uint2": 2,
    "int3": 3, "float6e2m3": 6, "float6e3m2": 6,
}
DEFAULT_DTYPE = "float32"

#: The what-if precisions: label -> bits per parameter.
WHAT_IF = (("fp32", 32), ("fp16", 16), ("int8", 8), ("int4", 4))


def _bytes(elements: int, bits: int) -> int:
    """Stored bytes of one tensor: sub-byte types packed, the last byte rounded up."""
    return (elements * bits + 7) // 8


def weight_bytes(model: Model, counts: Counts) -> dict[str, int]:
    """``{"weight_bytes": stored, "fp32": ..., "fp16": ..., "int8": ..., "int4": ...}``."""
    unused = {t.name for t in counts.unused}
    copies = {t.name: len(t.layers) for t in counts.merged_constants}
    stored = 0
    for name, weight in model.weights.items():
        if name in unused:
            continue
        if weight.nbytes is not None:  # the file's own figure (a block-quantized GGUF tensor)
            stored += weight.nbytes * copies.get(name, 1)
            continue
        n = weight.elements * copies.get(name, 1)
        stored += _bytes(n, BITS.get(weight.dtype or DEFAULT_DTYPE, 32))
    params = counts.totals.params
    out = {"weight_bytes": stored}
    out.update((label, _bytes(params, bits)) for label, bits in WHAT_IF)
    return out
