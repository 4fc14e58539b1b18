"""ONNX loader: reading, structure, names, shapes, opsets, subgraphs, errors."""

from __future__ import annotations

import os
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import onnx_builders as ob  # noqa: E402

from paramlint.ir.model import LoadError  # noqa: E402
from paramlint.loaders import candidates  # noqa: E402
from paramlint.loaders.onnx.loader import load  # noqa: E402


def _load(model, tmp_path, name="m.onnx", external=False):
    return load(ob.save(model, tmp_path / name, external=external))


def _params(model, layer):
    return sum(model.weights[w].elements for w in model.layer(layer).weights)


# ---- registry and model-level fields


def test_registry_resolves_onnx_extension_to_this_loader():
    assert [loader.loader() for loader in candidates("x.onnx")] == [load]


def test_model_fields_follow_the_ir_contract(tmp_path):
    m = _load(ob.alexnet_graph(), tmp_path, "alex.onnx")
    assert m.format == "onnx"
    assert m.name == "alexnet"
    assert m.batch_dim is True
    assert [(i.name, i.shape) for i in m.inputs] == [("input", (1, 3, 227, 227))]
    assert m.error is None
    assert m.shapes["/conv1/Conv_output_0"] == (1, 96, 55, 55)


def test_model_name_falls_back_to_file_stem(tmp_path):
    b = ob.GraphBuilder("")
    x = b.input("x", [1, 4])
    b.output(b.node("Relu", [x], name="r"), [1, 4])
    assert _load(b.model(), tmp_path, "my_net.onnx").name == "my_net"


def test_one_layer_per_node_in_graph_order_with_torchvision_names(tmp_path):
    m = _load(ob.alexnet_graph(), tmp_path)
    names = [layer.name for layer in m.layers]
    assert names[:4] == ["/conv1/Conv", "/relu1/Relu", "/pool1/MaxPool", "/conv2/Conv"]
    assert len(m.layers) == 19  # 5 conv + 7 relu + 3 pool + flatten + 3 gemm
    conv1 = m.layer("/conv1/Conv")
    assert conv1.source_op == "Conv" and conv1.op == "conv2d"
    assert conv1.location.node_index == 0 and conv1.location.node_name == "/conv1/Conv"
    assert conv1.location.path.endswith("m.onnx")
    assert [layer.location.node_index for layer in m.layers] == list(range(19))


def test_shapes_carry_every_dim_symbolic_as_name_unknown_as_none(tmp_path):
    b = ob.GraphBuilder("g")
    x = b.input("x", ["batch", 3, None, 8])
    y = b.node("Relu", [x], name="r")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    layer = m.layer("r")
    assert layer.input_shape == ("batch", 3, None, 8)
    assert layer.output_shape == ("batch", 3, None, 8)
    assert m.inputs[0].shape == ("batch", 3, None, 8)


def test_unnamed_nodes_get_op_and_index_and_duplicates_are_suffixed(tmp_path):
    b = ob.GraphBuilder("g")
    x = b.input("x", [1, 4])
    y = b.node("Relu", [x], ["y"], name="")
    z = b.node("Sigmoid", [y], ["z"], name="act")
    w = b.node("Tanh", [z], ["w"], name="act")
    b.output(w, [1, 4])
    m = _load(b.model(), tmp_path)
    assert [layer.name for layer in m.layers] == ["Relu_0", "act", "act_1"]


def test_unsorted_nodes_are_put_in_topological_order(tmp_path):
    b = ob.GraphBuilder("g")
    x = b.input("x", [1, 4])
    b.node("Sigmoid", ["y"], ["z"], name="second")
    b.node("Relu", [x], ["y"], name="first")
    b.output("z", [1, 4])
    m = _load(b.model(), tmp_path)
    assert [layer.name for layer in m.layers] == ["first", "second"]
    assert m.layer("second").location.node_index == 0


# ---- opsets and IR versions


