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
    node = helper.make_node("EyeLike", [""], ["y"])
    return _model([node], [], [_vi("y")])


def layer_norm_odd_axis() -> onnx.ModelProto:
    node = helper.make_node("LayerNormalization", ["x", "s"], ["y"], axis=-1000000)
    return _model([node], [_vi("x", FLOAT, [2, 3]), _vi("s", FLOAT, [3])], [_vi("y")])


def einsum_bad_equation() -> onnx.ModelProto:
    """Spins forever (onnx 1.23.2) on a rank-0 input."""
    node = helper.make_node("Einsum", ["x"], ["y"], equation="\u00ff")
    return _model([node], [_vi("x", FLOAT, [])], [_vi("y")])


#: name -> (builder, what paramlint must say: a crash or a hang)
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
