"""Graph analysis for the ONNX loader.

* ``inline_functions``: model-local functions expanded at their call sites
  (before shape inference, so inner tensors get shapes too);
* ``flatten``: one flat, topologically ordered node list, with the nodes of
  If/Loop/Scan bodies right after their owner, their tensors renamed
  ``<owner>/<name>`` (outer-scope names kept as they are);
* ``Constants``: which tensors are constant, the roots each constant is
  computed from, the roots' shapes and (for small payloads) values.

Never opens any path named inside the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from . import onnx_ops as ops
from .onnx_shapes import elements, graph_shapes, text

#: Payloads larger than this are never decoded (the wire reader drops them).
KEEP_BYTES = 4096
#: A weight holding more elements than this is not a plausible model.
MAX_ELEMENTS = 10**15


class GraphError(Exception):
    """The graph is malformed (cycle, missing tensor, duplicate output...)."""


@dataclass(slots=True)
class FlatNode:
    node: Any  # NodeProto: attributes, op_type, domain
    op_type: str
    domain: str
    base_name: str  # layer name before de-duplication
    inputs: list[str]
    outputs: list[str]
    node_index: int  # top-level index in the file (the owner's, for inner nodes)
    node_name: str  # top-level node's name (the owner's, for inner nodes)
    owner: str | None = None
    #: The node's subgraph attributes, ``[(name, GraphProto)]`` (graph_attrs).
    subgraphs: list = field(default_factory=list)
    #: Read while shape inference runs (onnx_loader._Builder.prepare): the
    #: plain attribute values, and ``onnx_modules.node_scope``.
    raw: dict | None = None
    scope: tuple | None = None


@dataclass
class Flat:
    nodes: list[FlatNode]
    initializers: dict[str, Any]  # name (renamed) -> TensorProto
    sources: set[str]  # non-constant sources: graph inputs, body formal inputs
    #: Filled by ``set_shapes`` once shape inference has answered.
    shapes: dict[str, Any]
    graph_outputs: set[str] = field(default_factory=set)
    #: Every graph flattened: ``(path, GraphProto, rename or None)``, the
    #: path as onnx_infer keys its shapes (``()`` for the top level).
    graphs: list[tuple[tuple, Any, Any]] = field(default_factory=list)


def set_shapes(flat: Flat, inferred: dict[tuple, dict[str, Any]] | None) -> None:
    """``flat.shapes`` from shape inference's answer, graph by graph (the
    graph's own declared shapes where inference gave none), under the
    names the flat graph uses."""
    shapes = flat.shapes
    for path, graph, rename in flat.graphs:
        found = inferred.get(path) if inferred is not None else None
        if found is None:
            shapes.update(graph_shapes(graph, rename))
        elif rename is None:
            shapes.update(found)
        else:
            shapes.update({rename(name): shape for name, shape in found.items()})


# --------------------------------------------------------------------------
# model-local functions


_GRAPH, _GRAPHS = 5, 10  # AttributeProto.GRAPH, AttributeProto.GRAPHS


def graph_attrs(node: Any) -> list[tuple[str, Any]]:
    """A node's subgraph attributes, ``[(key, GraphProto)]``: a GRAPHS
    attribute's graphs are keyed ``<name><index>``."""
    attributes = node.attribute
    if not attributes:
        return []
    out = []
    for a in attributes:
        kind = a.type
        if kind == _GRAPH:
            out.append((a.name, a.g))
        elif kind == _GRAPHS:
            out.extend((f"{a.name}{i}", g) for i, g in enumerate(a.graphs))
    return out


def _defined_in(graph: Any) -> set[str]:
    names = {text(i.name) for i in graph.input} | {text(t.name) for t in graph.initializer}
    for n in graph.node:
        names.update(text(o) for o in n.output if o)
    return names


def _rename_refs(graph: Any, rename: Callable[[str], str]) -> None:
    """Rename outer-scope references inside a subgraph (in place)."""
    local = _defined_in(graph)
    for n in graph.node:
        for k, x in enumerate(n.input):
            if x and x not in local:
                n.input[k] = rename(x)
        for _, g in graph_attrs(n):
            _rename_refs(g, lambda x, local=local: x if x in local else rename(x))
    for o in graph.output:
        if o.name not in local:
            o.name = rename(o.name)


def _function_key(node: Any) -> tuple[str, str, str]:
    return (node.domain, node.op_type, getattr(node, "overload", ""))


