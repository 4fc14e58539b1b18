"""Shape arithmetic that onnx's data propagation does not follow.

TorchScript writes ``x.chunk(2, dim=1)`` (ShuffleNetV2) and Swin's window
reshapes as ``Shape -> Gather -> Add -> Div -> Mul -> Slice``; onnx's
``data_prop`` stops at ``Div``, so every tensor downstream loses its shape
and every conv its sharing figures. Here the small integer tensors such
chains compute are evaluated from the shapes inference did find, a copy of
the graph gets them as ``Constant`` nodes, inference runs on the copy, and
the shapes it finds are written back into the model the loader reads (whose
nodes stay as the file has them).

One pass over the nodes, numpy on tensors of at most ``MAX_VALUES``
elements; nothing runs when inference left no shape unknown. Constant
chains count too: TorchScript's ``expand(-1)`` becomes
``Where(Equal(shape, -1), 1, shape)`` on Constants, which ``data_prop``
does not evaluate either (BERT's token-type ids).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensors import tensor_values
from .lean import proto

MAX_VALUES = 64
_INT_TYPES = {2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64, 12: np.uint32,
              13: np.uint64, 1: np.float32, 11: np.float64, 9: np.bool_}


def _attr(node: Any, name: str, default: Any = None) -> Any:
    for a in node.attribute:
        if a.name == name:
            if a.type == 2:
                return a.i
            if a.type == 7:
                return list(a.ints)
            if a.type == 4:
                return a.t
    return default


def _eval(node: Any, ins: list, shapes: dict) -> Any:
    """numpy value of a node's first output, or None."""
    op = node.op_type
    if op == "Shape":
        dims = shapes.get(node.input[0])
        if dims is None or not all(isinstance(d, int) for d in dims):
            return None
        start, end = _attr(node, "start", 0), _attr(node, "end", None)
        return np.array(dims[start:end], dtype=np.int64)
    if op == "Size":
        dims = shapes.get(node.input[0])
        if dims is None or not all(isinstance(d, int) for d in dims):
            return None
        return np.array(int(np.prod(dims)), dtype=np.int64)
    if op == "Constant":
        t = _attr(node, "value")
        if t is None:
            return None
        return tensor_values(t) if t.data_type in _INT_TYPES else None
    if not ins or ins[0] is None:
        return None
    x = ins[0]
    if op in ("Identity", "Floor", "Ceil", "Neg", "Abs", "Sqrt"):
        fn = {"Identity": lambda v: v, "Floor": np.floor, "Ceil": np.ceil, "Neg": np.negative,
              "Abs": np.abs, "Sqrt": np.sqrt}[op]
        return fn(x)
    if op == "Cast":
        to = _INT_TYPES.get(_attr(node, "to", 7))
        return None if to is None else x.astype(to)
    if op in ("Add", "Sub", "Mul", "Div", "Mod", "Min", "Max", "Equal"):
        if len(ins) != 2 or ins[1] is None:
            return None
        a, b = ins
        if op == "Div":
            if np.issubdtype(a.dtype, np.integer):
                return np.trunc(a / b).astype(a.dtype) if np.all(b != 0) else None
            return a / b
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Mod": np.mod,
                "Min": np.minimum, "Max": np.maximum, "Equal": np.equal}[op](a, b)
    if op == "Gather":
        if len(ins) != 2 or ins[1] is None:
            return None
        return np.take(x, ins[1], axis=_attr(node, "axis", 0))
    if op == "Concat":
        if any(v is None for v in ins):
            return None
        return np.concatenate([np.atleast_1d(v) for v in ins], axis=_attr(node, "axis", 0))
    if op in ("Unsqueeze", "Squeeze"):
        axes = _attr(node, "axes") if len(ins) < 2 else (None if ins[1] is None else list(ins[1]))
        if op == "Unsqueeze":
            if axes is None:
                return None
            out = x
            for a in sorted(int(a) % (x.ndim + len(axes)) for a in axes):
                out = np.expand_dims(out, a)
            return out
        return np.squeeze(x) if axes is None else np.squeeze(x, axis=tuple(int(a) for a in axes))
    if op == "Reshape" and len(ins) == 2 and ins[1] is not None:
        target = [int(d) for d in ins[1]]
        target = [x.shape[i] if d == 0 and not _attr(node, "allowzero", 0) else d
                  for i, d in enumerate(target)]
        return x.reshape(target)
    if op == "Transpose":
        return np.transpose(x, _attr(node, "perm"))
    if op == "ConstantOfShape":
        t = _attr(node, "value")
        fill = tensor_values(t).reshape(-1)[0] if t is not None else np.float32(0)
        return np.full([int(d) for d in x], fill) if int(np.prod(x)) <= MAX_VALUES else None
    if op == "Range" and len(ins) == 3 and all(v is not None for v in ins):
        return np.arange(ins[0], ins[1], ins[2])
    if op == "Expand" and len(ins) == 2 and ins[1] is not None:
        return x * np.ones([int(d) for d in ins[1]], dtype=x.dtype)
    if op == "Where" and len(ins) == 3 and all(v is not None for v in ins):
        return np.where(ins[0], ins[1], ins[2])
    if op in ("Less", "Greater", "LessOrEqual", "GreaterOrEqual") and len(ins) == 2 \
            and ins[1] is not None:
        return {"Less": np.less, "Greater": np.greater, "LessOrEqual": np.less_equal,
                "GreaterOrEqual": np.greater_equal}[op](x, ins[1])
    if op == "Not":
        return np.logical_not(x)
    if op == "Slice" and len(ins) >= 3 and all(v is not None for v in ins[1:]):
        starts, ends = ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 else np.arange(len(starts))
        steps = ins[4] if len(ins) > 4 else np.ones(len(starts), dtype=np.int64)
        index = [slice(None)] * x.ndim
        for s, e, a, st in zip(starts, ends, axes, steps):
            index[int(a)] = slice(int(s), int(e), int(st))
        return x[tuple(index)]
    return None


