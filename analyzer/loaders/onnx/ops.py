"""Per-op tables for the ONNX loader: which inputs hold weights, which
only carry a shape/axes/index/size, how an op is named in the IR.

Positions are 0-based input indices. Three kinds of constant input:

* ``WEIGHT`` / ``BUFFER``: a parameter (trainable / non-trainable) when the
  tensor is constant;
* ``AUX``: a shape, axes, index, size, activation quantisation scale... never
  a parameter (and its roots are not weights at all);
* anything else (``DATA``): a constant there is a learned operand if it has
  more than one element (element-wise Add/Mul/..., Concat, custom ops), a
  literal when it has one element, whatever the op (docs/onnx-decisions.md).

Plain data and small pure functions; no onnx import.
"""

from __future__ import annotations

from typing import Any

WEIGHT = "weight"
BUFFER = "buffer"
AUX = "aux"
DATA = "data"

DEFAULT_DOMAINS = ("", "ai.onnx")

#: op -> {position: role} for inputs with a fixed role.
ROLES: dict[str, dict[int, str]] = {
    "Conv": {1: WEIGHT, 2: WEIGHT},
    "ConvTranspose": {1: WEIGHT, 2: WEIGHT},
    "Gemm": {2: WEIGHT},  # A/B: whichever is constant (see operand_roles)
    "BatchNormalization": {1: WEIGHT, 2: WEIGHT, 3: BUFFER, 4: BUFFER},
    "LayerNormalization": {1: WEIGHT, 2: WEIGHT},
    "InstanceNormalization": {1: WEIGHT, 2: WEIGHT},
    "GroupNormalization": {1: WEIGHT, 2: WEIGHT},
    "RMSNormalization": {1: WEIGHT},
    "SimplifiedLayerNormalization": {1: WEIGHT},
    "SkipLayerNormalization": {2: WEIGHT, 3: WEIGHT, 4: WEIGHT},
    "SkipSimplifiedLayerNormalization": {2: WEIGHT},
    # initial states: derived buffers (counting.md), non-trainable
    "LSTM": {1: WEIGHT, 2: WEIGHT, 3: WEIGHT, 4: AUX, 5: BUFFER, 6: BUFFER, 7: WEIGHT},
    "GRU": {1: WEIGHT, 2: WEIGHT, 3: WEIGHT, 4: AUX, 5: BUFFER},
    "RNN": {1: WEIGHT, 2: WEIGHT, 3: WEIGHT, 4: AUX, 5: BUFFER},
    # com.microsoft (onnxruntime quantize_dynamic): int8 W/R, then their scales/zero points
    "DynamicQuantizeLSTM": {1: WEIGHT, 2: WEIGHT, 3: WEIGHT, 4: AUX, 5: BUFFER, 6: BUFFER,
                            7: WEIGHT, 8: BUFFER, 9: BUFFER, 10: BUFFER, 11: BUFFER},
    "PRelu": {1: WEIGHT},
    "Gather": {1: AUX},
    "GatherElements": {1: AUX},
    "GatherND": {1: AUX},
    "Attention": {1: WEIGHT, 2: WEIGHT, 3: AUX, 4: AUX, 5: AUX},  # com.microsoft
    "EmbedLayerNormalization": {0: AUX, 1: AUX, 2: WEIGHT, 3: WEIGHT, 4: WEIGHT,
                                5: WEIGHT, 6: WEIGHT, 7: AUX, 8: AUX},
    # quantised ops: weight, its scale/zero point (buffers), activation q-params (aux)
    "QLinearConv": {1: AUX, 2: AUX, 3: WEIGHT, 4: BUFFER, 5: BUFFER, 6: AUX, 7: AUX, 8: WEIGHT},
    "ConvInteger": {1: WEIGHT, 2: AUX, 3: BUFFER},
    "MatMulInteger": {2: AUX, 3: BUFFER},
    "QLinearMatMul": {1: AUX, 2: AUX, 4: BUFFER, 5: BUFFER, 6: AUX, 7: AUX},
    "QGemm": {1: AUX, 2: AUX, 3: WEIGHT, 4: BUFFER, 5: BUFFER, 6: WEIGHT, 7: AUX, 8: AUX},
    "QuantizeLinear": {1: AUX, 2: AUX},
    "DequantizeLinear": {1: AUX, 2: AUX},
    "DynamicQuantizeLinear": {},
    # shape / axes / index / size inputs
    "Reshape": {1: AUX},
    "Expand": {1: AUX},
    "Tile": {1: AUX},
    "Slice": {1: AUX, 2: AUX, 3: AUX, 4: AUX},
    "Squeeze": {1: AUX},
    "Unsqueeze": {1: AUX},
    "Split": {1: AUX},
    "Resize": {1: AUX, 2: AUX, 3: AUX},
    "Upsample": {1: AUX},
    "Pad": {1: AUX, 2: AUX, 3: AUX},
    "TopK": {1: AUX},
    "ConstantOfShape": {0: AUX},
    "EyeLike": {0: AUX},
    "Range": {0: AUX, 1: AUX, 2: AUX},
    "OneHot": {1: AUX, 2: AUX},
    "ScatterND": {1: AUX},
    "ScatterElements": {1: AUX},
    "Scatter": {1: AUX},
    "CumSum": {1: AUX},
    "Dropout": {1: AUX, 2: AUX},
    "Clip": {1: AUX, 2: AUX},
    "NonMaxSuppression": {1: AUX, 2: AUX, 3: AUX, 4: AUX},
    "RoiAlign": {1: AUX, 2: AUX},
    "MaxRoiPool": {1: AUX},
    "Trilu": {1: AUX},
    "Compress": {1: AUX},
    "ReverseSequence": {1: AUX},
    "MaxUnpool": {1: AUX, 2: AUX},
    "CastLike": {1: AUX},
    "CenterCropPad": {1: AUX},
    "Col2Im": {1: AUX, 2: AUX},
    "DFT": {1: AUX, 2: AUX},
    "STFT": {1: AUX, 2: AUX, 3: AUX},
    "Where": {0: AUX},
    "Shape": {0: AUX},
    "Size": {0: AUX},
    "SequenceAt": {1: AUX},
    "SplitToSequence": {1: AUX},
    "Loop": {0: AUX, 1: AUX},
    "If": {0: AUX},
    "Bernoulli": {0: AUX},
    "RandomNormalLike": {0: AUX},
    "RandomUniformLike": {0: AUX},
    "Multinomial": {0: AUX},
    "AffineGrid": {1: AUX},
    "ImageDecoder": {0: AUX},
    "RotaryEmbedding": {1: AUX, 2: AUX, 3: AUX},
}

