"""ONNX loader: an .onnx file to the layer IR, without reading weight data.

Pipeline: read the slim model (payloads over a few KB dropped, external
data never opened) -> inline model-local functions -> shape inference on
the in-memory model -> flatten (subgraph bodies after their owner) ->
constant analysis (which tensors are constant, and their roots) -> one
Layer per node, weights counted at their roots (counting.md "Parameters").

Raises only ``paramlint.ir.model.LoadError``. Decisions: docs/onnx-decisions.md.
"""

from __future__ import annotations

import os
from typing import Any

from paramlint.ir.model import UNMODELLED, Diagnostic, Layer, LoadError, Location, Model, TensorInfo, Weight
from paramlint.support.gc_pause import cyclic_gc_paused

from . import coverage, ops
from .constants import Constants
from .derived import Derived
from .graph import Flat, FlatNode, GraphError, flatten, set_shapes
from .inline import inline_functions
from .infer import finish, start
from .make import LayerMaker, plain_attributes
from .modules import model_name, node_scope
from .shapes import text
from .weights import BUFFER_SUFFIX, WeightRoles

__all__ = ["load", "KEEP_BYTES", "BUFFER_SUFFIX"]

KEEP_BYTES = 4096


def _read(path: str) -> Any:
    """The file's bytes with every tensor payload over KEEP_BYTES dropped
    (dims, data_type, name and external_data entries kept; nothing the
    model names is opened). The one place the loader touches the file."""
    from .wire import read_slim

    return read_slim(path, keep_bytes=KEEP_BYTES)


def _clean(message: str) -> str:
    """One printable line: control characters (from names in a damaged
    file) escaped, length bounded."""
    out = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                  for ch in message)
    return (out[:400] + "...") if len(out) > 400 else out


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:240] + "...") if len(text) > 240 else (text or type(exc).__name__)


def load(path: str) -> Model:
    """Load an .onnx file as a Model. Raises only LoadError."""
    # paused while the loader builds, and what it built frozen: gc_pause
    with cyclic_gc_paused(keep_frozen=True):
        return _load(path)


def _load(path: str) -> Model:
    where = Location(path)
    if not os.path.isfile(path):
        raise LoadError("no such file" if not os.path.exists(path) else "not a regular file", where)
    slim = _read(path)
    # Shape inference starts now, on the bytes as read, and runs on the
    # other core while this process parses and flattens the graph. A
    # model with local functions is inferred once they are inlined.
    pending = None if slim.has_functions else start(slim.data, slim.nodes)
    try:
        return _build(path, slim.data, pending)
    except LoadError as exc:
        raise LoadError(_clean(exc.message), exc.location or where) from None
    except GraphError as exc:
        raise LoadError(_clean(str(exc)), where) from None
    except RecursionError:
        raise LoadError("the graph nests too deeply", where) from None
    except MemoryError:
        raise  # the machine's state, not the file's: the engine says so, the cache forgets it
    except Exception as exc:  # a malformed model must never crash the run
        raise LoadError(_clean(f"malformed ONNX model: {_one_line(exc)}"), where) from None
    finally:
        if pending is not None:
            pending.cancel()  # a no-op once its answer was read


# --------------------------------------------------------------------------


