"""ONNX weights: constants counted at their roots (counting.md "Parameters")."""

from __future__ import annotations

import os
import sys

import numpy as np
from onnx import TensorProto

import onnx_builders as ob  # noqa: E402

from paramlint.analysis.counting import count  # noqa: E402
from paramlint.loaders.onnx.loader import BUFFER_SUFFIX, load  # noqa: E402


def _load(model, tmp_path, name="m.onnx"):
    return load(ob.save(model, tmp_path / name))


def _split(m, layer):
    """(trainable, non-trainable) elements a layer reads."""
    ws = [m.weights[w] for w in m.layer(layer).weights]
    return (sum(w.elements for w in ws if w.trainable),
            sum(w.elements for w in ws if not w.trainable))


def test_unfused_batchnorm_splits_trainable_scale_shift_from_running_stats(tmp_path):
    b = ob.GraphBuilder("bn")
    x = b.input("x", [1, 3, 8, 8])
    y = ob.conv(b, x, 3, 16, 3, bias=False, scope="/conv")
    y = ob.batchnorm(b, y, 16, scope="/bn")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    bn = m.layer("/bn/BatchNormalization")
    assert bn.op == "batchnorm"
    assert bn.weights == ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]
    assert _split(m, "/bn/BatchNormalization") == (16 + 16, 16 + 16)
    assert m.weights["bn.running_mean"].trainable is False
    assert m.weights["bn.weight"].trainable is True
    assert _split(m, "/conv/Conv") == (16 * 3 * 3 * 3, 0)
    assert m.layer("/conv/Conv").attrs["bias"] is False


def test_batchnorm_folded_into_conv_gives_the_conv_a_bias(tmp_path):
    m = _load(ob.resnet_graph("folded", blocks=(1,), size=32), tmp_path)
    conv1 = m.layer("/conv1/Conv")
    assert conv1.attrs["bias"] is True
    assert conv1.weights == ["conv1.weight", "conv1.bias"]
    assert _split(m, "/conv1/Conv") == (64 * 3 * 7 * 7 + 64, 0)
    assert not any(layer.op == "batchnorm" for layer in m.layers)


def test_resnet18_unfused_totals_match_torchvision(tmp_path):
    totals = count(_load(ob.resnet_graph("unfused"), tmp_path)).totals
    assert totals.trainable == 11_689_512
    assert totals.non_trainable == 9_600  # 2 * (64*5 + 128*5 + 256*5 + 512*5)
    assert totals.params == 11_689_512 + 9_600


def test_merged_constants_are_uniform_and_read_by_many_layers(tmp_path):
    m = _load(ob.resnet_graph("merged"), tmp_path)
    ones = m.weights["onnx::BatchNormalization_ones_64"]
    zeros = m.weights["onnx::BatchNormalization_zeros_64"]
    assert ones.uniform is True and zeros.uniform is True
    readers = [layer.name for layer in m.layers if "onnx::BatchNormalization_ones_64" in layer.weights]
    assert len(readers) == 5  # bn1 + layer1's four BNs
    # read through Identity aliases too: the alias resolves to the same root
    assert any(layer.op == "identity" for layer in m.layers)
    # scale (trainable) and running_var (buffer) are one stored tensor: split in two
    bn1 = m.layer("/bn1/BatchNormalization")
    assert bn1.weights == ["onnx::BatchNormalization_ones_64",
                           "onnx::BatchNormalization_zeros_64",
                           "onnx::BatchNormalization_zeros_64" + BUFFER_SUFFIX,
                           "onnx::BatchNormalization_ones_64" + BUFFER_SUFFIX]
    assert _split(m, "/bn1/BatchNormalization") == (64 + 64, 64 + 64)


