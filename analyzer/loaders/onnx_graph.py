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
    #: The node's subgraph attributes, ``[(name, GraphProto)]`` (_graph_attrs).
    subgraphs: list = field(default_factory=list)


@dataclass
class Flat:
    nodes: list[FlatNode]
    initializers: dict[str, Any]  # name (renamed) -> TensorProto
    sources: set[str]  # non-constant sources: graph inputs, body formal inputs
    shapes: dict[str, Any]
    graph_outputs: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------
# model-local functions


_GRAPH, _GRAPHS = 5, 10  # AttributeProto.GRAPH, AttributeProto.GRAPHS


def _graph_attrs(node: Any) -> list[Any]:
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
        for _, g in _graph_attrs(n):
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


def inline_functions(model: Any) -> tuple[Any, list[tuple[int, str]]]:
    """``(model with local-function calls expanded, origins)``.

    ``origins[i]`` is ``(file node index, file node name)`` of the i-th node
    of the returned top-level graph: the call node's for inlined nodes.
    Returns the model itself when it has no local functions.
    """
    from onnx import ModelProto, NodeProto

    origins = [(i, n.name) for i, n in enumerate(model.graph.node)]
    funcs = {(f.domain, f.name, getattr(f, "overload", "")): f for f in model.functions}
    if not funcs:
        return model, origins
    calls = [n for n in model.graph.node if _function_key(n) in funcs]
    if not calls:
        return model, origins
    _check_expansion(model.graph.node, funcs)

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
            for _, g in _graph_attrs(new):
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
        for _, g in _graph_attrs(n):
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


def flatten(model: Any, origins: list[tuple[int, str]],
            invented: frozenset[str] = frozenset()) -> Flat:
    """The flat node list of a (shape-inferred) model. Raises GraphError.

    ``invented``: dim_params shape inference made up, reported as None."""
    graph = model.graph
    nodes: list[FlatNode] = []
    inits: dict[str, Any] = {}
    sources: set[str] = set()
    shapes: dict[str, Any] = {}
    defined: dict[str, str] = {}  # tensor -> what defines it (for errors)

    def define(name: str, what: str) -> None:
        if name in defined:
            raise GraphError(f"tensor '{name}' is defined twice ({defined[name]} and {what})")
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
    shapes.update(graph_shapes(graph, None, invented))

    def walk(g_nodes: list[Any], node_origins: list[tuple[int, str]],
             rename: Callable[[str], str] | None, owner: str | None, scope: set[str]) -> None:
        """``rename`` None: the top-level graph, whose names stay as they are."""
        subs = [_graph_attrs(n) for n in g_nodes]
        raw_ins = [_texts(n.input) for n in g_nodes]
        raw_outs = [_texts(n.output) for n in g_nodes]
        refs = [[x for x in ins if x] + [r for _, g in sub for r in _outer_refs(g)] if sub else ins
                for ins, sub in zip(raw_ins, subs)]
        order = _topo_order(g_nodes, refs, raw_outs)
        for j in order:
            n = g_nodes[j]
            index, file_name = node_origins[j]
            file_name = text(file_name)
            op_type, domain = text(n.op_type), text(n.domain)
            base = text(n.name) or f"{op_type}_{index if owner is None else j}"
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
            for x in outs:
                if x:
                    define(x, f"node '{base}'")
            subgraphs = subs[j]
            fnode = FlatNode(n, op_type, domain, base, ins, outs, index, file_name, owner, subgraphs)
            nodes.append(fnode)
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
                shapes.update(graph_shapes(g, inner_rename, invented))
                walk(list(g.node), [(index, file_name)] * len(g.node), inner_rename, prefix, local)

    try:
        walk(list(graph.node), origins, None, None, set())
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
    return Flat(nodes, inits, sources, shapes, outputs)


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


_ITEMSIZE: dict[int, int] = {}


def _itemsize(data_type: int) -> int:
    size = _ITEMSIZE.get(data_type)
    if size is None:
        from onnx import helper

        try:
            size = helper.tensor_dtype_to_np_dtype(data_type).itemsize
        except Exception:
            size = 8
        _ITEMSIZE[data_type] = size
    return size


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
        from onnx import numpy_helper

        return numpy_helper.to_array(t)
    except Exception:
        return None


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
            t = self.init[root]
            dims = t.dims
            return tuple(int(d) for d in dims)
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
        shape = self.root_shape(root)
        if shape is not None and elements(shape) is not None and elements(shape) <= 1:
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
