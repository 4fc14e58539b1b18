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

from paramlint.ir.model import Diagnostic, Layer, LoadError, Location, Model, TensorInfo, Weight
from . import ops
from .constants import Constants
from .derived import QUANT_OPS, Derived
from .graph import (MAX_ELEMENTS, Flat, FlatNode, GraphError, flatten,
                    inline_functions, set_shapes)
from .infer import finish, start
from .modules import model_name, module_path, node_scope
from .shapes import elements, text
from paramlint.support.gc_pause import cyclic_gc_paused

__all__ = ["load", "KEEP_BYTES", "BUFFER_SUFFIX"]

KEEP_BYTES = 4096
#: A root read both as a trainable weight and as a buffer (an exporter that
#: merged a zero bias with a zero running mean) is split in two Weights; the
#: buffer half is named ``<root><BUFFER_SUFFIX>``.
BUFFER_SUFFIX = "::buffer"

ROLE_NAMES: dict[str, dict[int, str]] = {
    "Conv": {1: "kernel", 2: "bias"},
    "ConvTranspose": {1: "kernel", 2: "bias"},
    "Gemm": {0: "kernel", 1: "kernel", 2: "bias"},
    "MatMul": {0: "kernel", 1: "kernel"},
    "BatchNormalization": {1: "scale", 2: "shift", 3: "running_mean", 4: "running_var"},
    "LayerNormalization": {1: "scale", 2: "shift"},
    "InstanceNormalization": {1: "scale", 2: "shift"},
    "GroupNormalization": {1: "scale", 2: "shift"},
    "LSTM": {1: "W", 2: "R", 3: "B", 7: "P"},
    "GRU": {1: "W", 2: "R", 3: "B"},
    "RNN": {1: "W", 2: "R", 3: "B"},
    "Gather": {0: "table"},
    "PRelu": {1: "slope"},
    "QLinearConv": {3: "kernel", 4: "kernel_scale", 5: "kernel_zero_point", 8: "bias"},
    "ConvInteger": {1: "kernel", 3: "kernel_zero_point"},
}


#: Every op type make_layer reads attributes or weights of; the others
#: (activations, arithmetic...) skip its chain of tests.
_SHAPED_OPS = frozenset({
    "Conv", "ConvTranspose", "ConvInteger", "QLinearConv",
    "MatMul", "Gemm", "QGemm", "MatMulInteger", "QLinearMatMul", "FusedMatMul",
    "Gather", "LSTM", "GRU", "RNN", "DynamicQuantizeLSTM", *ops.POOLS, "GlobalAveragePool", "GlobalMaxPool",
    "BatchNormalization", "LayerNormalization", "InstanceNormalization", "GroupNormalization",
    "Transpose", "Flatten", "Einsum", "Clip",
})


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


