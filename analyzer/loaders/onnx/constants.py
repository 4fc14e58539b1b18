"""Constant analysis for the ONNX loader: which tensors of the flat graph
are constant, the roots each constant is computed from (initializers,
Constant nodes, generators), the roots' shapes and, for small payloads,
their values and whether they are uniform.

Split from graph.py (which flattens the graph this reads). Never opens
any path named inside the model; values are decoded only for payloads the
wire reader kept (``KEEP_BYTES``).
"""

from __future__ import annotations

from typing import Any

from . import ops
from .graph import Flat, FlatNode
from .shapes import elements
from .tensors import STRING, all_equal, has_payload, raw_uniform, tensor_nbytes, tensor_values

__all__ = ["Constants", "has_payload", "tensor_nbytes", "tensor_values", "all_equal"]


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
            return getattr(self.init[root], "data_type", 0) == STRING
        fn = self.producer.get(root)
        if fn is not None and fn.op_type == "Constant":
            for a in fn.node.attribute:
                if a.name in ("value_string", "value_strings"):
                    return True
                if a.name == "value":
                    return a.t.data_type == STRING
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
                quick = raw_uniform(t)
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