def test_merged_and_unmerged_resnet_give_the_same_totals_and_no_tied_savings(tmp_path):
    unmerged = count(_load(ob.resnet_graph("unfused"), tmp_path, "a.onnx")).totals
    merged_counts = count(_load(ob.resnet_graph("merged"), tmp_path, "b.onnx"))
    merged = merged_counts.totals
    assert (merged.params, merged.trainable, merged.non_trainable) == \
        (unmerged.params, unmerged.trainable, unmerged.non_trainable)
    assert merged.tied_savings == 0 and unmerged.tied_savings == 0
    assert merged_counts.ties == []
    assert {t.name for t in merged_counts.merged_constants} >= {
        "onnx::BatchNormalization_ones_64", "onnx::BatchNormalization_zeros_512"}


def test_tied_embedding_and_output_projection_share_one_root(tmp_path):
    vocab, d = 1000, 64
    m = _load(ob.tied_lm_graph(vocab, d), tmp_path)
    emb = m.layer("/transformer/wte/Gather")
    head = m.layer("/lm_head/MatMul")
    assert emb.op == "embedding" and head.op == "dense"
    assert emb.weights == ["transformer.wte.weight"]
    assert head.weights == ["transformer.wte.weight"]  # through Transpose
    assert m.weights["transformer.wte.weight"].shape == (vocab, d)
    assert head.attrs["units"] == vocab


def test_tie_resolves_through_transpose_and_cast(tmp_path):
    m = _load(ob.tied_lm_graph(50, 8, cast=True), tmp_path)
    assert m.layer("/lm_head/MatMul").weights == ["transformer.wte.weight"]


def test_tied_lm_counts_the_table_once_and_per_use_twice(tmp_path):
    vocab, d = 1000, 64
    totals = count(_load(ob.tied_lm_graph(vocab, d), tmp_path)).totals
    table = vocab * d
    others = 2 * d + d * d + d  # layer norm, dense kernel + bias
    assert totals.params == table + others
    assert totals.per_use_params == 2 * table + others
    assert totals.tied_savings == table


def test_qdq_int8_conv_counts_elements_and_scales_zero_points_are_buffers(tmp_path):
    m = _load(ob.qdq_conv_graph(cin=3, cout=8, k=3), tmp_path)
    conv = m.layer("/conv/Conv")
    assert set(conv.weights) == {"conv.weight_quantized", "conv.weight_scale",
                                 "conv.weight_zero_point", "conv.bias_quantized",
                                 "conv.bias_scale", "conv.bias_zero_point"}
    assert _split(m, "/conv/Conv") == (8 * 3 * 3 * 3 + 8, 4 * 8)
    assert m.weights["conv.weight_scale"].trainable is False
    assert m.weights["conv.weight_zero_point"].trainable is False
    # activation quantisation parameters are not weights at all
    assert "input_scale" not in m.weights and "input_zero_point" not in m.weights
    assert m.layer("/input_QuantizeLinear").weights == []


def test_qlinearconv_weight_and_its_scale_zero_point(tmp_path):
    b = ob.GraphBuilder("qlinear", opset=13)
    x = b.input("x", [1, 4, 8, 8], TensorProto.UINT8)
    names = [x,
             b.init("x_scale", [], 0.1), b.init("x_zp", [], 0, dtype=TensorProto.UINT8),
             b.init("w", [6, 4, 3, 3], "random", dtype=TensorProto.INT8),
             b.init("w_scale", [6], "random"), b.init("w_zp", [6], 0, dtype=TensorProto.INT8),
             b.init("y_scale", [], 0.2), b.init("y_zp", [], 0, dtype=TensorProto.UINT8),
             b.init("bias", [6], "random", dtype=TensorProto.INT32)]
    y = b.node("QLinearConv", names, name="/qconv", kernel_shape=[3, 3])
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    q = m.layer("/qconv")
    assert q.op == "conv2d" and q.attrs["bias"] is True
    assert _split(m, "/qconv") == (6 * 4 * 3 * 3 + 6, 6 + 6)
    assert not {"x_scale", "x_zp", "y_scale", "y_zp"} & set(m.weights)