_SAME = frozenset({"Relu", "Sigmoid", "Tanh", "Erf", "Gelu", "Softmax", "LayerNormalization",
                   "Dropout", "Identity", "Cast", "Neg", "Sqrt", "Exp", "Not", "HardSigmoid",
                   "HardSwish", "LeakyRelu", "Clip", "Abs", "Round", "Floor", "Ceil"})
_BROADCAST = frozenset({"Add", "Sub", "Mul", "Div", "Pow", "Where", "Equal", "Less", "Greater",
                        "And", "Or", "Max", "Min", "Mod"})


def _known(shape: Any) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)


def _broadcast(shapes: list) -> tuple | None:
    if not all(_known(s) for s in shapes):
        return None
    rank = max(len(s) for s in shapes)
    out = []
    for k in range(1, rank + 1):
        dims = {s[-k] for s in shapes if len(s) >= k} - {1}
        if len(dims) > 1:
            return None
        out.append(dims.pop() if dims else 1)
    return tuple(out[::-1])


def _shape(node: Any, ins: list, shapes: dict) -> tuple | None:
    """The first output's shape from known input shapes and values, for the
    ops that sit between a folded shape and the next Shape node; None when
    not certain. One pass needs no second inference for these chains."""
    op = node.op_type
    if op == "ConstantOfShape" and ins and ins[0] is not None:
        return tuple(int(d) for d in np.atleast_1d(ins[0]))
    if op == "Range" and len(ins) == 3 and all(v is not None for v in ins):
        return (len(range(int(ins[0]), int(ins[1]), int(ins[2]))),)
    x = shapes.get(node.input[0]) if node.input else None
    if op in _SAME:
        return tuple(x) if _known(x) else None
    if op in _BROADCAST:
        return _broadcast([shapes.get(i) for i in node.input if i])
    if not _known(x):
        return None
    if op == "Pad" and len(ins) > 1 and ins[1] is not None and len(ins) <= 3:
        pads = [int(p) for p in ins[1]]
        n = len(x)
        if len(pads) != 2 * n:
            return None
        return tuple(d + pads[i] + pads[i + n] for i, d in enumerate(x))
    if op == "Reshape" and len(ins) == 2 and ins[1] is not None:
        target = [int(d) for d in ins[1]]
        target = [x[i] if d == 0 else d for i, d in enumerate(target)]
        if target.count(-1) == 1:
            rest = int(np.prod([d for d in target if d != -1]))
            if rest == 0 or int(np.prod(x)) % rest:
                return None
            target[target.index(-1)] = int(np.prod(x)) // rest
        return tuple(target) if int(np.prod(target)) == int(np.prod(x)) else None
    if op == "MatMul" and len(node.input) == 2:
        y = shapes.get(node.input[1])
        if not _known(y) or len(x) < 2 or len(y) < 2 or x[-1] != y[-2]:
            return None
        lead = _broadcast([tuple(x[:-2]), tuple(y[:-2])])
        return None if lead is None else (*lead, x[-2], y[-1])
    if op == "Transpose":
        perm = _attr(node, "perm") or list(range(len(x)))[::-1]
        return tuple(x[p] for p in perm) if len(perm) == len(x) else None
    if op == "Expand" and len(ins) == 2 and ins[1] is not None:
        return _broadcast([tuple(x), tuple(int(d) for d in ins[1])])
    if op == "Concat":
        parts = [shapes.get(i) for i in node.input if i]
        if not all(_known(p) and len(p) == len(x) for p in parts):
            return None
        axis = _attr(node, "axis", 0) % len(x)
        return tuple(sum(p[axis] for p in parts) if i == axis else d for i, d in enumerate(x))
    if op == "Slice" and len(ins) >= 3 and all(v is not None for v in ins[1:]):
        out = list(x)
        axes = ins[3] if len(ins) > 3 else range(len(ins[1]))
        steps = ins[4] if len(ins) > 4 else [1] * len(ins[1])
        for s_, e, a, st in zip(ins[1], ins[2], axes, steps):
            a = int(a) % len(x)
            out[a] = len(range(*slice(int(s_), int(e), int(st)).indices(x[a])))
        return tuple(out)
    return None