#: Ops whose trailing input is an axes list (opset 18+ reductions, etc.).
for _op in ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
            "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"):
    ROLES[_op] = {1: AUX}

#: Ops whose constant data operand (any position) is a dense weight.
MATMUL_LIKE = frozenset({"MatMul", "Gemm", "MatMulInteger", "QLinearMatMul",
                         "FusedMatMul", "Einsum"})

#: Deterministic generator ops: their output is a constant root.
GENERATORS = frozenset({"Constant", "ConstantOfShape", "EyeLike", "Range"})

#: Ops that never produce constants, even from constant inputs.
NONDETERMINISTIC = frozenset({
    "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
    "Multinomial", "Bernoulli", "If", "Loop", "Scan",
})

#: Ops with a learned operand where a quantised operand's scale / zero
#: point sit: data position -> (scale position, zero-point position).
QUANT_OPERANDS: dict[str, dict[int, tuple[int, int]]] = {
    "QLinearMatMul": {0: (1, 2), 3: (4, 5)},
    "MatMulInteger": {0: (2, 2), 1: (3, 3)},
}

SIMPLE_NAMES = {
    "BatchNormalization": "batchnorm",
    "LayerNormalization": "layernorm",
    "InstanceNormalization": "instancenorm",
    "GroupNormalization": "groupnorm",
    "RMSNormalization": "rmsnorm",
    "SimplifiedLayerNormalization": "rmsnorm",
    "LSTM": "lstm",
    "DynamicQuantizeLSTM": "lstm",
    "GRU": "gru",
    "RNN": "rnn",
    "Flatten": "flatten",
    "Reshape": "reshape",
    "Transpose": "transpose",
    "Dropout": "dropout",
    "Identity": "identity",
    "Relu": "relu",
    "GlobalAveragePool": "global_avgpool",
    "GlobalMaxPool": "global_maxpool",
    "Softmax": "softmax",
    "LeakyRelu": "leaky_relu",
    "PRelu": "prelu",
    "Concat": "concat",
    "Upsample": "upsample",
    "Resize": "resize",
}