def _opset9_model():
    b = ob.GraphBuilder("old", opset=9)
    x = b.input("x", [1, 3, 8, 8])
    y = ob.conv(b, x, 3, 4, 3, pad=1, scope="/c")
    y = ob.batchnorm(b, y, 4, scope="/bn")
    y = b.node("Dropout", [y], name="/drop", ratio=0.5)
    scales = b.init("scales", [4], np.array([1, 1, 2, 2], dtype=np.float32))
    y = b.node("Upsample", [y, scales], name="/up", mode="nearest")
    y = b.node("Unsqueeze", [y], name="/unsq", axes=[0])
    y = b.node("Squeeze", [y], name="/sq", axes=[0])
    y = ob.flatten(b, y, scope="/f")
    y = ob.gemm(b, y, 4 * 16 * 16, 10, scope="/fc")
    b.output(y, [1, 10])
    return b.model()


def test_opset9_ops_with_axes_and_ratio_as_attributes(tmp_path):
    m = _load(_opset9_model(), tmp_path)
    assert m.layer("/up").op == "upsample"
    assert m.layer("/up").output_shape == (1, 4, 16, 16)
    assert m.layer("/up").weights == []  # scales are a size, not a parameter
    assert m.layer("/drop").op == "dropout"
    assert m.layer("/sq").output_shape == (1, 4, 16, 16)
    assert _params(m, "/fc/Gemm") == 4 * 16 * 16 * 10 + 10
    assert "scales" not in m.weights


def test_newest_opset_ops_with_axes_as_inputs(tmp_path):
    opset = onnx.defs.onnx_opset_version()
    b = ob.GraphBuilder("new", opset=opset)
    x = b.input("x", [1, 3, 8, 8])
    y = ob.conv(b, x, 3, 4, 3, pad=1, scope="/c")
    axes = b.init("axes", [1], np.array([0]), dtype=TensorProto.INT64)
    y = b.node("Unsqueeze", [y, axes], name="/unsq")
    y = b.node("Squeeze", [y, axes], name="/sq")
    ratio = b.init("ratio", [], 0.1)
    y = b.node("Dropout", [y, ratio], name="/drop")
    split = b.init("split", [2], np.array([2, 2]), dtype=TensorProto.INT64)
    y1, _ = b.node("Split", [y, split], 2, name="/split", axis=1)
    y = ob.reshape(b, y1, [1, -1], scope="/r")
    y = ob.linear_matmul(b, y, 2 * 8 * 8, 5, scope="/fc")
    b.output(y, [1, 5])
    m = _load(b.model(), tmp_path)
    assert m.layer("/split").output_shape == (1, 2, 8, 8)
    assert m.layer("/r/Reshape").output_shape == (1, 128)
    assert _params(m, "/fc/MatMul") == 2 * 8 * 8 * 5 + 5
    assert _params(m, "/c/Conv") == 4 * 3 * 3 * 3 + 4
    assert {"axes", "ratio", "split"}.isdisjoint(m.weights)


def test_ir3_initializers_listed_as_inputs_are_weights_not_inputs(tmp_path):
    b = ob.GraphBuilder("ir3", opset=8, ir_version=3, initializers_as_inputs=True)
    x = b.input("x", [1, 3, 8, 8])
    y = ob.conv(b, x, 3, 4, 3, scope="/c")
    b.output(y, [1, 4, 6, 6])
    model = b.model()
    assert {i.name for i in model.graph.input} == {"x", "c.weight", "c.bias"}
    m = _load(model, tmp_path)
    assert [i.name for i in m.inputs] == ["x"]
    assert m.layer("/c/Conv").weights == ["c.weight", "c.bias"]
    assert m.layer("/c/Conv").output_shape == (1, 4, 6, 6)


# ---- subgraphs and functions


