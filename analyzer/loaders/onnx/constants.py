"""Constant analysis for the ONNX loader: which tensors of the flat graph
are constant, the roots each constant is computed from (initializers,
Constant nodes, generators), the roots' shapes and, for small payloads,
their values and whether they are uniform.

Split from onnx_graph (which flattens the graph this reads). Never opens
any path named inside the model; values are decoded only for payloads the
wire reader kept (``KEEP_BYTES``).
"""

from __future__ import annotations

from typing import Any

from . import ops
from .graph import KEEP_BYTES, Flat, FlatNode
from .shapes import elements

__all__ = ["Constants", "has_payload", "tensor_nbytes", "tensor_values", "all_equal"]


# onnx.proto enum values, so that the per-tensor helpers import nothing.
_EXTERNAL = 1  # TensorProto.EXTERNAL
_STRING = 8  # TensorProto.STRING
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


def _raw_uniform(t: Any) -> bool | None:
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


class Constants:
    """Which tensors are constant, and what roots each is computed from."""

    def __init__(self, flat: Flat) -> None:
        self.flat = flat
        self.init = flat.initializers
        self.shapes = flat.shapes
        self.producer: dict[str, FlatNode] = {}
        self.constant: set[str] = set(flat.initializers)
        self.consumers: dict[str, list[tuple[FlatNode, int]]] = {}
        producer = self.producer
        consumers = self.consumers
        constant = self.constant
        for fn in flat.nodes:
            k = 0
            for x in fn.inputs:
                if x:
                    users = consumers.get(x)
                    if users is None:
                        consumers[x] = [(fn, k)]
                    else:
                        users.append((fn, k))
                k += 1
            for o in fn.outputs:
                if o:
                    producer[o] = fn
            if self._constant_node(fn):
                constant.update(o for o in fn.outputs if o)
        self._roots: dict[str, dict[str, bool]] = {}
        self._values: dict[str, Any] = {}
        self._root_shapes: dict[str, tuple | None] = {}

    def _constant_node(self, fn: FlatNode) -> bool:
        if fn.domain not in ops.DEFAULT_DOMAINS or fn.op_type in ops.NONDETERMINISTIC:
            return False
        if fn.op_type == "Constant":
            return True
        return self._all_constant(fn.inputs)

    def _all_constant(self, names: list[str]) -> bool:
        """Every name given (the empty ones skipped) is constant, and there
        is at least one."""
        constant = self.constant
        if constant.isdisjoint(names):  # the usual node
            return False
        seen = False
        for x in names:
            if x:
                if x not in constant:
                    return False
                seen = True
        return seen

    def is_constant(self, name: str) -> bool:
        return name in self.constant

    def constant_node(self, fn: FlatNode) -> bool:
        """A node all of whose outputs are constant (part of a constant chain)."""
        return self._all_constant(fn.outputs)

    def is_generator(self, name: str) -> bool:
        fn = self.producer.get(name)
        return fn is not None and fn.op_type in ops.GENERATORS and name in self.constant

    def roots(self, name: str) -> dict[str, bool]:
        """Roots of a constant tensor: ``{root: trainable}`` in discovery
        order. Shape/axes/index inputs of the chain are not followed;
        quantisation scales and zero points are non-trainable."""
        if name in self._roots:
            return self._roots[name]
        self._roots[name] = {}  # guards against malformed cycles
        result: dict[str, bool] = {}
        if name in self.init or self.is_generator(name):
            result[name] = True
        elif name in self.constant and name in self.producer:
            fn = self.producer[name]
            for pos, x in enumerate(fn.inputs):
                if not x:
                    continue
                quant = fn.op_type in ("DequantizeLinear", "QuantizeLinear") and pos in (1, 2)
                if not quant and ops.role(fn.op_type, pos) == ops.AUX:
                    continue
                for r, tr in self.roots(x).items():
                    tr = tr and not quant
                    result[r] = result.get(r, False) or tr
        self._roots[name] = result
        return result

    # ---- shapes and values of roots

    def root_shape(self, root: str) -> tuple | None:
        """Weight shape of a root (ints), None when it cannot be known."""
        try:
            return self._root_shapes[root]
        except KeyError:
            pass
        shape = self._root_shapes[root] = self._root_shape(root)
        return shape

    def _root_shape(self, root: str) -> tuple | None:
        if root in self.init:
            return tuple(self.init[root].dims)  # upb gives ints
        fn = self.producer.get(root)
        if fn is None:
            return None
        if fn.op_type == "Constant":
            return self._constant_attr_shape(fn)
        if fn.op_type == "ConstantOfShape":
            v = self.values(fn.inputs[0]) if fn.inputs and fn.inputs[0] else None
            if v is not None:
                try:
                    return tuple(int(d) for d in v.reshape(-1))
                except Exception:
                    return None
        shape = self.shapes.get(root)
        if shape is not None and all(isinstance(d, int) for d in shape):
            return tuple(shape)
        return None

    def _constant_attr_shape(self, fn: FlatNode) -> tuple | None:
        for a in fn.node.attribute:
            if a.name == "value":
                return tuple(int(d) for d in a.t.dims)
            if a.name == "sparse_value":
                return tuple(int(d) for d in a.sparse_tensor.dims)
            if a.name in ("value_float", "value_int"):
                return ()
            if a.name == "value_floats":
                return (len(a.floats),)
            if a.name == "value_ints":
                return (len(a.ints),)
            if a.name in ("value_string", "value_strings"):
                return None
        return None

    def is_string(self, root: str) -> bool:
        if root in self.init:
            return getattr(self.init[root], "data_type", 0) == _STRING
        fn = self.producer.get(root)
        if fn is not None and fn.op_type == "Constant":
            for a in fn.node.attribute:
                if a.name in ("value_string", "value_strings"):
                    return True
                if a.name == "value":
                    return a.t.data_type == _STRING
        return False

    def dtype(self, root: str) -> int | None:
        if root in self.init:
            return getattr(self.init[root], "data_type", None)
        fn = self.producer.get(root)
        if fn is not None and fn.op_type == "Constant":
            for a in fn.node.attribute:
                if a.name == "value":
                    return a.t.data_type
                if a.name in ("value_int", "value_ints"):
                    return 7
                if a.name in ("value_float", "value_floats"):
                    return 1
        return None

    def values(self, name: str) -> Any:
        """numpy values of a small constant tensor when computable, else None."""
        if name in self._values:
            return self._values[name]
        self._values[name] = None
        v = None
        try:
            v = self._compute_values(name)
        except Exception:
            v = None
        self._values[name] = v
        return v

    def _compute_values(self, name: str) -> Any:
        import numpy as np

        if name in self.init:
            t = self.init[name]
            if hasattr(t, "values") and not hasattr(t, "raw_data"):
                return None  # sparse
            return tensor_values(t)
        fn = self.producer.get(name)
        if fn is None or name not in self.constant:
            return None
        op = fn.op_type
        if op == "Constant":
            for a in fn.node.attribute:
                if a.name == "value":
                    return tensor_values(a.t)
                if a.name == "value_float":
                    return np.array(a.f, dtype=np.float32)
                if a.name == "value_int":
                    return np.array(a.i, dtype=np.int64)
                if a.name == "value_floats":
                    return np.array(list(a.floats), dtype=np.float32)
                if a.name == "value_ints":
                    return np.array(list(a.ints), dtype=np.int64)
            return None
        ins = [self.values(x) if x else None for x in fn.inputs]
        if op in ("Identity", "Cast") and ins and ins[0] is not None:
            return ins[0]
        if op == "Concat" and ins and all(v is not None for v in ins):
            axis = 0
            for a in fn.node.attribute:
                if a.name == "axis":
                    axis = a.i
            return np.concatenate([np.atleast_1d(v) for v in ins], axis=axis)
        if op == "Unsqueeze" and ins and ins[0] is not None and np.asarray(ins[0]).ndim == 0:
            return np.asarray(ins[0]).reshape(1)
        if op == "ConstantOfShape":
            shape = ins[0] if ins else None
            if shape is not None and int(np.prod(shape)) <= 1024:
                fill = 0.0
                for a in fn.node.attribute:
                    if a.name == "value":
                        fv = tensor_values(a.t)
                        fill = fv.reshape(-1)[0] if fv is not None else 0.0
                return np.full(tuple(int(d) for d in shape), fill)
        return None

    def root_uniform(self, root: str) -> bool | None:
        """All stored values equal (True/False), None when not read."""
        n = elements(self.root_shape(root))
        if n is not None and n <= 1:
            return True
        fn = self.producer.get(root)
        if fn is not None and root not in self.init:
            if fn.op_type == "ConstantOfShape":
                return True
            if fn.op_type in ("EyeLike", "Range"):
                return False
        elif root not in self._values:
            t = self.init.get(root)
            if t is not None and hasattr(t, "raw_data"):  # not sparse
                if not has_payload(t):
                    return None  # its values were not read (all_equal(None))
                quick = _raw_uniform(t)
                if quick is not None:
                    return quick
        return all_equal(self.values(root))

    def tensor_elements(self, name: str) -> int | None:
        """Element count of a constant tensor as read (not of its roots)."""
        n = elements(self.shapes.get(name))
        if n is not None:
            return n
        if name in self.init or self.is_generator(name):
            return elements(self.root_shape(name))
        fn = self.producer.get(name)
        if fn is not None and fn.op_type in ("Identity", "Cast", "DequantizeLinear",
                                             "QuantizeLinear", "Transpose", "Reshape",
                                             "Squeeze", "Unsqueeze", "Flatten"):
            return self.tensor_elements(fn.inputs[0]) if fn.inputs else None
        return None
