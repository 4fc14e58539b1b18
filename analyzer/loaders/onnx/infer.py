"""Shape inference for the ONNX loader, in the supervised child, alongside.

onnx's C++ inference crashes or spins on some hostile graphs, so it runs in
the child (analyzer/isolate.py). It is also the single largest piece of a
load, so the loader starts it first (``start``, on the model's bytes as
read) and builds its graph on the other core while the child works; it
waits (``finish``) only where it needs shapes. The child sends back the
shapes alone, not the inferred model: a JSON list of every graph's
``(tensor, dims)``, which costs the parent a fraction of parsing and
walking a 50,000-node model again.

In the child: inference with data propagation, then without if that
fails; shape-preserving ops left without a shape get their input's and
inference runs again (a few rounds at most); shape arithmetic that data
propagation stops at is folded (onnx_shapefold). Dims that inference made
up (``unk__N``) come back as unknown.
"""

from __future__ import annotations

import json
from typing import Any

from . import lean as onnx_lean
from .graph import graph_attrs
from .shapes import Shape, TypeShapes, declared_dim_params, graph_shapes
from .slim import GRAPH_TYPE_BYTES

__all__ = ["start", "finish", "shapes_job", "INFER_SECONDS", "INFER_SECONDS_PER_NODE"]

#: Deadline of shape inference in the child: a base plus a per-node share.
#: Measured (2 shared cores): bench's 50,000-node chain infers in 2.4 s
#: against a 60 s deadline, ~25 times what it needs; Einsum with equation
#: "\xff" on a rank-0 input spins forever inside onnx and is stopped by it.
INFER_SECONDS = 10.0
INFER_SECONDS_PER_NODE = 0.001

#: Each round of shape folding resolves one more level of "a shape computed
#: from a shape computed from..." (TorchScript's Swin: pad, then reshape by
#: the padded size); each costs one more inference.
FOLD_ROUNDS = 2

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

#: Ops whose output shape depends on an input's values: only they can leave
#: a shape that folding would find.
_VALUE_SHAPED = frozenset({"Reshape", "Expand", "Pad", "Slice", "ConstantOfShape", "Range", "Tile",
                           "Resize", "Upsample", "Unsqueeze", "Squeeze", "Split", "OneHot", "TopK",
                           "Gather", "NonZero", "Compress"})

# ---------------------------------------------------------------- parent side


def start(data: bytes, nodes: int) -> Any:
    """Shape inference of the serialized model ``data`` started in the
    child; ``nodes`` sets its deadline. Returns the pending job for
    ``finish`` (or ``cancel``)."""
    from paramlint.ir.model import LoadError
    from paramlint.support.isolate import ChildFailed, submit

    try:
        return submit("paramlint.loaders.onnx.infer:shapes_job", data,
                      timeout=INFER_SECONDS + nodes * INFER_SECONDS_PER_NODE)
    except ChildFailed as exc:
        raise LoadError(f"onnx shape inference {exc}") from None


def finish(pending: Any) -> tuple[dict[tuple, dict[str, Shape | None]] | None, int | None, str | None]:
    """``(shapes by graph path, top-level node count, error)`` of a started job.

    A graph path is ``()`` for the top-level graph, then ``(node index,
    attribute key)`` pairs down to a subgraph (keys as
    ``onnx_graph.graph_attrs`` names them). Shapes are None when inference
    gave nothing (the model did not parse back in the child): the loader
    then reads the declared shapes itself. A crash, a hang or a broken
    limit is a ``LoadError``.
    """
    from paramlint.ir.model import LoadError
    from paramlint.support.isolate import ChildFailed, JobError

    try:
        data = pending.result()
    except ChildFailed as exc:
        raise LoadError(f"onnx shape inference {exc}") from None
    except JobError as exc:
        return None, None, str(exc)[:300]
    answer = json.loads(data)
    # one tuple per distinct shape, shared by every tensor that has it
    table = [tuple(dims) if dims is not None else None for dims in answer["shapes"]]
    pick = table.__getitem__
    shapes: dict[tuple, dict[str, Shape | None]] = {}
    for path, names, which in answer["graphs"]:
        shapes[tuple(path)] = dict(zip(names, map(pick, which)))
    return shapes, answer["nodes"], answer["error"]


# ----------------------------------------------------------------- child side