def _loop_model():
    """A Loop whose body runs a MatMul on a body initializer and an Add of an
    outer initializer, plus a Constant inside the body."""
    body = helper.make_graph(
        [
            helper.make_node("MatMul", ["h_in", "W_body"], ["h1"], name="mm"),
            helper.make_node("Add", ["h1", "outer_bias"], ["h2"], name="add"),
            helper.make_node("Constant", [], ["scale_c"], name="cst",
                             value=helper.make_tensor("v", TensorProto.FLOAT, [8],
                                                      np.arange(8, dtype=np.float32))),
            helper.make_node("Mul", ["h2", "scale_c"], ["h3"], name="mul"),
            helper.make_node("Identity", ["cond_in"], ["cond_out"], name="cond"),
        ],
        "body",
        [helper.make_tensor_value_info("iter", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("h3", TensorProto.FLOAT, [1, 8])],
        [ob.make_tensor("W_body", [8, 8], "random")],
    )
    b = ob.GraphBuilder("loop")
    x = b.input("x", [1, 8])
    b.init("outer_bias", [8])
    trip = b.init("trip", [], np.array(3, dtype=np.int64), dtype=TensorProto.INT64)
    cond = b.init("cond", [], np.array(True), dtype=TensorProto.BOOL)
    y = b.node("Loop", [trip, cond, x], ["y"], name="/rnn/Loop", body=body)
    b.output(y, [1, 8])
    return b.model()


def test_loop_body_nodes_become_owner_prefixed_layers_with_their_weights(tmp_path):
    m = _load(_loop_model(), tmp_path)
    names = [layer.name for layer in m.layers]
    assert names == ["/rnn/Loop", "/rnn/Loop/mm", "/rnn/Loop/cst", "/rnn/Loop/mul",
                     "/rnn/Loop/cond"]
    mm = m.layer("/rnn/Loop/mm")
    assert mm.op == "dense"
    # the body's MatMul+Add is one dense layer: body W and the outer bias
    assert mm.weights == ["/rnn/Loop/W_body", "outer_bias"]
    assert _params(m, "/rnn/Loop/mm") == 8 * 8 + 8
    assert m.layer("/rnn/Loop/mul").weights == ["/rnn/Loop/scale_c"]
    assert m.weights["/rnn/Loop/scale_c"].elements == 8
    assert all(layer.location.node_index == 0 for layer in m.layers)
    assert m.layer("/rnn/Loop").weights == []  # trip count and condition are not weights
    assert "trip" not in m.weights and "cond" not in m.weights


def test_if_branches_are_flattened_with_branch_prefixes(tmp_path):
    def branch(name, w):
        return helper.make_graph(
            [helper.make_node("MatMul", ["x", w], ["out"], name="mm")], name, [],
            [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 4])],
            [ob.make_tensor(w, [4, 4], "random")])

    b = ob.GraphBuilder("if")
    b.input("x", [1, 4])
    c = b.input("c", [], TensorProto.BOOL)
    y = b.node("If", [c], ["y"], name="/if", then_branch=branch("t", "Wt"),
               else_branch=branch("e", "We"))
    b.output(y, [1, 4])
    m = _load(b.model(), tmp_path)
    names = [layer.name for layer in m.layers]
    assert names[0] == "/if"
    assert sorted(names[1:]) == ["/if/else_branch/mm", "/if/then_branch/mm"]
    assert m.layer("/if/then_branch/mm").weights == ["/if/then_branch/Wt"]
    assert m.layer("/if/else_branch/mm").weights == ["/if/else_branch/We"]


