"""The ONNX loader's layers: one IR Layer per node, with its op name, attributes,
shapes and folded bias adds.

A mixin of the loader's ``_Builder`` (loader.py), which holds the state it reads.
"""

from __future__ import annotations

from typing import Any

from paramlint.ir.model import Layer, Location

from . import ops
from .graph import FlatNode

#: Every op type make_layer reads attributes or weights of; the others
#: (activations, arithmetic...) skip its chain of tests.
_SHAPED_OPS = frozenset({
    "Conv", "ConvTranspose", "ConvInteger", "QLinearConv",
    "MatMul", "Gemm", "QGemm", "MatMulInteger", "QLinearMatMul", "FusedMatMul",
    "Gather", "LSTM", "GRU", "RNN", "DynamicQuantizeLSTM", *ops.POOLS, "GlobalAveragePool", "GlobalMaxPool",
    "BatchNormalization", "LayerNormalization", "InstanceNormalization", "GroupNormalization",
    "Transpose", "Flatten", "Einsum", "Clip",
})


class LayerMaker:
    """Layers of the builder's nodes (see the module docstring)."""

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
        raw = fn.raw if fn.raw is not None else plain_attributes(fn.node)
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


def plain_attributes(node: Any) -> dict[str, Any]:
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