def _check_expansion(nodes: Any, funcs: dict) -> None:
    """Refuse, before building any node, a graph whose local functions
    expand past ``MAX_NODES`` (functions calling each other 4 times, 10
    deep: 1.4 KB of file, 10^6 nodes; 4.6 KB reach 10^16)."""
    from .onnx_wire import MAX_NODES

    sizes: dict[tuple, int] = {}

    def size(key: tuple, depth: int) -> int:
        known = sizes.get(key)
        if known is not None:
            return known
        if depth > 16:
            raise GraphError(f"function '{key[1]}' calls itself too deeply")
        total = 0
        for inner in funcs[key].node:
            inner_key = _function_key(inner)
            total += size(inner_key, depth + 1) if inner_key in funcs else 1
            if total > MAX_NODES:
                break
        sizes[key] = total
        return total

    total = 0
    for n in nodes:
        key = _function_key(n)
        total += size(key, 0) if key in funcs else 1
        if total > MAX_NODES:
            raise GraphError(f"inlining the model's local functions makes more than "
                             f"{MAX_NODES:,} nodes (paramlint's limit; see docs/limits.md)")


def inline_functions(model: Any) -> tuple[Any, list[tuple[int, str]] | None]:
    """``(model with local-function calls expanded, origins)``.

    ``origins[i]`` is ``(file node index, file node name)`` of the i-th node
    of the returned top-level graph: the call node's for inlined nodes.
    Returns the model itself and None (each node its own origin) when it
    calls no local function.
    """
    funcs = {(f.domain, f.name, getattr(f, "overload", "")): f for f in model.functions}
    if not funcs:
        return model, None
    calls = [n for n in model.graph.node if _function_key(n) in funcs]
    if not calls:
        return model, None
    _check_expansion(model.graph.node, funcs)
    from .onnx_lean import proto

    ModelProto, NodeProto = proto().ModelProto, proto().NodeProto

    def expand(call: Any, fn: Any, prefix: str, depth: int) -> list[Any]:
        if depth > 16:
            raise GraphError(f"function '{fn.name}' calls itself too deeply")
        mapping: dict[str, str] = {}
        for k, formal in enumerate(fn.input):
            mapping[formal] = call.input[k] if k < len(call.input) else ""
        for k, formal in enumerate(fn.output):
            if k < len(call.output) and call.output[k]:
                mapping[formal] = call.output[k]
        attrs = {a.name: a for a in getattr(fn, "attribute_proto", [])}
        attrs.update({a.name: a for a in call.attribute})

        def rename(x: str) -> str:
            if not x:
                return x
            return mapping.get(x, f"{prefix}/{x}")

        out: list[Any] = []
        for j, inner in enumerate(fn.node):
            new = NodeProto()
            new.CopyFrom(inner)
            new.input[:] = [rename(x) for x in inner.input]
            new.output[:] = [rename(x) for x in inner.output]
            kept = []
            for a in new.attribute:
                if a.ref_attr_name:
                    if a.ref_attr_name in attrs:
                        b = type(a)()
                        b.CopyFrom(attrs[a.ref_attr_name])
                        b.name = a.name
                        kept.append(b)
                else:
                    kept.append(a)
            del new.attribute[:]
            new.attribute.extend(kept)
            for _, g in graph_attrs(new):
                _rename_refs(g, rename)
            new.name = f"{prefix}/{inner.name or f'{inner.op_type}_{j}'}"
            key = _function_key(new)
            if key in funcs:
                out.extend(expand(new, funcs[key], new.name, depth + 1))
            else:
                out.append(new)
        return out

    new_model = ModelProto()
    new_model.CopyFrom(model)
    nodes: list[Any] = []
    new_origins: list[tuple[int, str]] = []
    try:
        for i, n in enumerate(model.graph.node):
            key = _function_key(n)
            if key in funcs:
                prefix = n.name or f"{n.op_type}_{i}"
                expanded = expand(n, funcs[key], prefix, 0)
                nodes.extend(expanded)
                new_origins.extend((i, n.name) for _ in expanded)
            else:
                nodes.append(n)
                new_origins.append((i, n.name))
    finally:
        expand = None  # type: ignore[assignment]  # noqa: F841  (see flatten's walk)
    del new_model.graph.node[:]
    new_model.graph.node.extend(nodes)
    have = {o.domain for o in new_model.opset_import}
    for f in model.functions:
        for o in f.opset_import:
            if o.domain not in have:
                new_model.opset_import.append(o)
                have.add(o.domain)
    return new_model, new_origins


