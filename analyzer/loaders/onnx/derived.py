"""Constants that are not learned parameters, told apart by graph structure.

counting.md: derived buffers (rotary and sinusoidal tables, attention
masks, a recurrent layer's initial state) are non-trainable; dynamic
quantisation's per-tensor weight scales are non-trainable, not literals;
integer tensors are never parameters except quantised weights, biases and
zero points. Graph-only files hold no values, so every decision here reads
what computes or consumes the constant, never its numbers. Each heuristic
and its limits: docs/onnx-decisions.md, "Derived constants".

``Derived(consts).kind(fn, pos)`` -> ``"quant"``, ``"derived"`` or None
for the constant at input ``pos`` of a live node ``fn``. The backward
marks are computed once, bounded in depth, so the cost stays linear.
"""

from __future__ import annotations

from typing import Any

#: Ops a derived table flows through on its way to where it is used.
_CARRY = frozenset({"Expand", "Tile", "Reshape", "Unsqueeze", "Squeeze", "Cast", "Identity",
                    "Slice", "Gather", "Concat", "Transpose", "Split", "Mul", "Div", "Add",
                    "MatMul", "Neg", "Where", "CastLike", "Pow"})
_STATE_CARRY = frozenset({"Expand", "Tile", "Reshape", "Unsqueeze", "Squeeze", "Cast",
                          "Identity", "Slice", "Gather", "Concat", "Transpose", "Split",
                          "CastLike"})
#: (op, position) of a recurrent layer's initial state.
_STATE_SLOTS = {("LSTM", 5), ("LSTM", 6), ("GRU", 5), ("RNN", 5),
                ("DynamicQuantizeLSTM", 5), ("DynamicQuantizeLSTM", 6)}
_INTEGER_OPS = frozenset({"MatMulInteger", "ConvInteger"})
QUANT_OPS = frozenset({"QLinearConv", "ConvInteger", "MatMulInteger", "QLinearMatMul", "QGemm",
                       "QLinearAdd", "QLinearMul", "DequantizeLinear", "QuantizeLinear",
                       "DynamicQuantizeLinear", "QAttention", "DynamicQuantizeMatMul",
                       "MatMulIntegerToFloat", "MatMulNBits", "GatherBlockQuantized",
                       "DynamicQuantizeLSTM"})
#: TensorProto data types: bool and int64 are never quantised data.
BOOL, INT64 = 9, 7
INTEGER_TYPES = frozenset({2, 3, 4, 5, 6, 7, 9, 12, 13, 21, 22})  # (U)INT8..64, BOOL, (U)INT4


