"""Model-local functions expanded at their call sites, for the ONNX loader.

Done before shape inference, so that the functions' inner tensors get
shapes too; the expansion is measured before any node is built, so a
function bomb is refused (docs/limits.md).
"""

from __future__ import annotations

from typing import Any, Callable

from .graph import GraphError, defined_in, graph_attrs


def _rename_refs(graph: Any, rename: Callable[[str], str]) -> None:
    """Rename outer-scope references inside a subgraph (in place)."""
    local = defined_in(graph)
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
    from .slim import MAX_NODES

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
    from .lean import proto

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