# --------------------------------------------------------------------------
# flattening


def _topo_order(nodes: list[Any], inputs: list[list[str]], outputs: list[list[str]]) -> list[int]:
    """Indices of ``nodes`` in a topological order (stable: file order when
    already sorted). Raises GraphError on a cycle.

    ``inputs[i]``/``outputs[i]``: the names node i reads (outer references
    of its subgraphs included) and makes."""
    producer: dict[str, int] = {}
    for i, outs in enumerate(outputs):
        for o in outs:
            if o:
                producer[o] = i
    # Already sorted (the usual case): every input is made by an earlier
    # node, and the heap below would return file order. One pass instead.
    get = producer.get
    for i, ins in enumerate(inputs):
        for x in ins:
            j = get(x)
            if j is not None and j >= i:
                break
        else:
            continue
        break
    else:
        return list(range(len(nodes)))
    deps: list[set[int]] = []
    users: list[list[int]] = [[] for _ in nodes]
    for i, ins in enumerate(inputs):
        d = {producer[x] for x in ins if x in producer}
        deps.append(d)
        for j in d:
            users[j].append(i)
    import heapq

    remaining = [len(d) for d in deps]
    ready = [i for i, r in enumerate(remaining) if r == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for u in users[i]:
            remaining[u] -= 1
            if remaining[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(nodes):
        stuck = next(i for i, r in enumerate(remaining) if r > 0)
        n = nodes[stuck]
        raise GraphError(
            f"the graph has a cycle through node '{n.name or n.op_type}' (no topological order)")
    return order


def _outer_refs(graph: Any) -> set[str]:
    """Names a subgraph reads from enclosing scopes."""
    local = _defined_in(graph)
    refs: set[str] = set()
    for n in graph.node:
        refs.update(text(x) for x in n.input if x and text(x) not in local)
        for _, g in graph_attrs(n):
            refs.update(r for r in _outer_refs(g) if r not in local)
    refs.update(text(o.name) for o in graph.output if text(o.name) not in local)
    return refs


def _texts(values: Any) -> list[str]:
    """A repeated string field as a list of str (see ``text``)."""
    out = list(values)
    try:
        "".join(out)  # all str: the usual case, checked in C
    except TypeError:
        out = [text(x) for x in out]
    return out


def _same(x: str) -> str:
    return x


def flatten(model: Any, origins: list[tuple[int, str]] | None) -> Flat:
    """The flat node list of a model, without shapes yet (``set_shapes``).
    ``origins``: inline_functions' (None: each node is its own). Raises
    GraphError."""
    from .onnx_wire import MAX_GRAPH_DEPTH, MAX_NODES

    graph = model.graph
    graphs: list[tuple[tuple, Any, Any]] = [((), graph, None)]
    nodes: list[FlatNode] = []
    inits: dict[str, Any] = {}
    sources: set[str] = set()
    shapes: dict[str, Any] = {}
    # tensor -> what defines it, for errors: a description, or the index in
    # ``nodes`` of the node that makes it (its description made on demand)
    defined: dict[str, Any] = {}

    def describe(what: Any) -> str:
        return f"node '{nodes[what].base_name}'" if isinstance(what, int) else what

    def define(name: str, what: Any) -> None:
        if name in defined:
            raise GraphError(f"tensor '{name}' is defined twice "
                             f"({describe(defined[name])} and {describe(what)})")
        defined[name] = what

    for t in graph.initializer:
        define(text(t.name), "an initializer")
        inits[text(t.name)] = t
    for t in getattr(graph, "sparse_initializer", []):
        name = text(t.values.name)
        define(name, "a sparse initializer")
        inits[name] = t
    for i in graph.input:
        if text(i.name) not in inits:
            define(text(i.name), "a graph input")
            sources.add(text(i.name))

    def walk(g_nodes: list[Any], node_origins: list[tuple[int, str]] | None,
             rename: Callable[[str], str] | None, owner: str | None, path: tuple) -> None:
        """``rename`` None: the top-level graph, whose names stay as they are.
        ``node_origins`` None: each node's own index and name."""
        # The wire walk counts nodes and graph depth before anything is
        # parsed; this counts again what it could not see (a subgraph whose
        # attribute type is encoded unusually: onnx_wire._may_hold_graph).
        if len(path) > 2 * MAX_GRAPH_DEPTH:
            raise GraphError(f"subgraphs nested more than {MAX_GRAPH_DEPTH} deep")
        if len(nodes) + len(g_nodes) > MAX_NODES:
            raise GraphError(f"the model holds more than {MAX_NODES:,} nodes "
                             f"(paramlint's limit; see docs/limits.md)")
        raw_ins: list[list[str]] = []
        raw_outs: list[list[str]] = []
        subs: list[list] = []
        refs: list[list[str]] = []
        for n in g_nodes:
            ins = _texts(n.input)
            sub = graph_attrs(n)
            raw_ins.append(ins)
            raw_outs.append(_texts(n.output))
            subs.append(sub)
            refs.append([x for x in ins if x] + [r for _, g in sub for r in _outer_refs(g)]
                        if sub else ins)
        order = _topo_order(g_nodes, refs, raw_outs)
        append = nodes.append
        for j in order:
            n = g_nodes[j]
            op_type, domain, name = n.op_type, n.domain, n.name
            if type(op_type) is not str or type(domain) is not str or type(name) is not str:
                op_type, domain, name = text(op_type), text(domain), text(name)
            if node_origins is None:
                index, file_name = j, name
            else:
                index, file_name = node_origins[j]
                file_name = text(file_name)
            base = name or f"{op_type}_{index if owner is None else j}"
            if owner is not None:
                base = f"{owner}/{base}"
            ins = raw_ins[j]
            outs = raw_outs[j]
            if rename is not None:
                ins = [rename(x) if x else "" for x in ins]
                outs = [rename(x) if x else "" for x in outs]
            for x in ins:
                if x and x not in defined:
                    raise GraphError(
                        f"node '{base}' ({op_type}) reads tensor '{x}' that no node, "
                        f"input or initializer makes")
            k = len(nodes)
            for x in outs:
                if x:
                    if x in defined:
                        raise GraphError(f"tensor '{x}' is defined twice "
                                         f"({describe(defined[x])} and node '{base}')")
                    defined[x] = k
            subgraphs = subs[j]
            append(FlatNode(n, op_type, domain, base, ins, outs, index, file_name, owner, subgraphs))
            for attr_name, g in subgraphs:
                prefix = base if len(subgraphs) == 1 else f"{base}/{attr_name}"
                local = _defined_in(g)

                def inner_rename(x: str, local=local, prefix=prefix, outer=rename or _same) -> str:
                    return f"{prefix}/{x}" if x in local else outer(x)

                for t in g.initializer:
                    name = inner_rename(text(t.name))
                    define(name, f"an initializer of '{base}'")
                    inits[name] = t
                for i in g.input:
                    if i.name not in {t.name for t in g.initializer}:
                        name = inner_rename(text(i.name))
                        define(name, f"an input of '{base}'")
                        sources.add(name)
                inner_path = (*path, j, attr_name)
                graphs.append((inner_path, g, inner_rename))
                walk(list(g.node), [(index, file_name)] * len(g.node), inner_rename, prefix, inner_path)

    try:
        walk(list(graph.node), origins, None, None, ())
    finally:
        # walk calls itself through its closure cell: a reference cycle that
        # would keep every FlatNode, NodeProto and initializer of this
        # flatten alive until the cyclic GC finds it. Broken here, they go
        # as soon as the loader drops them.
        walk = None  # type: ignore[assignment]  # noqa: F841
    outputs = {text(o.name) for o in graph.output}
    for o in outputs:
        if o not in defined:
            raise GraphError(f"graph output '{o}' is made by no node, input or initializer")
    return Flat(nodes, inits, sources, shapes, outputs, graphs)


# --------------------------------------------------------------------------
# constants and their roots


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
    from .onnx_lean import full

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
        constant = self.constant
        if constant.isdisjoint(fn.inputs):  # the usual node
            return False
        seen = False
        for x in fn.inputs:
            if x:
                if x not in constant:
                    return False
                seen = True
        return seen

    def is_constant(self, name: str) -> bool:
        return name in self.constant

    def constant_node(self, fn: FlatNode) -> bool:
        """A node all of whose outputs are constant (part of a constant chain)."""
        constant = self.constant
        if constant.isdisjoint(fn.outputs):  # the usual node
            return False
        seen = False
        for o in fn.outputs:
            if o:
                if o not in constant:
                    return False
                seen = True
        return seen

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
