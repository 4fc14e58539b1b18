"""Shape inference for the ONNX loader.

Runs ``onnx.shape_inference.infer_shapes`` on the in-memory (slim) model,
never on a path, and turns the results into IR shapes: every dimension of
the tensor, ints when known, the ``dim_param`` string when symbolic, None
when unknown.
"""

from __future__ import annotations

from typing import Any

Shape = tuple


def text(value: Any) -> str:
    """A protobuf string field as str: a damaged file's invalid UTF-8 comes
    back from protobuf as bytes."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def dims_of_type(type_proto: Any, invented: frozenset[str] = frozenset()) -> Shape | None:
    """IR shape of a TypeProto (tensor types only), None if no rank.

    ``invented``: dim_params that shape inference made up for unknown dims
    (``unk__0``...), reported as None."""
    if not type_proto.HasField("tensor_type"):
        if type_proto.HasField("sparse_tensor_type"):
            tt = type_proto.sparse_tensor_type
        else:
            return None
    else:
        tt = type_proto.tensor_type
    if not tt.HasField("shape"):
        return None
    out: list[Any] = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            out.append(int(d.dim_value))
        elif d.HasField("dim_param") and d.dim_param and d.dim_param not in invented:
            out.append(text(d.dim_param))
        else:
            out.append(None)
    return tuple(out)


class TypeShapes:
    """``dims_of_type`` of many ValueInfoProtos, each distinct TypeProto
    decoded once: a model's value_info repeats a handful of types, and
    reading a TypeProto's dims field by field costs ~5 us where its
    serialized bytes cost ~0.5 us."""

    def __init__(self, invented: frozenset[str] = frozenset()) -> None:
        self.invented = invented
        self._dims: dict[bytes, Shape | None] = {}

    def __call__(self, type_proto: Any) -> Shape | None:
        key = type_proto.SerializeToString()
        try:
            return self._dims[key]
        except KeyError:
            dims = self._dims[key] = dims_of_type(type_proto, self.invented)
            return dims


def declared_dim_params(model: Any) -> set[str]:
    """Every dim_param the file itself declares (anywhere in its graphs)."""
    found: set[str] = set()
    seen: set[bytes] = set()  # tensor types already read

    def graph(g: Any) -> None:
        for vi in list(g.input) + list(g.output) + list(g.value_info):
            t = vi.type.tensor_type
            key = t.SerializeToString()
            if key in seen:
                continue
            seen.add(key)
            if t.HasField("shape"):
                found.update(text(d.dim_param) for d in t.shape.dim if d.dim_param)
        for n in g.node:
            for a in n.attribute:
                if a.HasField("g"):
                    graph(a.g)
                for sub in a.graphs:
                    graph(sub)

    graph(model.graph)
    return found


def invented_dim_params(inferred: Any, declared: set[str]) -> frozenset[str]:
    """dim_params in the inferred model that inference made up (``unk__N``)."""
    return frozenset(p for p in declared_dim_params(inferred)
                     if p not in declared and p.startswith("unk__"))


#: Ops whose first output has their first input's shape: used when onnx's
#: inference leaves them without one (function-defined ops such as
#: GroupNormalization in some opsets), so the shapes downstream resume.
SAME_SHAPE = frozenset({
    "GroupNormalization", "LayerNormalization", "InstanceNormalization",
    "BatchNormalization", "RMSNormalization", "SimplifiedLayerNormalization",
    "SkipLayerNormalization", "SkipSimplifiedLayerNormalization", "Gelu", "FastGelu",
    "BiasGelu", "QuickGelu", "Mish", "Swish", "HardSwish", "Relu", "LeakyRelu", "Sigmoid",
    "Tanh", "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "Dropout",
    "Identity", "Softmax", "LogSoftmax", "LpNormalization", "MeanVarianceNormalization",
})


def _run(model: Any) -> tuple[Any, str | None]:
    from onnx import shape_inference

    error = None
    for data_prop in (True, False):
        try:
            return shape_inference.infer_shapes(model, data_prop=data_prop), None
        except Exception as exc:  # onnx raises several types, C++ errors too
            error = " ".join(str(exc).split())[:300] or type(exc).__name__
    return model, error


def _fill_same_shape(model: Any) -> bool:
    """Give SAME_SHAPE nodes left without an output shape their input's
    type (top-level graph); True if any was added."""
    g = model.graph
    candidates = [n for n in g.node if n.op_type in SAME_SHAPE]
    if not candidates:
        return False
    types = {vi.name: vi for vi in list(g.input) + list(g.value_info) + list(g.output)}
    shape_of = TypeShapes()
    added = False
    for n in candidates:
        if n.domain not in ("", "ai.onnx", "com.microsoft"):
            continue
        if not n.input or not n.output or not n.output[0]:
            continue
        src = types.get(n.input[0])
        if src is None or shape_of(src.type) is None:
            continue
        out = types.get(n.output[0])
        if out is not None and shape_of(out.type) is not None:
            continue
        vi = g.value_info.add()
        vi.CopyFrom(src)
        vi.name = n.output[0]
        types[vi.name] = vi
        added = True
    return added


def _infer_here(model: Any) -> tuple[Any, str | None]:
    """``infer`` in this process: what the child runs."""
    inferred, error = _run(model)
    for _ in range(3):
        if error is not None or not _fill_same_shape(inferred):
            break
        inferred, error = _run(inferred)
    for _ in range(FOLD_ROUNDS):
        if error is not None or not _fold_shape_arithmetic(inferred):
            break
    return inferred, error


#: Deadline of shape inference in the child: a base plus a per-node share.
#: Measured (2 shared cores): bench's 50,000-node chain infers in 2.4 s
#: against a 60 s deadline, ~25 times what it needs; Einsum with equation
#: "\xff" on a rank-0 input spins forever inside onnx and is stopped by it.
INFER_SECONDS = 10.0
INFER_SECONDS_PER_NODE = 0.001


def infer_job(payload: bytes) -> bytes:
    """The child's side of ``infer``: a serialized model in; the error
    message's length (4 bytes), the message and the inferred model out."""
    import onnx

    inferred, error = _infer_here(onnx.ModelProto.FromString(payload))
    message = (error or "").encode("utf-8", "replace")
    body = b"" if error is not None and inferred is None else inferred.SerializeToString()
    return len(message).to_bytes(4, "big") + message + body