def test_matmulinteger_zero_point_of_the_weight_is_a_buffer(tmp_path):
    b = ob.GraphBuilder("mmi", opset=13)
    x = b.input("x", [1, 16], TensorProto.UINT8)
    w = b.init("w", [16, 4], "random", dtype=TensorProto.INT8)
    xz = b.init("x_zp", [], 3, dtype=TensorProto.UINT8)
    wz = b.init("w_zp", [4], 0, dtype=TensorProto.INT8)
    y = b.node("MatMulInteger", [x, w, xz, wz], name="/mmi")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    assert m.layer("/mmi").op == "dense"
    assert _split(m, "/mmi") == (16 * 4, 4)


def test_constant_of_shape_weight_counts_the_product_of_the_shape_values(tmp_path):
    b = ob.GraphBuilder("cos")
    x = b.input("x", [1, 5, 12])
    shape = b.init("pos_shape", [3], np.array([1, 5, 12]), dtype=TensorProto.INT64)
    pos = b.node("ConstantOfShape", [shape], name="/pos/ConstantOfShape",
                 value=ob.make_tensor("", [1], 0.0))
    y = b.node("Add", [x, pos], name="/pos/Add")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    root = "/pos/ConstantOfShape_output_0"
    assert m.layer("/pos/Add").weights == [root]
    assert m.weights[root].shape == (1, 5, 12)
    assert m.weights[root].elements == 1 * 5 * 12
    assert m.weights[root].uniform is True
    assert "pos_shape" not in m.weights  # it only supplies a shape


def test_constant_node_weights_count_their_value_dims(tmp_path):
    b = ob.GraphBuilder("const")
    x = b.input("x", [1, 4])
    w = b.constant("onnx::MatMul_7", np.arange(12, dtype=np.float32).reshape(4, 3))
    y = b.node("MatMul", [x, w], name="/fc/MatMul")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    assert m.layer("/fc/MatMul").weights == ["onnx::MatMul_7"]
    assert m.weights["onnx::MatMul_7"].shape == (4, 3)
    assert m.weights["onnx::MatMul_7"].uniform is False


def test_weight_through_a_chain_of_ops_counts_at_its_roots_once(tmp_path):
    b = ob.GraphBuilder("chain")
    x = b.input("x", [1, 3, 8, 8])
    w = b.init("w_flat", [2 * 3 * 3 * 3])
    shape = b.init("w_shape", [4], np.array([2, 3, 3, 3]), dtype=TensorProto.INT64)
    w = b.node("Reshape", [w, shape], name="/w/Reshape")
    w = b.node("Identity", [w], name="/w/Identity")
    w = b.node("Cast", [w], name="/w/Cast", to=TensorProto.FLOAT)
    extra = b.init("w_extra", [1, 3, 3, 3])
    w = b.node("Concat", [w, extra], name="/w/Concat", axis=0)
    y = b.node("Conv", [x, w], name="/conv", kernel_shape=[3, 3])
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    conv = m.layer("/conv")
    assert conv.weights == ["w_flat", "w_extra"]
    assert _split(m, "/conv") == (2 * 27 + 27, 0)
    assert conv.attrs["kernel"] == (3, 3) and conv.output_shape == (1, 3, 6, 6)
    assert "w_shape" not in m.weights
    assert all(m.layer(n).weights == [] for n in ("/w/Reshape", "/w/Identity", "/w/Cast",
                                                  "/w/Concat"))


def test_single_element_constants_of_elementwise_ops_are_literals(tmp_path):
    b = ob.GraphBuilder("gelu")
    x = b.input("x", [1, 8])
    half = b.init("half", [], 0.5)
    one = b.constant("one", np.array(1.0, dtype=np.float32))
    sqrt2 = b.init("sqrt2", [1], 1.4142135)
    y = b.node("Div", [x, sqrt2], name="/Div")
    y = b.node("Erf", [y], name="/Erf")
    y = b.node("Add", [y, one], name="/Add")
    y = b.node("Mul", [x, y], name="/Mul")
    y = b.node("Mul", [y, half], name="/Mul_1")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    assert m.weights == {}
    assert all(layer.weights == [] for layer in m.layers)
    assert m.layer("/Mul_1").inputs == ["/Mul_output_0"]