def test_shapes_inferred_inside_a_branch_reach_its_flattened_layers(tmp_path):
    # The branch declares no shape for its inner tensor ``h``: only shape
    # inference (in the child) knows it, and it comes back keyed by the
    # branch's path, to be renamed ``/if/then_branch/h``.
    def branch(name, w):
        return helper.make_graph(
            [helper.make_node("MatMul", ["x", w], ["h"], name="mm"),
             helper.make_node("Relu", ["h"], ["out"], name="act")], name, [],
            [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
            [ob.make_tensor(w, [4, 6], "random")])

    b = ob.GraphBuilder("if")
    b.input("x", [2, 4])
    c = b.input("c", [], TensorProto.BOOL)
    y = b.node("If", [c], ["y"], name="/if", then_branch=branch("t", "Wt"),
               else_branch=branch("e", "We"))
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    for side in ("then_branch", "else_branch"):
        assert m.layer(f"/if/{side}/mm").output_shape == (2, 6)
        assert m.layer(f"/if/{side}/act").input_shape == (2, 6)
    assert m.shapes["/if/then_branch/h"] == (2, 6)


def test_local_function_is_inlined_as_owner_prefixed_layers(tmp_path):
    fn = helper.make_function(
        "local", "LinearRelu", ["inp", "w", "bias"], ["out"],
        [helper.make_node("MatMul", ["inp", "w"], ["t"], name="mm"),
         helper.make_node("Add", ["t", "bias"], ["u"], name="add"),
         helper.make_node("Relu", ["u"], ["out"], name="act")],
        opset_imports=[helper.make_opsetid("", 17)])
    b = ob.GraphBuilder("fn")
    b.functions.append(fn)
    x = b.input("x", [1, 6])
    w = b.init("block.w", [6, 3])
    bias = b.init("block.bias", [3])
    y = b.node("LinearRelu", [x, w, bias], ["y"], name="/block", domain="local")
    b.output(y, [1, 3])
    m = _load(b.model(), tmp_path)
    assert [layer.name for layer in m.layers] == ["/block/mm", "/block/act"]
    mm = m.layer("/block/mm")
    assert mm.op == "dense" and mm.weights == ["block.w", "block.bias"]
    assert mm.location.node_index == 0 and mm.location.node_name == "/block"
    assert m.layer("/block/act").outputs == ["y"]
    assert m.layer("/block/act").output_shape == (1, 3)


# ---- unknown ops and NHWC


def test_unknown_custom_op_is_unmodelled_and_counting_goes_on(tmp_path):
    b = ob.GraphBuilder("custom")
    x = b.input("x", [1, 3, 8, 8])
    y = ob.conv(b, x, 3, 4, 3, scope="/c")
    table = b.init("mystery.table", [4, 5])
    y = b.node("FancyThing", [y, table], name="/fancy", domain="com.example")
    y = ob.flatten(b, y, scope="/f")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    fancy = m.layer("/fancy")
    assert fancy.source_op == "com.example.FancyThing"
    assert fancy.op == "fancything"
    assert fancy.output_shape is None
    assert fancy.weights == ["mystery.table"]
    diags = [d for d in m.diagnostics if d.kind == "unmodelled" and d.layer == "/fancy"]
    assert len(diags) == 1 and "com.example.FancyThing" in diags[0].message
    assert diags[0].location.node_index == 1
    assert not [d for d in m.diagnostics if d.kind != "unmodelled"]
    assert _params(m, "/c/Conv") == 4 * 3 * 3 * 3 + 4
    assert "params_unknown" in fancy.attrs  # its table is counted, its parameters not known


def test_tf2onnx_nhwc_transpose_after_conv_is_marked_channels_last(tmp_path):
    b = ob.GraphBuilder("tf", opset=13)
    x = b.input("input_1", ["unk__1", 32, 32, 3])
    t = b.node("Transpose", [x], name="model/conv2d/Conv2D__6", perm=[0, 3, 1, 2])
    y = ob.conv(b, t, 3, 8, 3, scope="model/conv2d")
    y = b.node("Relu", [y], name="model/conv2d/Relu")
    y = b.node("Transpose", [y], name="model/conv2d/Relu__8", perm=[0, 2, 3, 1])
    shape = b.init("const_fold_opt__12", [2], np.array([-1, 30 * 30 * 8], dtype=np.int64),
                   dtype=TensorProto.INT64)
    y = b.node("Reshape", [y, shape], name="model/flatten/Reshape")
    y = b.node("MatMul", [y, b.init("model/dense/MatMul/ReadVariableOp:0", [7200, 10])],
               name="model/dense/MatMul")
    y = b.node("Add", [y, b.init("model/dense/BiasAdd/ReadVariableOp:0", [10])],
               name="model/dense/BiasAdd")
    b.output(y, ["unk__1", 10])
    m = _load(b.model(), tmp_path)
    nhwc = m.layer("model/conv2d/Relu__8")
    assert nhwc.attrs.get("channels_last") is True
    assert nhwc.output_shape == ("unk__1", 30, 30, 8)
    assert "channels_last" not in m.layer("model/conv2d/Conv2D__6").attrs
    reshape = m.layer("model/flatten/Reshape")
    assert reshape.inputs == ["model/conv2d/Relu__8_output_0"]
    assert reshape.output_shape == (None, 7200)  # -1 of a symbolic batch: unknown
    dense = m.layer("model/dense/MatMul")
    assert dense.inputs == ["model/flatten/Reshape_output_0"]
    assert _params(m, "model/dense/MatMul") == 7200 * 10 + 10
    assert "const_fold_opt__12" not in m.weights


# ---- never reading weight data or opening paths


def test_external_data_is_never_opened_and_still_counted(tmp_path):
    opened: list[str] = []

    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.fspath(args[0]) if not isinstance(args[0], bytes) else args[0].decode())

    b = ob.GraphBuilder("ext")
    x = b.input("x", [1, 16])
    w = b.external("fc.weight", [16, 32], "../secret_weights.bin")
    y = b.node("MatMul", [x, w], name="/fc/MatMul")
    b.output(y, [1, 32])
    path = ob.save(b.model(), tmp_path / "ext.onnx")
    sys.addaudithook(hook)
    m = load(path)
    snapshot = list(opened)
    opened.clear()
    assert not any("secret_weights" in p for p in snapshot)
    assert m.weights["fc.weight"].shape == (16, 32)
    assert m.weights["fc.weight"].uniform is None