class Derived:
    def __init__(self, consts: Any) -> None:
        self.consts = consts
        self.producer = consts.producer
        self.consumers = consts.consumers
        self.to_trig = self._marks_back({"Sin", "Cos"}, None, _CARRY, 6)
        self.to_state = self._marks_back(None, _STATE_SLOTS, _STATE_CARRY, 4)

    def _marks_back(self, ops: set | None, slots: set | None, carry: frozenset, depth: int) -> set:
        """Tensors that flow, within ``depth`` carrying nodes, into one of
        ``ops`` (any input) or of ``slots`` ((op, position))."""
        marked: set[str] = set()
        frontier: list[str] = []
        targets = set(ops or ()) | {op for op, _ in (slots or ())}
        for fn in self.consts.flat.nodes:
            if fn.op_type not in targets:
                continue
            for k, x in enumerate(fn.inputs):
                if x and ((ops is not None and fn.op_type in ops)
                          or (slots is not None and (fn.op_type, k) in slots)):
                    frontier.append(x)
        for _ in range(depth):
            nxt: list[str] = []
            for x in frontier:
                if x in marked:
                    continue
                marked.add(x)
                p = self.producer.get(x)
                if p is not None and p.op_type in carry:
                    nxt.extend(i for i in p.inputs if i)
            frontier = nxt
        marked.update(frontier)
        return marked

    def kind(self, fn: Any, pos: int, tensor: str, matmul: bool = False) -> str | None:
        """What the constant ``tensor`` at input ``pos`` of ``fn`` is.
        ``matmul``: the constant operand of a MatMul-like op, a dense
        weight unless it is a vector feeding Sin/Cos (HF's ``inv_freq @
        positions``): a SIREN's weight matrix before a sine stays learned."""
        op = fn.op_type
        outs = [o for o in fn.outputs if o]
        if matmul:
            shape = self.consts.shapes.get(tensor)
            vector = shape is not None and sum(1 for d in shape if d != 1) <= 1
            return "derived" if vector and any(o in self.to_trig for o in outs) else None
        if op == "Mul" and self._weight_scale(fn, pos):
            return "quant"
        if op == "Where" and pos in (1, 2) and self._computed(tensor):
            return "derived"  # a fill or mask value (T5's zero position bias)
        if any(o in self.to_state for o in outs) or any(o in self.to_trig for o in outs):
            return "derived"
        if op == "Mul" and self._rotary(fn):
            return "derived"
        if op == "Add" and self._mask(fn, pos):
            return "derived"
        return None

    # ---- the patterns

    def _computed(self, tensor: str) -> bool:
        """Made by a Constant/ConstantOfShape node rather than stored as an
        initializer: TorchScript keeps parameters as initializers (T5's
        relative-attention table is read by a Where too, and is learned)."""
        p = self.producer.get(tensor)
        return p is not None and p.op_type in ("Constant", "ConstantOfShape")

    def _other(self, fn: Any, pos: int) -> Any:
        others = [x for k, x in enumerate(fn.inputs) if x and k != pos]
        return self.producer.get(others[0]) if len(others) == 1 else None

    def _integer_cast(self, node: Any) -> bool:
        if node is None or node.op_type != "Cast" or not node.inputs:
            return False
        src = self.producer.get(node.inputs[0])
        return src is not None and src.op_type in _INTEGER_OPS

    def _weight_scale(self, fn: Any, pos: int) -> bool:
        """onnxruntime's dynamic quantisation: ``Mul(x_scale, w_scale)``
        (x_scale from DynamicQuantizeLinear) or ``Mul(Cast(MatMulInteger),
        w_scale)``, the product then scaling the integer result."""
        other = self._other(fn, pos)
        if other is None:
            return False
        if other.op_type == "DynamicQuantizeLinear" or self._integer_cast(other):
            return True
        return False

    def _rotary(self, fn: Any) -> bool:
        """``q*cos + rotate_half(q)*sin``: two Muls by constants meeting in
        an Add, one of them reading ``Concat(Neg(..), ..)``."""
        users = self.consumers.get(fn.outputs[0], []) if fn.outputs else []
        if len(users) != 1 or users[0][0].op_type != "Add":
            return False
        add = users[0][0]
        muls = [self.producer.get(x) for x in add.inputs if x]
        if len(muls) != 2 or any(m is None or m.op_type != "Mul" for m in muls):
            return False
        for m in muls:
            for x in m.inputs:
                p = self.producer.get(x)
                if p is not None and p.op_type == "Concat" and any(
                        (q := self.producer.get(i)) is not None and q.op_type == "Neg"
                        for i in p.inputs if i):
                    return True
        return False

    def _mask(self, fn: Any, pos: int) -> bool:
        """A constant added to attention scores (a product of two
        activations, maybe scaled) that does not vary per head: a causal,
        padding or shifted-window mask. A per-head table added there (a
        folded relative-position bias) is learned and stays trainable."""
        node = self._other(fn, pos)
        for _ in range(3):
            if node is None:
                return False
            if node.op_type in ("MatMul", "Einsum"):
                break
            if node.op_type not in ("Div", "Mul", "Add", "Reshape"):
                return False
            node = next((self.producer.get(x) for x in node.inputs
                         if x and not self.consts.is_constant(x)), None)
        else:
            return False
        if any(self.consts.is_constant(x) for x in node.inputs if x):
            return False  # a dense layer's output, not scores
        shape = self.consts.shapes.get(fn.inputs[pos])
        if shape is None:
            return False
        return len(shape) < 3 or shape[-3] == 1

    # ---- integers

    def integer(self, root: str) -> bool:
        """Whether a root holds integers (or booleans), by its stored or
        computed element type."""
        return self.dtype(root) in INTEGER_TYPES

    def dtype(self, name: str, depth: int = 0) -> int | None:
        known = self.consts.dtype(name)
        if known is not None or depth > 8:
            return known
        p = self.producer.get(name)
        if p is None:
            return None
        if p.op_type == "ConstantOfShape":
            for a in p.node.attribute:
                if a.name == "value":
                    return a.t.data_type
            return 1  # float32 zeros
        if p.op_type in ("Cast", "EyeLike", "RandomNormalLike"):
            for a in p.node.attribute:
                if a.name in ("to", "dtype"):
                    return a.i
        if p.op_type in ("Shape", "Size", "NonZero", "ArgMax", "ArgMin"):
            return INT64
        if p.op_type in ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not",
                         "And", "Or", "Xor", "IsNaN", "IsInf"):
            return BOOL
        if p.op_type == "Where" and len(p.inputs) > 1:
            return self.dtype(p.inputs[1], depth + 1)
        first = next((x for x in p.inputs if x), None)
        return self.dtype(first, depth + 1) if first else None

    def feeds_dequant(self, fn: Any) -> bool:
        """A node whose output is dequantised (onnxruntime's quantised
        embedding: ``DequantizeLinear(Gather(uint8 table, ids), scale, zp)``):
        its integer constant input is quantised data."""
        return any(user.op_type == "DequantizeLinear" and k == 0
                   for o in fn.outputs if o for user, k in self.consumers.get(o, []))

    def dequantises_table(self, fn: Any) -> bool:
        """A DequantizeLinear of a gathered quantised table: its scale and
        zero point are the table's quantisation parameters."""
        if fn.op_type != "DequantizeLinear" or not fn.inputs:
            return False
        src = self.producer.get(fn.inputs[0])
        return (src is not None and src.op_type == "Gather" and bool(src.inputs)
                and self.consts.is_constant(src.inputs[0]))

    def through_dequant(self, name: str) -> bool:
        """A constant computed by a DequantizeLinear (a few ops up): its
        integer roots are quantised data."""
        x = name
        for _ in range(8):
            p = self.producer.get(x)
            if p is None:
                return False
            if p.op_type in QUANT_OPS:
                return True
            if not p.inputs or not p.inputs[0]:
                return False
            x = p.inputs[0]
        return False