def shapes_job(payload: bytes) -> bytes:
    """The child's side: a serialized model in; JSON out with ``error``,
    ``nodes`` (the top-level count after inference), ``shapes`` (each
    distinct shape once: a list of dims, or null) and ``graphs``, a list of
    ``[path, [tensor, ...], [index into shapes, ...]]``."""
    model = onnx_lean.proto().ModelProto.FromString(payload)
    # only the file's own unk__N names matter (below): most files have none
    declared = declared_dim_params(model) if b"unk__" in payload else set()
    inferred, error, top = _infer_here(model, payload)
    graphs: list = []
    # A subgraph is an attribute of type GRAPH or GRAPHS, which writers
    # encode as below: without either, no node needs looking at.
    subgraphs = any(pattern in payload for pattern in GRAPH_TYPE_BYTES)
    _collect(inferred.graph, [], graphs, top, subgraphs)
    index: dict = {}
    for _, shapes in graphs:
        for dims in shapes.values():
            if dims not in index:
                index[dims] = len(index)
    # dim_params inference made up for unknown sizes (unk__N, not declared
    # by the file) are unknown dims
    invented = {d for dims in index if dims for d in dims
                if type(d) is str and d.startswith("unk__") and d not in declared}
    answer = {"error": error, "nodes": len(inferred.graph.node),
              "shapes": [_known(dims, invented) for dims in index],
              "graphs": [[path, list(shapes), [index[dims] for dims in shapes.values()]]
                         for path, shapes in graphs]}
    return json.dumps(answer, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _known(dims: Shape | None, invented: set[str]) -> list | None:
    if dims is None:
        return None
    if invented and any(d in invented for d in dims if type(d) is str):
        return [None if type(d) is str and d in invented else d for d in dims]
    return list(dims)


def _collect(graph: Any, path: list, out: list, shapes: dict | None = None,
             subgraphs: bool = True) -> None:
    """``[path, graph_shapes]`` of ``graph`` and (``subgraphs``) of every
    subgraph, into ``out``."""
    out.append([path, shapes if shapes is not None else graph_shapes(graph)])
    if not subgraphs:
        return
    for i, node in enumerate(graph.node):
        if node.attribute:
            for key, sub in graph_attrs(node):
                _collect(sub, path + [i, key], out)


def _run(model: Any, data: bytes | None = None) -> tuple[Any, str | None]:
    """onnx's inference of ``model`` (``data``: its bytes, when at hand)."""
    infer = onnx_lean.cpp().shape_inference.infer_shapes
    parse = onnx_lean.proto().ModelProto.FromString
    if data is None:
        data = model.SerializeToString()
    error = None
    for data_prop in (True, False):
        try:
            return parse(infer(data, False, False, data_prop)), None
        except Exception as exc:  # onnx raises several types, C++ errors too
            error = " ".join(str(exc).split())[:300] or type(exc).__name__
    return model, error


def _infer_here(model: Any, data: bytes | None = None) -> tuple[Any, str | None, dict | None]:
    """``(inferred model, error, its top-level graph_shapes or None)``:
    inference, the same-shape fill and the folding of shape arithmetic, in
    this process. The top-level shapes are read once per inference and
    shared by the fill, the fold and the answer."""
    inferred, error = _run(model, data)
    top = graph_shapes(inferred.graph) if error is None else None
    for _ in range(3):
        if error is not None or not _fill_same_shape(inferred, top):
            break
        inferred, error = _run(inferred)
        top = graph_shapes(inferred.graph) if error is None else None
    for _ in range(FOLD_ROUNDS):
        if error is not None or not any(n.op_type in _VALUE_SHAPED for n in inferred.graph.node):
            break  # every shape follows from input shapes: nothing to fold
        if top is None:
            top = graph_shapes(inferred.graph)
        if not _fold_shape_arithmetic(inferred, top):
            break
        top = None  # value_info changed
    return inferred, error, top


def _fill_same_shape(model: Any, shapes: dict) -> bool:
    """Give SAME_SHAPE nodes left without an output shape their input's
    type (top-level graph); True if any was added. ``shapes``: the
    graph's graph_shapes."""
    g = model.graph
    missing = [n for n in g.node if n.op_type in SAME_SHAPE and n.output and n.output[0]
               and shapes.get(n.output[0]) is None and n.domain in ("", "ai.onnx", "com.microsoft")
               and n.input]
    if not missing:
        return False
    shape_of = TypeShapes()
    types = {vi.name: vi for vi in list(g.input) + list(g.value_info) + list(g.output)}
    added = False
    for n in missing:
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


def _unknown(shape: Shape | None) -> bool:
    return shape is None or any(d is None or (isinstance(d, str) and d.startswith("unk__"))
                                for d in shape)


def _fold_shape_arithmetic(inferred: Any, shapes: dict) -> bool:
    """Shapes that onnx's data propagation missed (onnx_shapefold), written
    into ``inferred``'s value_info; its nodes stay as they are. ``shapes``:
    its top-level graph_shapes. True when some shape was found."""
    g = inferred.graph
    # each distinct shape tested once (graph_shapes shares equal ones)
    unknown = {shape for shape in set(shapes.values()) if _unknown(shape)}
    get = shapes.get
    if not any(get(o) in unknown for n in g.node for o in n.output if o):
        return False
    from .shapefold import fold

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
    outputs = {o.name for o in g.output}
    for name, shape in better.items():
        if shape is None or _unknown(shape) or not _unknown(shapes.get(name)) or name not in infos:
            continue
        if name in mine:
            mine[name].CopyFrom(infos[name])
        elif name not in outputs:
            g.value_info.add().CopyFrom(infos[name])
        else:
            continue
        found = True
    return found

