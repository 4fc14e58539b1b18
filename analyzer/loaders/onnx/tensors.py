"""Per-tensor helpers for the ONNX loader: payload presence, byte sizes,
small values and uniformity, read off a TensorProto without importing
onnx's helpers or numpy for large payloads.
"""

from __future__ import annotations

from typing import Any

from .graph import KEEP_BYTES
from .shapes import elements

# onnx.proto enum values, so that the per-tensor helpers import nothing.
_EXTERNAL = 1  # TensorProto.EXTERNAL
STRING = 8  # TensorProto.STRING
_INT64 = 7  # TensorProto.INT64


def has_payload(t: Any) -> bool:
    """Whether a TensorProto's values are inside the loaded model."""
    if t.data_location == _EXTERNAL:
        return False
    if t.raw_data or t.float_data or t.int32_data or t.int64_data or t.double_data \
            or t.uint64_data or t.string_data:
        return True
    return elements(tuple(t.dims)) == 0


#: Bytes per element of each TensorProto data type, as numpy stores it
#: (onnx.helper.tensor_dtype_to_np_dtype, without importing all of onnx):
#: FLOAT, UINT8, INT8, UINT16, INT16, INT32, INT64, STRING (an object
#: pointer), BOOL, FLOAT16, DOUBLE, UINT32, UINT64, COMPLEX64, COMPLEX128,
#: BFLOAT16, the float8s, (U)INT4 and FLOAT4 (one byte each, unpacked).
_ITEMSIZE = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 8: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8,
             14: 8, 15: 16, 16: 2, 17: 1, 18: 1, 19: 1, 20: 1, 21: 1, 22: 1, 23: 1, 24: 1, 25: 1,
             26: 1}


def _itemsize(data_type: int) -> int:
    return _ITEMSIZE.get(data_type, 8)


def tensor_nbytes(t: Any) -> int:
    n = elements(tuple(t.dims)) or 0
    return n * _itemsize(t.data_type)


#: data_type -> numpy dtype string, for types whose raw_data numpy reads as
#: it is (little-endian, one element per itemsize bytes): what
#: numpy_helper.to_array does for them, without its per-call overhead.
_RAW_DTYPES = {1: "<f4", 2: "u1", 3: "i1", 4: "<u2", 5: "<i2", 6: "<i4", 7: "<i8", 9: "?",
               10: "<f2", 11: "<f8", 12: "<u4", 13: "<u8"}


def tensor_values(t: Any) -> Any:
    """numpy array of a small TensorProto with its payload, else None."""
    if not has_payload(t) or tensor_nbytes(t) > KEEP_BYTES * 4:
        return None
    raw = t.raw_data
    if raw:
        dtype = _RAW_DTYPES.get(t.data_type)
        dims = tuple(t.dims)
        n = elements(dims)
        if dtype is not None and n is not None and n * _itemsize(t.data_type) == len(raw) \
                and not t.HasField("segment") and t.data_location != _EXTERNAL:
            import numpy as np

            return np.frombuffer(raw, dtype=dtype).reshape(dims)
    try:
        return _typed_values(t)
    except Exception:
        return None


#: data_type -> (repeated field, numpy dtype) for values stored in the typed
#: fields rather than raw_data: numpy_helper.to_array's reading of them.
_TYPED_FIELDS = {1: ("float_data", "<f4"), 11: ("double_data", "<f8"), 7: ("int64_data", "<i8"),
                 6: ("int32_data", "<i4"), 2: ("int32_data", "u1"), 3: ("int32_data", "i1"),
                 4: ("int32_data", "<u2"), 5: ("int32_data", "<i2"), 9: ("int32_data", "?"),
                 12: ("uint64_data", "<u4"), 13: ("uint64_data", "<u8")}


def _typed_values(t: Any) -> Any:
    """numpy array of a small tensor stored in a typed field (or raw in an
    uncommon layout): read here for the common types, by onnx's
    numpy_helper (which imports all of onnx) for the others."""
    typed = _TYPED_FIELDS.get(t.data_type)
    if typed is not None and not t.raw_data and not t.HasField("segment"):
        import numpy as np

        values = getattr(t, typed[0])
        dims = tuple(t.dims)
        if elements(dims) == len(values):
            return np.array(list(values)).astype(typed[1]).reshape(dims)
    from .lean import full

    return full().numpy_helper.to_array(t)


def all_equal(arr: Any) -> bool | None:
    if arr is None:
        return None
    import numpy as np

    flat = np.asarray(arr).reshape(-1)
    if flat.size <= 1:
        return True
    first = flat[0]
    try:
        if isinstance(first, (float, np.floating)) and np.isnan(first):
            return bool(np.all(np.isnan(flat)))
    except TypeError:
        pass
    return bool(np.all(flat == first))


_FLOAT_FORMATS = {1: "<2f", 10: "<2e", 11: "<2d"}  # FLOAT, FLOAT16, DOUBLE
_INT_TYPES = frozenset({2, 3, 4, 5, 6, 7, 12, 13})  # (U)INT8/16/32/64


def raw_uniform(t: Any) -> bool | None:
    """``all_equal(tensor_values(t))`` read from a small tensor's raw bytes,
    when that is certain without numpy (None: ask numpy). A bias read by
    one layer is nearly always told apart by its first two elements."""
    raw = getattr(t, "raw_data", None)
    if not raw or t.data_location == _EXTERNAL:
        return None
    data_type = t.data_type
    if data_type not in _RAW_DTYPES or t.HasField("segment"):
        return None
    size = _itemsize(data_type)
    n = elements(tuple(t.dims))
    if n is None or n * size != len(raw) or len(raw) > KEEP_BYTES * 4:
        return None  # tensor_values' own path decides
    if n <= 1 or raw == raw[:size] * n:
        return True  # one element, or every element the same bits
    if data_type in _INT_TYPES:
        return False  # integers: different bits, different values
    fmt = _FLOAT_FORMATS.get(data_type)
    if fmt is not None:
        import struct

        a, b = struct.unpack_from(fmt, raw)
        if a != b and not (a != a and b != b):  # differ, and not two NaNs
            return False
    return None
