"""The ONNX loader's weights: which inputs of a node are weights, buffers or
data, their constant roots, and the roots no layer reads.

A mixin of the loader's ``_Builder`` (loader.py), which holds the state
(``consts``, ``derived``, ``weights``, the trainable and buffer uses).
"""

from __future__ import annotations

from paramlint.ir.model import Layer, LoadError, Location, Weight

from . import ops
from .derived import QUANT_OPS
from .graph import MAX_ELEMENTS, FlatNode
from .modules import module_path
from .shapes import elements, text

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


class WeightRoles:
    """Weight roles and roots of the builder's nodes (see the module docstring)."""

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
        for _, body, rename in self.flat.graphs:  # what an If/Loop body returns is read by its owner
            if rename is not None:
                used.update(rename(text(o.name)) for o in body.output if o.name)
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