def test_onnx_saved_with_external_data_loads_without_the_data_file(tmp_path):
    path = ob.save(ob.alexnet_graph(weights="zeros"), tmp_path / "alex.onnx", external=True)
    os.remove(str(tmp_path / "alex.onnx.data"))
    m = load(path)
    conv1 = m.layer("/conv1/Conv")
    assert sum(m.weights[w].elements for w in conv1.weights) == 96 * 3 * 11 * 11 + 96


# ---- errors


def test_missing_file_is_a_load_error(tmp_path):
    with pytest.raises(LoadError) as err:
        load(str(tmp_path / "nope.onnx"))
    assert err.value.location.path.endswith("nope.onnx")


def test_garbage_bytes_are_a_load_error(tmp_path):
    p = tmp_path / "bad.onnx"
    p.write_bytes(b"\xff\xfe this is not a protobuf \x00\x01" * 10)
    with pytest.raises(LoadError):
        load(str(p))


def test_cycle_is_a_load_error(tmp_path):
    b = ob.GraphBuilder("cyc")
    x = b.input("x", [1, 4])
    b.node("Add", [x, "b"], ["a"], name="n1")
    b.node("Relu", ["a"], ["b"], name="n2")
    b.output("b", [1, 4])
    with pytest.raises(LoadError) as err:
        _load(b.model(), tmp_path)
    assert "cycle" in err.value.message


def test_reading_a_tensor_nobody_makes_names_node_and_tensor(tmp_path):
    b = ob.GraphBuilder("missing")
    x = b.input("x", [1, 4])
    b.node("Add", [x, "ghost"], ["y"], name="adder")
    b.output("y", [1, 4])
    with pytest.raises(LoadError) as err:
        _load(b.model(), tmp_path)
    assert "adder" in err.value.message and "ghost" in err.value.message


def test_duplicate_output_names_are_a_load_error(tmp_path):
    b = ob.GraphBuilder("dup")
    x = b.input("x", [1, 4])
    b.node("Relu", [x], ["y"], name="a")
    b.node("Sigmoid", [x], ["y"], name="b")
    b.output("y", [1, 4])
    with pytest.raises(LoadError) as err:
        _load(b.model(), tmp_path)
    assert "'y'" in err.value.message


def test_negative_weight_dim_is_a_load_error(tmp_path):
    b = ob.GraphBuilder("neg")
    x = b.input("x", [1, 4])
    w = b.init("w", [4, 4], None)
    b.inits[-1].dims[1] = -3
    b.node("MatMul", [x, w], ["y"], name="mm")
    b.output("y", None)
    with pytest.raises(LoadError) as err:
        _load(b.model(), tmp_path)
    assert "'w'" in err.value.message


def test_absurd_weight_dims_are_a_load_error(tmp_path):
    b = ob.GraphBuilder("huge")
    x = b.input("x", [1, 10**15])
    w = b.init("w", [10**15, 10**15], None)
    b.node("MatMul", [x, w], ["y"], name="mm")
    b.output("y", None)
    with pytest.raises(LoadError) as err:
        _load(b.model(), tmp_path)
    assert "implausible" in err.value.message


def test_zero_sized_weight_counts_nothing(tmp_path):
    b = ob.GraphBuilder("zero")
    x = b.input("x", [1, 4, 8, 8])
    roi = b.init("roi", [0], None)
    scales = b.init("scales", [4], np.array([1, 1, 2, 2], dtype=np.float32))
    y = b.node("Resize", [x, roi, scales], name="/up", mode="nearest")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    assert m.weights == {}
    assert m.layer("/up").output_shape == (1, 4, 16, 16)