def fold(model: Any, shapes: dict) -> Any | None:
    """A copy of ``model`` (top-level graph) with evaluable shape arithmetic
    replaced by Constants, or None when there is none to fold."""
    g = model.graph
    values: dict[str, Any] = {}
    for t in g.initializer:
        if t.data_type in (6, 7) and len(t.dims) <= 1 and (t.raw_data or t.int64_data or t.int32_data):
            v = tensor_values(t)
            if v is not None:
                values[t.name] = v
    replaced: dict[int, Any] = {}
    shapes = dict(shapes)  # filled in as the pass goes (_shape)
    for i, n in enumerate(g.node):
        if n.domain not in ("", "ai.onnx") or len(n.output) != 1:
            continue
        ins = [values.get(x) if x else None for x in n.input]
        out_shape = shapes.get(n.output[0])
        if out_shape is None or not _known(out_shape):
            try:
                found = _shape(n, ins, shapes)
            except Exception:
                found = None
            if found is not None and (out_shape is None or len(found) == len(out_shape)):
                shapes[n.output[0]] = found
        try:
            v = _eval(n, ins, shapes)
        except Exception:
            v = None
        if v is None or np.size(v) > MAX_VALUES:
            continue
        values[n.output[0]] = np.asarray(v)
        if n.op_type != "Constant":
            replaced[i] = n
    if not replaced:
        return None
    pb = proto()
    copy = pb.ModelProto()
    copy.CopyFrom(model)
    for i, n in replaced.items():
        out = n.output[0]
        copy.graph.node[i].CopyFrom(_constant(pb, n.name, out, values[out]))
    return copy


#: numpy dtype kind+size -> TensorProto data type, for the folded values.
_ONNX_TYPES = {"f4": 1, "u1": 2, "i1": 3, "u2": 4, "i2": 5, "i4": 6, "i8": 7, "b1": 9, "f2": 10,
               "f8": 11, "u4": 12, "u8": 13}


def _constant(pb: Any, name: str, output: str, value: Any) -> Any:
    """A Constant node making ``value``: onnx.helper.make_node and
    numpy_helper.from_array's result, built without importing all of onnx."""
    arr = np.ascontiguousarray(value)
    code = _ONNX_TYPES.get(f"{arr.dtype.kind}{arr.dtype.itemsize}")
    if code is None:
        arr, code = arr.astype(np.int64), 7
    tensor = pb.TensorProto(dims=list(arr.shape), data_type=code,
                            raw_data=arr.astype(arr.dtype.newbyteorder("<")).tobytes())
    node = pb.NodeProto(op_type="Constant", output=[output], name=name)
    attr = node.attribute.add()
    attr.name, attr.type = "value", 4  # AttributeProto.TENSOR
    attr.t.CopyFrom(tensor)
    return node
