"""Graph analysis for the ONNX loader.

* ``inline_functions`` (inline.py): model-local functions expanded at
  their call sites (before shape inference, so inner tensors get shapes too);
* ``flatten``: one flat, topologically ordered node list, with the nodes of
  If/Loop/Scan bodies right after their owner, their tensors renamed
  ``<owner>/<name>`` (outer-scope names kept as they are);

``constants.py`` then says which tensors of the flat graph are constant.

Never opens any path named inside the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .shapes import graph_shapes, text

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


def defined_in(graph: Any) -> set[str]:
    names = {text(i.name) for i in graph.input} | {text(t.name) for t in graph.initializer}
    for n in graph.node:
        names.update(text(o) for o in n.output if o)
    return names


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
    local = defined_in(graph)
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
    from .slim import MAX_GRAPH_DEPTH, MAX_NODES

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
                local = defined_in(g)

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