def test_learned_elementwise_operands_and_class_token_are_weights(tmp_path):
    b = ob.GraphBuilder("vit")
    x = b.input("x", [1, 4, 8])
    cls = b.init("cls_token", [1, 1, 8])
    y = b.node("Concat", [cls, x], name="/Concat", axis=1)
    pos = b.init("pos_embedding", [1, 5, 8])
    y = b.node("Add", [y, pos], name="/Add")
    gamma = b.init("layer_scale", [8])
    y = b.node("Mul", [y, gamma], name="/Mul")
    slope = b.init("prelu.weight", [1])
    y = b.node("PRelu", [y, slope], name="/PRelu")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    assert m.layer("/Concat").weights == ["cls_token"]
    assert m.layer("/Concat").inputs == ["x"]
    assert m.layer("/Add").weights == ["pos_embedding"]
    assert m.layer("/Mul").weights == ["layer_scale"]
    assert m.layer("/PRelu").weights == ["prelu.weight"]  # a one-element slope is a weight
    assert count(m).totals.params == 8 + 5 * 8 + 8 + 1


def test_unread_initializers_are_unused_weights_but_shape_lists_are_not(tmp_path):
    b = ob.GraphBuilder("unused")
    x = b.input("x", [1, 4])
    y = b.node("MatMul", [x, b.init("fc.weight", [4, 2])], name="/fc")
    b.init("orphan.weight", [3, 3])
    b.init("orphan_shape", [2], np.array([1, 4]), dtype=TensorProto.INT64)
    b.constant("orphan_const", np.ones((2, 2), dtype=np.float32))
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    assert "orphan.weight" in m.weights and "orphan_const" in m.weights
    assert "orphan_shape" not in m.weights
    assert count(m).totals.unused_params == 3 * 3 + 2 * 2


def test_uniform_is_none_when_the_payload_was_not_read(tmp_path):
    b = ob.GraphBuilder("uni")
    x = b.input("x", [1, 64])
    y = b.node("MatMul", [x, b.init("big", [64, 64], "zeros")], name="/big")  # 16 KB: dropped
    y = b.node("Add", [y, b.init("small_zero", [64], "zeros")], name="/add")
    y = b.node("Mul", [y, b.init("small_rand", [64], "random")], name="/mul")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    assert m.weights["big"].uniform is None
    assert m.weights["small_zero"].uniform is True
    assert m.weights["small_rand"].uniform is False


def test_outer_scope_weight_read_inside_a_loop_is_the_outer_root(tmp_path):
    from test_onnx_loader import _loop_model

    m = _load(_loop_model(), tmp_path)
    assert "outer_bias" in m.layer("/rnn/Loop/mm").weights
    assert m.weights["outer_bias"].shape == (8,)


def test_vgg16_trainable_weights_sum_to_the_torchvision_figure(tmp_path):
    m = _load(ob.vgg16_graph(), tmp_path)
    assert sum(w.elements for w in m.weights.values() if w.trainable) == 138_357_544
    assert count(m).totals.trainable == 138_357_544


def test_alexnet_conv1_weight_shapes_give_34944(tmp_path):
    m = _load(ob.alexnet_graph(), tmp_path)
    conv1 = m.layer("/conv1/Conv")
    shapes = [m.weights[w].shape for w in conv1.weights]
    assert shapes == [(96, 3, 11, 11), (96,)]
    assert sum(m.weights[w].elements for w in conv1.weights) == 96 * 3 * 11 * 11 + 96 == 34_944