class _Builder(WeightRoles, LayerMaker):
    """One model's layers and weights, built from its flat graph. Weight roles
    and roots are ``WeightRoles``' (weights.py), each node's layer is
    ``LayerMaker``'s (make.py); this class holds the state they share."""

    def __init__(self, path: str, flat: Flat, shape_error: str | None) -> None:
        self.path = path
        self.flat = flat
        self.consts = Constants(flat)
        self.derived = Derived(self.consts)
        self.shapes = flat.shapes
        self.shape_error = shape_error
        self.diagnostics: list[Diagnostic] = []
        self.weights: dict[str, Weight] = {}
        self.trainable_uses: dict[str, bool] = {}
        self.buffer_uses: dict[str, bool] = {}
        self.pairs: list[tuple[Layer, FlatNode]] = []
        #: (op_type, domain, rank, dense, embedding) -> (IR op, source_op)
        self._op_names: dict[tuple, tuple[str, str]] = {}

    def prepare(self) -> None:
        """What the layers need that does not depend on shapes, read while
        the child infers them: each node's attribute values and scope."""
        for fn in self.flat.nodes:
            node = fn.node
            fn.raw = plain_attributes(node)
            fn.scope = node_scope(node, fn.node_name)

    # ---- helpers

    def shape(self, name: str) -> tuple | None:
        return self.shapes.get(name) if name else None

    def attr(self, fn: FlatNode, name: str, default: Any = None) -> Any:
        for a in fn.node.attribute:
            if a.name == name:
                return ops.attr_value(a)
        return default

    def const_shape(self, name: str) -> tuple | None:
        """Shape of a constant tensor as read: inferred, else its single root's."""
        s = self.shape(name)
        if s is not None and all(isinstance(d, int) for d in s):
            return s
        roots = self.consts.roots(name)
        if len(roots) == 1:
            return self.consts.root_shape(next(iter(roots)))
        return s

    def location(self, fn: FlatNode) -> Location:
        return Location(self.path, node_index=fn.node_index, node_name=fn.node_name)

    def diag(self, message: str, layer: str | None, fn: FlatNode | None, kind: str = "unknown-layer") -> None:
        self.diagnostics.append(Diagnostic(kind, message, layer, self.location(fn) if fn else Location(self.path)))

    # ---- input classification

    def unmodelled(self, layer: Layer, fn: FlatNode, has_schema: bool) -> None:
        """PRM003's diagnostic and the unknown figures of an op paramlint does
        not model (coverage.py): never PRM002, which is the file's."""
        what = coverage.gap(fn.domain, fn.op_type, has_schema)
        if what is None:
            return
        name = f"op {layer.source_op}"
        if what == "macs":
            layer.attrs["macs_unknown"] = f"paramlint does not model the MACs of {name} yet"
            self.diag(f"layer '{layer.name}': paramlint does not model the MACs of {name} yet: "
                      f"they are unknown, and the model's MACs are a lower bound", layer.name, fn,
                      UNMODELLED)
            return
        counted = sum(self.weights[w].elements for w in layer.weights if w in self.weights)
        layer.attrs["params_unknown"] = f"{name} is not modelled by paramlint"
        if "." not in layer.source_op:  # a default-domain op: macs.py would take it for 0
            layer.attrs["macs_unknown"] = f"{name} is not modelled by paramlint"
        shape = "" if layer.output_shape is not None else ", and its output shape is unknown"
        self.diag(f"layer '{layer.name}' uses {name}, which paramlint does not model yet: its "
                  f"parameters ({counted:,} counted from its constant inputs, maybe more in its "
                  f"attributes) and MACs are unknown{shape}", layer.name, fn, UNMODELLED)

    def unknown_ops(self) -> None:
        """PRM003 diagnostics for ops paramlint does not model (coverage.py), and
        how often each body node runs (``attrs["runs"]``: macs.py)."""
        from .lean import cpp

        get_schema = cpp().defs.get_schema

        schemas: dict[tuple[str, str], bool] = {}  # (op_type, domain) -> known
        owners = coverage.owners(self.pairs)
        for layer, fn in self.pairs:
            if fn.owner is not None:
                runs = coverage.runs(fn.owner, owners)
                if runs is not None:
                    layer.attrs["runs"] = runs
            known = True
            if fn.domain in ops.DEFAULT_DOMAINS or fn.domain in ("ai.onnx.ml", "com.microsoft") \
                    or fn.domain in coverage.UNMODELLED_DOMAINS:
                key = (fn.op_type, fn.domain)
                known = schemas.get(key)
                if known is None:
                    known = True
                    try:
                        get_schema(fn.op_type, 10**6, fn.domain)
                    except Exception:
                        known = fn.domain == "com.microsoft" and fn.op_type in ops.ROLES
                    schemas[key] = known
            else:
                known = False
            self.unmodelled(layer, fn, known)
            # An unknown output shape alone is not a finding (issue 9): it
            # matters only where it leaves a figure out, and counting (a
            # conv's sharing figures) and MACs say so at that layer.