def infer(model: Any) -> tuple[Any, str | None]:
    """``(inferred model, error message or None)``.

    Tries with data propagation first (shapes computed from Shape/Slice/
    Concat chains), then without; on failure returns the model unchanged
    and the reason, and the loader goes on without the missing shapes.
    Shape-preserving ops that onnx leaves without a shape get their
    input's, and inference runs again (a few rounds at most).

    onnx's inference is C++ that crashes or spins on some hostile graphs:
    it runs in the supervised child (analyzer/isolate.py), and a crash, a
    hang or a broken limit is a ``LoadError`` naming it.
    """
    import onnx

    from ..ir import LoadError
    from ..isolate import ChildFailed, JobError, call

    nodes = len(model.graph.node)
    try:
        data = call("paramlint.loaders.onnx_shapes:infer_job", model.SerializeToString(),
                    timeout=INFER_SECONDS + nodes * INFER_SECONDS_PER_NODE)
    except ChildFailed as exc:
        raise LoadError(f"onnx shape inference {exc}") from None
    except JobError as exc:  # the model did not parse back: as a failed inference
        return model, str(exc)[:300]
    size = int.from_bytes(data[:4], "big")
    error = data[4:4 + size].decode("utf-8", "replace") or None
    body = data[4 + size:]
    return (onnx.ModelProto.FromString(body) if body else model), error


#: Each round of shape folding resolves one more level of "a shape computed
#: from a shape computed from..." (TorchScript's Swin: pad, then reshape by
#: the padded size); each costs one more inference.
FOLD_ROUNDS = 2


#: Ops whose output shape depends on an input's values: only they can leave
#: a shape that folding would find.
_VALUE_SHAPED = frozenset({"Reshape", "Expand", "Pad", "Slice", "ConstantOfShape", "Range", "Tile",
                           "Resize", "Upsample", "Unsqueeze", "Squeeze", "Split", "OneHot", "TopK",
                           "Gather", "NonZero", "Compress"})


def _unknown(shape: Shape | None) -> bool:
    return shape is None or any(d is None or (isinstance(d, str) and d.startswith("unk__"))
                                for d in shape)


def _fold_shape_arithmetic(inferred: Any) -> bool:
    """Shapes that onnx's data propagation missed (onnx_shapefold), written
    into ``inferred``'s value_info; its nodes stay as they are. True when
    some shape was found."""
    g = inferred.graph
    if not any(n.op_type in _VALUE_SHAPED for n in g.node):
        return False  # every shape follows from input shapes: nothing to fold
    shapes = graph_shapes(g)
    if not any(_unknown(shapes.get(o)) for n in g.node for o in n.output if o):
        return False
    from .onnx_shapefold import fold

    folded = fold(inferred, shapes)
    if folded is None:
        return False
    again, error = _run(folded)
    if error is not None:
        return False
    found = False
    better = graph_shapes(again.graph)
    infos = {vi.name: vi for vi in again.graph.value_info}
    mine = {vi.name: vi for vi in g.value_info}
    for name, shape in better.items():
        if shape is None or _unknown(shape) or not _unknown(shapes.get(name)) or name not in infos:
            continue
        if name in mine:
            mine[name].CopyFrom(infos[name])
        elif name not in {o.name for o in g.output}:
            g.value_info.add().CopyFrom(infos[name])
        else:
            continue
        found = True
    return found


def graph_shapes(graph: Any, rename: Any = None,
                 invented: frozenset[str] = frozenset()) -> dict[str, Shape | None]:
    """Shapes of one graph's declared tensors (inputs, outputs, value_info,
    initializers), keyed by ``rename(name)`` when given."""
    shapes: dict[str, Shape | None] = {}
    shape_of = TypeShapes(invented)
    if rename is None:
        for init in graph.initializer:
            shapes[text(init.name)] = tuple(init.dims)
    else:
        for init in graph.initializer:
            shapes[rename(text(init.name))] = tuple(init.dims)
    for vi in list(graph.input) + list(graph.value_info) + list(graph.output):
        shape = shape_of(vi.type)
        key = text(vi.name) if rename is None else rename(text(vi.name))
        if shape is not None or key not in shapes:
            shapes[key] = shape
    return shapes


def elements(shape: Shape | None) -> int | None:
    """Element count when every dimension is a known int."""
    if shape is None:
        return None
    n = 1
    for d in shape:
        if not isinstance(d, int):
            return None
        n *= d
    return n