class _Builder:
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
            fn.raw = _plain_attributes(node)
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

    def classify(self, fn: FlatNode) -> tuple[list[str], list[tuple[str, int, bool]]]:
        """(data inputs, weight reads as (tensor, position, trainable role))."""
        op = fn.op_type
        consts = self.consts
        constant = consts.constant
        if consts.constant_node(fn):
            data = [x for k, x in enumerate(fn.inputs) if x and ops.role(op, k) != ops.AUX]
            return data, []
        inputs = fn.inputs
        if constant.isdisjoint(inputs):  # the usual node: data only
            return [x for x in inputs if x], []
        data: list[str] = []
        reads: list[tuple[str, int, bool]] = []
        dynamic: dict[int, str] = {}
        if self.derived.dequantises_table(fn):
            dynamic[1] = dynamic[2] = ops.BUFFER
        for p, (s, z) in ops.QUANT_OPERANDS.get(op, {}).items():
            if p < len(fn.inputs) and consts.is_constant(fn.inputs[p]):
                dynamic[s] = dynamic[z] = ops.BUFFER
            else:
                dynamic.setdefault(s, ops.AUX)
                dynamic.setdefault(z, ops.AUX)
        for k, x in enumerate(inputs):
            if not x:
                continue
            if x not in constant:
                data.append(x)
                continue
            role = dynamic.get(k) or ops.role(op, k)
            promoted = op in ops.MATMUL_LIKE and role == ops.DATA
            if promoted:
                role = ops.WEIGHT
            if role == ops.AUX:
                continue
            kind = None
            if role == ops.DATA or promoted:
                kind = self.derived.kind(fn, k, x, promoted)
                if kind == "quant":
                    role = ops.BUFFER
            if role == ops.DATA:
                n = self.consts.tensor_elements(x)
                if n is None or n > 1:
                    # a scalar broadcast by Expand/Reshape is still a literal
                    sizes = [elements(self.consts.root_shape(r)) for r in self.consts.roots(x)]
                    if sizes and all(s == 1 for s in sizes):
                        n = 1
                if n is not None and n <= 1:
                    continue  # a literal (epsilon, GELU's 0.5), not a parameter
            reads.append((x, k, role != ops.BUFFER and kind is None))
        return data, reads

    # ---- weights

    def add_root(self, root: str, trainable: bool, layer: str, fn: FlatNode) -> str | None:
        """Register a root read by a layer; returns the Weight name to list."""
        if self.consts.is_string(root):
            return None
        shape = self.consts.root_shape(root)
        if shape is None:
            self.diag(f"layer '{layer}' ({fn.op_type}) reads weight '{root}' whose shape "
                      f"cannot be determined; it is not counted", layer, fn)
            return None
        n = elements(shape)
        self.check_dims(root, shape, fn, n)
        if n == 0:
            return None
        name = root
        if trainable:
            self.trainable_uses[root] = True
        else:
            self.buffer_uses[root] = True
        if root not in self.weights:
            self.weights[root] = Weight(root, shape, trainable, self.consts.root_uniform(root),
                                        ops.DTYPES.get(self.consts.dtype(root)))
        return name

    def check_dims(self, root: str, shape: tuple, fn: FlatNode | None, n: int | None = None) -> None:
        """``n``: ``elements(shape)``, when the caller has it."""
        if shape and min(shape) < 0:
            raise LoadError(f"weight '{root}' has a negative dimension {list(shape)}",
                            self.location(fn) if fn else Location(self.path))
        if ((n if n is not None else elements(shape)) or 0) > MAX_ELEMENTS:
            raise LoadError(f"weight '{root}' has an implausible shape {list(shape)} "
                            f"(more than 10^15 elements)",
                            self.location(fn) if fn else Location(self.path))

    # ---- the layers

    def build(self) -> list[Layer]:
        nodes = self.flat.nodes
        absorbed, bias_of = self.find_bias_adds(nodes)
        layers: list[Layer] = []
        uses: list[tuple[Layer, list[tuple[str, bool, str]]]] = []
        for fn in nodes:
            if id(fn) in absorbed:
                continue
            data, reads = self.classify(fn)
            extra_outputs = None
            if id(fn) in bias_of:
                add = bias_of[id(fn)]
                b = next(x for x in add.inputs if x and self.consts.is_constant(x))
                reads.append((b, 2, True))
                extra_outputs = list(add.outputs)
            layer = self.make_layer(fn, data, reads, extra_outputs)
            layers.append(layer)
            self.pairs.append((layer, fn))
            root_uses: list[tuple[str, bool, str]] = []
            uses.append((layer, root_uses))
            for tensor, pos, trainable_role in reads:
                role_name = ROLE_NAMES.get(fn.op_type, {}).get(pos, "operand")
                if extra_outputs is not None and pos == 2 and fn.op_type == "MatMul":
                    role_name = "bias"
                quantised = (fn.op_type in QUANT_OPS or self.derived.through_dequant(tensor)
                             or self.derived.feeds_dequant(fn))
                for root, chain_trainable in self.consts.roots(tensor).items():
                    if not quantised and self.derived.integer(root):
                        continue  # shape/index computation, a mask: never a parameter
                    if not quantised and root != tensor and len(self.consts.roots(tensor)) > 1 \
                            and elements(self.consts.root_shape(root)) == 1:
                        continue  # a scalar fill mixed into a table (Where, Pad): a literal
                    name = self.add_root(root, trainable_role and chain_trainable, layer.name, fn)
                    if name is not None:
                        root_uses.append((name, trainable_role and chain_trainable, role_name))
        self.assign_weights(uses)
        readers: dict[str, int] = {}
        for layer in layers:
            for w in layer.weights:
                readers[w] = readers.get(w, 0) + 1
        shared = {w for w, k in readers.items() if k > 1}
        for layer, fn in self.pairs:
            layer.module = module_path(fn.node, fn.node_name, layer.weights, shared, fn.scope)
        self.unused_weights()
        self.detect_channels_last(layers)
        return layers

    def assign_weights(self, uses: list[tuple[Layer, list[tuple[str, bool, str]]]]) -> None:
        # A list, in file order: a set's order would follow the hash seed and
        # so would the aliases' order in model.weights and in the report.
        split = [r for r in self.weights if r in self.trainable_uses and r in self.buffer_uses]
        for root in split:
            w = self.weights[root]
            w.trainable = True
            alias = root + BUFFER_SUFFIX
            self.weights[alias] = Weight(alias, w.shape, False, w.uniform, w.dtype)
        for root, w in list(self.weights.items()):
            if root not in split and not root.endswith(BUFFER_SUFFIX):
                w.trainable = root in self.trainable_uses
        for layer, root_uses in uses:
            names: dict[str, None] = {}
            roles: dict[str, list[str]] = {}
            for root, trainable, role_name in root_uses:
                name = root + BUFFER_SUFFIX if (root in split and not trainable) else root
                names[name] = None
                roles.setdefault(name, [])
                if role_name not in roles[name]:
                    roles[name].append(role_name)
            layer.weights = list(names)
            if roles:
                layer.attrs["weight_roles"] = roles

    def unused_weights(self) -> None:
        """Initializers and multi-element Constants that nothing reads."""
        used: set[str] = set()
        for fn in self.flat.nodes:
            used.update(x for x in fn.inputs if x)
        used |= self.flat.graph_outputs
        candidates = list(self.flat.initializers)
        candidates += [o for fn in self.flat.nodes if fn.op_type == "Constant"
                       for o in fn.outputs if o]
        for root in candidates:
            if root in self.weights or root in used or self.consts.is_string(root):
                continue
            shape = self.consts.root_shape(root)
            if shape is None:
                continue
            self.check_dims(root, shape, None)
            n = elements(shape)
            if not n or (root not in self.flat.initializers and n <= 1):
                continue
            if self.derived.integer(root):
                continue  # an unread shape/axes/index list or mask: not a weight
            self.weights[root] = Weight(root, shape, True, self.consts.root_uniform(root),
                                        ops.DTYPES.get(self.consts.dtype(root)))

    def find_bias_adds(self, nodes: list[FlatNode]) -> tuple[set[int], dict[int, FlatNode]]:
        """MatMul(x, W) + Add(_, b) with b constant: one dense layer."""
        absorbed: set[int] = set()
        bias_of: dict[int, FlatNode] = {}
        for fn in nodes:
            if fn.op_type != "MatMul" or fn.domain not in ops.DEFAULT_DOMAINS:
                continue
            if self.consts.constant_node(fn) or len(fn.inputs) != 2:
                continue
            const = [x for x in fn.inputs if self.consts.is_constant(x)]
            if len(const) != 1:
                continue
            out = fn.outputs[0]
            users = self.consts.consumers.get(out, [])
            if len(users) != 1 or out in self.flat.graph_outputs:
                continue
            add, _ = users[0]
            if add.op_type != "Add" or add.domain not in ops.DEFAULT_DOMAINS or len(add.inputs) != 2:
                continue
            if add.owner != fn.owner:
                continue
            other = add.inputs[1] if add.inputs[0] == out else add.inputs[0]
            if other == out or not self.consts.is_constant(other):
                continue
            n = self.consts.tensor_elements(other)
            w_shape = self.const_shape(const[0])
            units = w_shape[-1] if w_shape and fn.inputs[1] == const[0] else None
            if n is None or not (n > 1 or (units is not None and n == units)):
                continue
            absorbed.add(id(add))
            bias_of[id(fn)] = add
        return absorbed, bias_of

    def make_layer(self, fn: FlatNode, data: list[str], reads: list[tuple[str, int, bool]],
                   extra_outputs: list[str] | None) -> Layer:
        op_type = fn.op_type
        attrs: dict[str, Any] = {"node_index": fn.node_index}
        raw = fn.raw if fn.raw is not None else _plain_attributes(fn.node)
        if raw:
            attrs["onnx"] = raw
        if reads:
            positions = {pos for _, pos, _ in reads}
            weight_at = {pos: t for t, pos, _ in reads}
        else:
            positions = set()
            weight_at = {}
        outputs = list(extra_outputs) if extra_outputs is not None else list(fn.outputs)
        shapes = self.shapes
        in_shape = shapes.get(data[0]) if data and data[0] else None
        out_shape = shapes.get(outputs[0]) if outputs and outputs[0] else None
        rank = None
        dense = embedding = False

        if op_type not in _SHAPED_OPS:
            pass  # nothing below applies (most nodes: activations, arithmetic)
        elif op_type in ("Conv", "ConvTranspose", "ConvInteger", "QLinearConv"):
            wpos = 3 if op_type == "QLinearConv" else 1
            bpos = 8 if op_type == "QLinearConv" else 2
            kernel = raw.get("kernel_shape")
            w_shape = self.const_shape(fn.inputs[wpos]) if len(fn.inputs) > wpos and fn.inputs[wpos] else None
            if kernel is None and w_shape is not None and len(w_shape) > 2:
                kernel = list(w_shape[2:])
            if kernel is not None:
                rank = len(kernel)
                attrs["kernel"] = tuple(map(int, kernel))
            elif in_shape is not None and len(in_shape) > 2:
                rank = len(in_shape) - 2
            attrs["groups"] = int(raw.get("group", 1))
            attrs["bias"] = bpos in positions
            for key, name in (("strides", "strides"), ("pads", "pads"), ("dilations", "dilations")):
                if key in raw:
                    attrs[name] = tuple(raw[key])
            if w_shape is not None and len(w_shape) >= 2:
                out_ch = w_shape[0] if op_type != "ConvTranspose" else w_shape[1] * attrs["groups"]
                attrs["filters"] = int(out_ch)
        elif op_type in ("MatMul", "Gemm", "QGemm", "MatMulInteger", "QLinearMatMul", "FusedMatMul"):
            dense = bool(reads) or op_type in ("Gemm", "QGemm")
            wpos = next((p for p in (1, 3, 0) if p in weight_at and p != 2), None)
            units = None
            if out_shape is not None and out_shape and isinstance(out_shape[-1], int):
                units = out_shape[-1]
            elif wpos is not None:
                w_shape = self.const_shape(weight_at[wpos])
                if w_shape and len(w_shape) >= 2:
                    if op_type == "Gemm":
                        units = w_shape[0] if raw.get("transB", 0) else w_shape[1]
                    elif wpos == 0:
                        units = w_shape[-2]
                    else:
                        units = w_shape[-1]
            features = self.contracted(fn, op_type, raw)
            if features is not None:
                attrs["in_features"] = features
            if dense:
                attrs["units"] = units
                attrs["bias"] = (2 in positions) if op_type != "QGemm" else (6 in positions)
                if op_type == "Gemm" and raw.get("transB"):
                    attrs["transposed_weight"] = True
        elif op_type == "Gather" and 0 in positions:
            embedding = True
            t_shape = self.const_shape(weight_at[0])
            if t_shape:
                attrs["vocab"] = t_shape[0]
                if len(t_shape) > 1:
                    attrs["units"] = t_shape[-1]
        elif op_type in ("LSTM", "GRU", "RNN", "DynamicQuantizeLSTM"):
            attrs["units"] = raw.get("hidden_size")
            attrs["direction"] = raw.get("direction", "forward")
            attrs["bias"] = 3 in positions
            x_shape = self.shape(fn.inputs[0]) if fn.inputs else None
            layout = raw.get("layout", 0)
            if x_shape is not None and len(x_shape) == 3:
                t = x_shape[1] if layout else x_shape[0]
                if isinstance(t, int):
                    attrs["sequence_length"] = t
        elif op_type in ops.POOLS or op_type in ("GlobalAveragePool", "GlobalMaxPool"):
            if "kernel_shape" in raw:
                rank = len(raw["kernel_shape"])
                attrs["kernel"] = tuple(raw["kernel_shape"])
            elif in_shape is not None and len(in_shape) > 2:
                rank = len(in_shape) - 2
        elif op_type in ("BatchNormalization", "LayerNormalization", "InstanceNormalization",
                         "GroupNormalization"):
            attrs["bias"] = 2 in positions
            if "num_groups" in raw:
                attrs["groups"] = raw["num_groups"]
        elif op_type == "Clip":
            attrs["bounds"] = self.clip_bounds(fn, raw)
        elif op_type == "Transpose":
            perm = raw.get("perm")
            if perm is not None:
                attrs["perm"] = tuple(perm)
        elif op_type in ("Flatten",):
            attrs["axis"] = raw.get("axis", 1)
        elif op_type == "Einsum":
            attrs["operand_shapes"] = [self.const_shape(x) if x else None for x in fn.inputs]
        key = (op_type, fn.domain, rank, dense, embedding)
        names = self._op_names.get(key)
        if names is None:
            names = self._op_names[key] = (
                ops.normalise(op_type, fn.domain, rank=rank, dense=dense, embedding=embedding),
                ops.qualified(op_type, fn.domain))
        return Layer(fn.base_name, names[0], names[1], data, outputs, in_shape, out_shape, [],
                     attrs, Location.of_node(self.path, fn.node_index, fn.node_name))

    def contracted(self, fn: FlatNode, op_type: str, raw: dict) -> int | None:
        """K, the dimension a matrix product contracts (for its MACs)."""
        b_pos = 3 if op_type in ("QLinearMatMul", "QGemm") else 1
        ins = fn.inputs
        shapes = self.shapes
        # the inferred shape first: const_shape walks a constant's roots
        a = shapes.get(ins[0]) if ins and ins[0] else None
        gemm = op_type in ("Gemm", "QGemm") or raw.get("transA") or raw.get("transB")
        if gemm:
            k = (a[0] if raw.get("transA") else a[-1]) if a and len(a) == 2 else None
        else:
            k = a[-1] if a else None
        if isinstance(k, int):
            return k
        b = self.const_shape(ins[b_pos]) if len(ins) > b_pos and ins[b_pos] else None
        if gemm:
            k = (b[-1] if raw.get("transB") else b[0]) if b and len(b) == 2 else None
        else:
            k = b[-2] if b and len(b) >= 2 else None
        return k if isinstance(k, int) else None

    def clip_bounds(self, fn: FlatNode, raw: dict[str, Any]) -> tuple[float | None, float | None]:
        """A Clip's (min, max): attributes before opset 11, constant scalar
        inputs since; None for an absent or non-constant bound. Rules need
        them to tell a ReLU6 (min 0) from a clamp (paramlint.analysis.ops)."""
        out: list[float | None] = []
        for pos, key in ((1, "min"), (2, "max")):
            value = raw.get(key)
            name = fn.inputs[pos] if len(fn.inputs) > pos else ""
            if name and self.consts.is_constant(name):
                arr = self.consts.values(name)
                value = float(arr.reshape(-1)[0]) if arr is not None and arr.size == 1 else None
            out.append(float(value) if isinstance(value, (int, float)) else None)
        return out[0], out[1]

    def detect_channels_last(self, layers: list[Layer]) -> None:
        """tf2onnx's NHWC: Transpose perm [0,2,...,n-1,1] of a conv's output."""
        if not any(layer.op == "transpose" for layer in layers):
            return
        producers = {o: layer for layer in layers for o in layer.outputs}
        passthrough = {"relu", "leaky_relu", "sigmoid", "tanh", "clip", "batchnorm", "identity",
                       "dropout", "add", "mul", "maxpool2d", "avgpool2d", "maxpool1d", "avgpool1d",
                       "maxpool3d", "avgpool3d", "elu", "selu", "hardswish", "hardsigmoid",
                       "cast", "max", "min"}
        for layer in layers:
            perm = layer.attrs.get("perm")
            if layer.op != "transpose" or not perm or len(perm) < 3:
                continue
            n = len(perm)
            if tuple(perm) != (0, *range(2, n), 1):
                continue
            src = producers.get(layer.inputs[0]) if layer.inputs else None
            seen = 0
            while src is not None and src.op in passthrough and seen < 64:
                src = producers.get(src.inputs[0]) if src.inputs else None
                seen += 1
            if src is not None and src.op.startswith("conv"):
                layer.attrs["channels_last"] = True

    def unknown_ops(self) -> None:
        """Diagnostics for ops onnx has no schema for (their parameters are a guess)."""
        from .lean import cpp

        get_schema = cpp().defs.get_schema

        schemas: dict[tuple[str, str], bool] = {}  # (op_type, domain) -> known
        for layer, fn in self.pairs:
            known = True
            if fn.domain in ops.DEFAULT_DOMAINS or fn.domain in ("ai.onnx.ml", "com.microsoft"):
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
            if not known:
                what = "its parameters are taken from its constant inputs"
                if layer.output_shape is None:
                    what += " and its output shape is unknown"
                self.diag(f"layer '{layer.name}' uses unknown op {layer.source_op}: {what}",
                          layer.name, fn)
            # An unknown output shape alone is not a finding (issue 9): it
            # matters only where it leaves a figure out, and counting (a
            # conv's sharing figures) and MACs say so at that layer.


def _plain_attributes(node: Any) -> dict[str, Any]:
    """A node's attributes as plain values (tensors and graphs omitted; a
    later attribute of the same name wins)."""
    raw: dict[str, Any] = {}
    attributes = node.attribute
    if attributes:
        attr_value = ops.attr_value
        for a in attributes:
            value = attr_value(a)
            if value is not None:
                raw[a.name] = value
            else:
                raw.pop(a.name, None)
    return raw


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