def _unique_names(layers: list[Layer]) -> None:
    taken: set[str] = set()
    counts: dict[str, int] = {}
    names = [layer.name for layer in layers]
    base_count: dict[str, int] = {}
    for n in names:
        base_count[n] = base_count.get(n, 0) + 1
    for layer in layers:
        name = layer.name
        if name in taken:
            k = counts.get(name, 0)
            while True:
                k += 1
                candidate = f"{name}_{k}"
                if candidate not in taken and candidate not in base_count:
                    break
            counts[name] = k
            name = candidate
        taken.add(name)
        layer.name = name


def _check_sizes(layers: list[Layer], path: str) -> None:
    """Refuse a convolution or pooling whose output size comes out zero or
    negative (a kernel larger than its padded input), as the YAML loader
    does; onnx's inference computes such sizes without complaint, and
    they would make negative counts. A negative dim that a file declares
    (some old exporters wrote -1 for unknown) is read as unknown."""
    known: dict = {}
    for layer in layers:
        out, ins = layer.output_shape, layer.input_shape
        windowed = layer.op.startswith("conv") or "pool" in layer.op and "global" not in layer.op
        if windowed and out is not None and ins is not None and len(out) > 2 \
                and all(isinstance(d, int) and d >= 1 for d in ins[2:]) \
                and any(isinstance(d, int) and d <= 0 for d in out[2:]):
            raise LoadError(f"layer '{layer.name}' ({layer.source_op}): output size "
                            f"{list(out[2:])} from input {list(ins[2:])}: the window does not fit "
                            f"its padded input", layer.location or Location(path))
        out_known = _no_negative(out, known)
        if out_known is not out:
            layer.output_shape = out_known
        in_known = _no_negative(ins, known)
        if in_known is not ins:
            layer.input_shape = in_known


def _no_negative(shape: tuple | None, memo: dict) -> tuple | None:
    """``shape`` with negative dims as unknown (the same object when it has
    none). ``memo``: shapes already looked at (layers repeat a few)."""
    if shape is None:
        return None
    if shape in memo:
        return memo[shape] or shape
    if any(isinstance(d, int) and d < 0 for d in shape):
        fixed = memo[shape] = tuple(None if isinstance(d, int) and d < 0 else d for d in shape)
        return fixed
    memo[shape] = None
    return shape


def _build(path: str, data: bytes, pending: Any) -> Model:
    from .wire import parse

    where = Location(path)
    model = parse(data, where)
    if not model.HasField("graph"):
        raise LoadError("the file holds no graph (not an ONNX model?)", where)
    if model.ir_version <= 0 and not model.opset_import:
        raise LoadError("not an ONNX model: no IR version and no opset", where)
    inlined, origins = inline_functions(model)
    own = pending is None
    expected = len(inlined.graph.node)
    if own:
        pending = start(inlined.SerializeToString(), expected)
    try:
        # What needs no shapes is done while the child infers them.
        flat = flatten(inlined, origins)
        builder = _Builder(path, flat, None)
        builder.prepare()
        shapes, nodes, shape_error = finish(pending)
    finally:
        if own:
            pending.cancel()  # a no-op once its answer was read
    if shapes is not None and nodes != expected:  # never expected; be safe
        shapes, shape_error = None, shape_error or "shape inference changed the graph"
    set_shapes(flat, shapes)
    builder.shape_error = shape_error
    layers = builder.build()
    _unique_names(layers)  # before diagnostics name them
    _check_sizes(layers, path)
    builder.unknown_ops()
    if shape_error is not None:
        builder.diagnostics.insert(0, Diagnostic(
            "unknown-dim", f"shape inference failed: {shape_error}; shapes may be missing",
            None, where))
    graph = model.graph
    init_names = {text(t.name) for t in graph.initializer}
    inputs = [TensorInfo(text(i.name), flat.shapes.get(text(i.name))) for i in graph.input
              if text(i.name) not in init_names]
    return Model(
        path=path,
        format="onnx",
        name=model_name(text(graph.name), os.path.splitext(os.path.basename(path))[0]),
        inputs=inputs,
        layers=layers,
        weights=builder.weights,
        batch_dim=True,
        diagnostics=builder.diagnostics,
        shapes=dict(flat.shapes),
    )