#: TensorProto.DataType -> the IR's dtype name (Weight.dtype), for weight bytes.
DTYPES = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
    8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
    14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn",
    18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
    23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2",
}

POOLS = {"MaxPool": "maxpool", "AveragePool": "avgpool", "LpPool": "lppool"}


def role(op_type: str, position: int) -> str:
    """The role of input ``position`` of ``op_type`` (see module doc)."""
    return ROLES.get(op_type, {}).get(position, DATA)


def qualified(op_type: str, domain: str) -> str:
    """``source_op``: the op type, prefixed by its domain when not default."""
    if domain in DEFAULT_DOMAINS:
        return op_type
    return f"{domain}.{op_type}"


def normalise(op_type: str, domain: str, *, rank: int | None = None,
              dense: bool = False, embedding: bool = False) -> str:
    """The IR ``op`` for a node.

    ``rank``: spatial rank (kernel rank for convs, input rank - 2 for pools);
    ``dense``: a MatMul/Gemm with a weight operand; ``embedding``: a Gather
    on a constant table.
    """
    if domain not in DEFAULT_DOMAINS and domain != "com.microsoft":
        return op_type.lower()
    if op_type in ("Conv", "ConvInteger", "QLinearConv"):
        return f"conv{rank}d" if rank else "conv"
    if op_type == "ConvTranspose":
        return f"conv{rank}d_transpose" if rank else "conv_transpose"
    if op_type in MATMUL_LIKE or op_type == "QGemm":
        return "dense" if dense or op_type in ("Gemm", "QGemm") else op_type.lower()
    if op_type == "Gather":
        return "embedding" if embedding else "gather"
    if op_type in POOLS:
        return f"{POOLS[op_type]}{rank}d" if rank else POOLS[op_type]
    if op_type in SIMPLE_NAMES:
        return SIMPLE_NAMES[op_type]
    return op_type.lower()


def _plain(value: Any) -> Any:
    """JSON-safe: ints, floats, strs, bools and lists of them; else None."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        return None if any(v is None for v in items) else items
    return None


# AttributeProto.AttributeType values (onnx.proto), for attr_value's fast path.
_FLOAT, _INT, _STRING, _FLOATS, _INTS, _STRINGS = 1, 2, 3, 6, 7, 8
#: TENSORS, GRAPHS, SPARSE_TENSORS, TYPE_PROTOS: the repeated field of each.
_PROTO_LISTS = {9: "tensors", 10: "graphs", 12: "sparse_tensors", 14: "type_protos"}


def _text(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def attr_value(attr: Any) -> Any:
    """A plain, JSON-safe value for an AttributeProto (None for tensors,
    graphs, types, or anything malformed).

    What ``onnx.helper.get_attribute_value`` then ``_plain`` would give,
    read directly: they cost ~7 us an attribute, a third of a 50,000-node
    model's layer building, and importing the helper imports all of onnx
    (onnx_lean)."""
    if attr.ref_attr_name:
        return None  # get_attribute_value refuses a reference attribute
    kind = attr.type
    if kind == _INTS:
        return list(attr.ints)
    if kind == _INT:
        return attr.i
    if kind == _FLOAT:
        return attr.f
    if kind == _FLOATS:
        return list(attr.floats)
    if kind == _STRING:
        return _text(attr.s)
    if kind == _STRINGS:
        return [_text(v) for v in attr.strings]
    if kind in _PROTO_LISTS:  # a list of tensors, graphs...: empty, or not plain
        return [] if len(getattr(attr, _PROTO_LISTS[kind])) == 0 else None
    return None  # a tensor, graph, type; UNDEFINED; an unknown kind
