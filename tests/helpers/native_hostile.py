"""One-node ONNX models that crash or hang onnx's C++ shape inference
(issue 11), and expansion bombs. Built with ``onnx.helper`` where it
allows, hand-encoded where it refuses (an empty input name is fine for
helper; an attribute it would check is not).

Every model here was run against onnx 1.x's ``infer_shapes(...,
data_prop=True)`` in a throwaway process: the crashers die with SIGSEGV
(or SIGABRT), the hanger never returns.
"""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper

FLOAT = TensorProto.FLOAT


def _model(nodes, inputs, outputs, opset: int = 21, inits=(), functions=(), extra_opsets=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    opsets = [helper.make_opsetid("", opset), *[helper.make_opsetid(d, v) for d, v in extra_opsets]]
    model = helper.make_model(graph, opset_imports=opsets, functions=list(functions))
    model.ir_version = 10
    return model


def _vi(name, dtype=FLOAT, shape=None):
    return helper.make_tensor_value_info(name, dtype, shape)


def regex_full_match_empty_input() -> onnx.ModelProto:
    """RegexFullMatch reading the empty name (an absent input)."""
    node = helper.make_node("RegexFullMatch", [""], ["y"], pattern="a")
    return _model([node], [], [_vi("y", TensorProto.BOOL)], opset=20)


def gather_nd_huge_negative_batch_dims() -> onnx.ModelProto:
    node = helper.make_node("GatherND", ["x", "i"], ["y"], batch_dims=-1000000)
    return _model([node], [_vi("x", FLOAT, [2, 3]), _vi("i", TensorProto.INT64, [2, 1])],
                  [_vi("y")])


def eye_like_no_input() -> onnx.ModelProto:
    """Found by fuzz/fuzz_shapes.py: an absent input and a dtype attribute."""
    node = helper.make_node("EyeLike", [""], ["y"], dtype=TensorProto.INT64)
    return _model([node], [], [_vi("y")])


def layer_norm_odd_axis() -> onnx.ModelProto:
    node = helper.make_node("LayerNormalization", ["x", "s"], ["y"], axis=-1000000)
    return _model([node], [_vi("x", FLOAT, [2, 3]), _vi("s", FLOAT, [3])], [_vi("y")])


def einsum_bad_equation() -> onnx.ModelProto:
    """Spins forever (onnx 1.23.2) on a rank-0 input."""
    node = helper.make_node("Einsum", ["x"], ["y"], equation="\u00ff")
    return _model([node], [_vi("x", FLOAT, [])], [_vi("y")])


def mean_variance_normalization_huge_dim() -> onnx.ModelProto:
    """Found by fuzz/fuzz_shapes.py: inference does not return (over 60 s)
    on a 2^40-long input."""
    node = helper.make_node("MeanVarianceNormalization", ["x"], ["y"], axes=[0])
    return _model([node], [_vi("x", TensorProto.DOUBLE, [2**40])], [_vi("y")])


#: name -> builder of a one-node model (the crashes and hangs each causes
#: with onnx 1.23.2 are in tests/test_isolate.py's EXPECTED)
NATIVE_CRASHERS = {
    "regex_full_match": regex_full_match_empty_input,
    "gather_nd": gather_nd_huge_negative_batch_dims,
    "eye_like": eye_like_no_input,
    "layer_norm": layer_norm_odd_axis,
    "einsum": einsum_bad_equation,
}


def write(model: onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


# ---- expansion bombs


def function_bomb(fanout: int = 4, depth: int = 10) -> onnx.ModelProto:
    """Model-local functions f0..f{depth}: each calls the next ``fanout``
    times in a chain, the last is one Relu. fanout**depth nodes once
    inlined (4, 10: 1,048,576) from ~1.4 KB of file."""
    functions = []
    for level in range(depth, -1, -1):
        if level == depth:
            body = [helper.make_node("Relu", ["x"], ["y"])]
        else:
            names = ["x", *[f"t{k}" for k in range(fanout - 1)], "y"]
            body = [helper.make_node(f"f{level + 1}", [names[k]], [names[k + 1]], domain="local")
                    for k in range(fanout)]
        functions.append(helper.make_function("local", f"f{level}", ["x"], ["y"], body,
                                              [helper.make_opsetid("", 21)]))
    node = helper.make_node("f0", ["x"], ["y"], domain="local")
    return _model([node], [_vi("x", FLOAT, [1, 4])], [_vi("y", FLOAT, [1, 4])],
                  functions=functions, extra_opsets=[("local", 1)])


def shared_weight_matmuls(readers: int = 10_000, width: int = 8) -> onnx.ModelProto:
    """``readers`` MatMuls in a chain, every one reading the same weight."""
    w = helper.make_tensor("W", FLOAT, [width, width], [0.5 + k for k in range(width * width)])
    nodes = [helper.make_node("MatMul", [f"h{k}" if k else "x", "W"], [f"h{k + 1}"], name=f"mm{k}")
             for k in range(readers)]
    return _model(nodes, [_vi("x", FLOAT, [1, width])], [_vi(f"h{readers}", FLOAT, [1, width])],
                  opset=17, inits=[w])


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def many_nodes_bytes(nodes: int = 1_000_000) -> bytes:
    """A ModelProto of ``nodes`` Relu nodes in a chain, hand-encoded (onnx.helper
    takes minutes for a million). Node k reads t{k} and writes t{k+1}."""
    relu = _field(4, b"Relu")
    body = b"".join(_field(1, _field(1, b"t%d" % k) + _field(2, b"t%d" % (k + 1)) + relu)
                    for k in range(nodes))
    x = _vi("t0", FLOAT, [1, 4]).SerializeToString()
    y = _vi(f"t{nodes}", FLOAT, [1, 4]).SerializeToString()
    graph = body + _field(2, b"g") + _field(11, x) + _field(12, y)
    opset = _field(1, b"") + b"\x10" + _varint(17)  # OperatorSetIdProto: domain "", version 17
    return b"\x08" + _varint(8) + _field(7, graph) + _field(8, opset)  # ir_version 8
