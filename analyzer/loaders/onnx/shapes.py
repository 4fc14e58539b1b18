"""IR shapes of ONNX types, for the loader and its shape inference
(onnx_infer): every dimension of a tensor, an int when known, the
``dim_param`` string when symbolic, None when unknown.
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
