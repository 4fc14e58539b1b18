"""ONNX layers: op normalisation, attrs, dense folding, sharing figures."""

from __future__ import annotations

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto

import onnx_builders as ob  # noqa: E402

from paramlint.analysis.counting import count  # noqa: E402
from paramlint.loaders.onnx.loader import load  # noqa: E402


def _load(model, tmp_path, name="m.onnx"):
    return load(ob.save(model, tmp_path / name))


def _params(m, layer):
    return sum(m.weights[w].elements for w in m.layer(layer).weights)


def test_flatten_then_gemm_transb_is_a_dense_layer_with_units_and_bias(tmp_path):
    m = _load(ob.alexnet_graph(), tmp_path)
    flat = m.layer("/flatten/Flatten")
    fc6 = m.layer("/fc6/Gemm")
    assert flat.op == "flatten" and flat.output_shape == (1, 256 * 6 * 6)
    assert fc6.op == "dense" and fc6.source_op == "Gemm"
    assert fc6.inputs == flat.outputs
    assert fc6.attrs["units"] == 4096 and fc6.attrs["bias"] is True
    assert fc6.input_shape == (1, 9216) and fc6.output_shape == (1, 4096)
    assert _params(m, "/fc6/Gemm") == 9216 * 4096 + 4096


def test_reshape_then_matmul_add_is_one_dense_layer_absorbing_the_add(tmp_path):
    m = _load(ob.vgg16_graph(dynamo=True), tmp_path)
    names = [layer.name for layer in m.layers]
    assert "/classifier/classifier.0/Add" not in names
    fc = m.layer("/classifier/classifier.0/MatMul")
    assert fc.op == "dense" and fc.attrs["bias"] is True and fc.attrs["units"] == 4096
    assert fc.weights == ["classifier.0.weight", "classifier.0.bias"]
    assert fc.outputs == ["/classifier/classifier.0/Add_output_0"]
    assert fc.inputs == ["/Reshape/Reshape_output_0"]
    assert m.layer("/Reshape/Reshape").input_shape == ("batch", 512, 7, 7)
    assert m.layer("/classifier/classifier.1/Relu").inputs == fc.outputs
    assert _params(m, "/classifier/classifier.0/MatMul") == 25088 * 4096 + 4096
    assert count(m).totals.trainable == 138_357_544


def test_matmul_through_transpose_node_is_dense_with_the_stored_weight(tmp_path):
    b = ob.GraphBuilder("t")
    x = b.input("x", [2, 10])
    y = ob.linear_matmul(b, x, 10, 3, scope="/fc", transpose_node=True)
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    fc = m.layer("/fc/MatMul")
    assert fc.weights == ["fc.weight", "fc.bias"]
    assert m.weights["fc.weight"].shape == (3, 10)
    assert fc.attrs["units"] == 3


def test_matmul_of_two_activations_is_not_dense(tmp_path):
    b = ob.GraphBuilder("attn")
    q = b.input("q", [1, 4, 8])
    k = b.input("k", [1, 8, 4])
    y = b.node("MatMul", [q, k], name="/attn/MatMul")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    assert m.layer("/attn/MatMul").op == "matmul"
    assert m.layer("/attn/MatMul").inputs == ["q", "k"]


def test_depthwise_and_grouped_convs_keep_convnd_with_groups(tmp_path):
    b = ob.GraphBuilder("dw")
    x = b.input("x", [1, 32, 16, 16])
    y = ob.conv(b, x, 32, 32, 3, pad=1, groups=32, scope="/dw")
    y = ob.conv(b, y, 32, 64, 3, pad=1, groups=4, scope="/grouped")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    dw, grouped = m.layer("/dw/Conv"), m.layer("/grouped/Conv")
    assert dw.op == "conv2d" and dw.attrs["groups"] == 32
    assert grouped.op == "conv2d" and grouped.attrs["groups"] == 4
    assert _params(m, "/dw/Conv") == 32 * (32 // 32) * 3 * 3 + 32
    assert _params(m, "/grouped/Conv") == 64 * (32 // 4) * 3 * 3 + 64
    sharing = count(m).layers["/dw/Conv"].sharing
    assert sharing.unshared == 16 * 16 * (32 * 9 + 32)


def test_conv_rank_comes_from_the_kernel_and_transpose_is_marked(tmp_path):
    b = ob.GraphBuilder("ranks")
    x = b.input("x", [1, 4, 16])
    y = ob.conv(b, x, 4, 8, [5], scope="/c1")
    v = b.input("v", [1, 2, 4, 4, 4])
    z = ob.conv(b, v, 2, 3, [3, 3, 3], pad=1, scope="/c3")
    t = b.input("t", [1, 8, 7, 7])
    u = ob.conv(b, t, 8, 4, 2, stride=2, scope="/up", transpose=True)
    for out in (y, z, u):
        b.output(out, None)
    m = _load(b.model(), tmp_path)
    assert m.layer("/c1/Conv").op == "conv1d"
    assert m.layer("/c3/Conv").op == "conv3d"
    up = m.layer("/up/ConvTranspose")
    assert up.op == "conv2d_transpose" and up.output_shape == (1, 4, 14, 14)
    assert _params(m, "/up/ConvTranspose") == 8 * 4 * 2 * 2 + 4


def test_conv1_reference_sharing_figures(tmp_path):
    m = _load(ob.alexnet_graph(), tmp_path)
    conv1 = m.layer("/conv1/Conv")
    assert conv1.input_shape == (1, 3, 227, 227)
    assert conv1.output_shape == (1, 96, 55, 55)
    s = count(m).layers["/conv1/Conv"].sharing
    shared = 96 * 3 * 11 * 11 + 96
    assert s.shared == shared == 34_944
    assert s.unshared == 55 * 55 * shared == 105_705_600
    assert s.dense_equivalent == (3 * 227 * 227) * (96 * 55 * 55) + 96 * 55 * 55 == 44_892_355_200
    assert s.savings == 105_705_600 - 34_944 == 105_670_656
    assert s.factor == 55 * 55 == 3025


def test_alexnet_totals(tmp_path):
    totals = count(_load(ob.alexnet_graph(), tmp_path)).totals
    assert totals.params == 62_378_344
    assert totals.tied_savings == 0 and totals.unused_params == 0


def test_lstm_has_units_and_sequence_length_and_its_w_r_b(tmp_path):
    b = ob.GraphBuilder("lstm")
    seq, batch, inp, hid = 7, 2, 5, 6
    x = b.input("x", [seq, batch, inp])
    W = b.init("W", [1, 4 * hid, inp])
    R = b.init("R", [1, 4 * hid, hid])
    B = b.init("B", [1, 8 * hid])
    h0 = b.init("h0", [1, batch, hid], "zeros")
    y = b.node("LSTM", [x, W, R, B, "", h0], 3, name="/lstm/LSTM", hidden_size=hid)
    b.output(y[0], None)
    m = _load(b.model(), tmp_path)
    lstm = m.layer("/lstm/LSTM")
    assert lstm.op == "lstm"
    assert lstm.attrs["units"] == hid and lstm.attrs["sequence_length"] == seq
    # the initial state is a derived buffer (counting.md): counted, never trainable
    assert lstm.weights == ["W", "R", "B", "h0"] and not m.weights["h0"].trainable
    layer = count(m).layers["/lstm/LSTM"]
    assert layer.trainable == 4 * hid * inp + 4 * hid * hid + 8 * hid
    assert layer.non_trainable == batch * hid
    s = count(m).layers["/lstm/LSTM"].sharing
    assert s.unshared == seq * (4 * hid * inp + 4 * hid * hid + 8 * hid)


def test_gru_with_symbolic_sequence_has_no_sequence_length(tmp_path):
    b = ob.GraphBuilder("gru")
    x = b.input("x", ["seq", 1, 4])
    y = b.node("GRU", [x, b.init("W", [1, 9, 4]), b.init("R", [1, 9, 3])], 2,
               name="/gru", hidden_size=3)
    b.output(y[0], None)
    m = _load(b.model(), tmp_path)
    assert m.layer("/gru").op == "gru"
    assert "sequence_length" not in m.layer("/gru").attrs
    assert m.layer("/gru").attrs["bias"] is False


def test_norms_and_simple_ops_are_normalised(tmp_path):
    b = ob.GraphBuilder("ops", opset=21)  # GroupNormalization-21: per-channel scale
    x = b.input("x", [1, 8, 4, 4])
    y = b.node("InstanceNormalization", [x, b.init("in.s", [8]), b.init("in.b", [8])], name="/in")
    y = b.node("GroupNormalization", [y, b.init("gn.s", [8]), b.init("gn.b", [8])], name="/gn",
               num_groups=2)
    y = b.node("LayerNormalization", [y, b.init("ln.s", [4]), b.init("ln.b", [4])], name="/ln",
               axis=-1)
    y = b.node("MaxPool", [y], name="/mp", kernel_shape=[2, 2])
    y = b.node("GlobalAveragePool", [y], name="/gap")
    y = b.node("Transpose", [y], name="/tr", perm=[0, 2, 3, 1])
    y = b.node("Softmax", [y], name="/sm")
    y = b.node("Sigmoid", [y], name="/sig")
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    ops = {layer.name: layer.op for layer in m.layers}
    assert ops == {"/in": "instancenorm", "/gn": "groupnorm", "/ln": "layernorm",
                   "/mp": "maxpool2d", "/gap": "global_avgpool", "/tr": "transpose",
                   "/sm": "softmax", "/sig": "sigmoid"}
    assert m.layer("/tr").attrs["perm"] == (0, 2, 3, 1)
    assert "channels_last" not in m.layer("/tr").attrs  # not the output of a conv
    assert m.layer("/gap").output_shape == (1, 8, 1, 1)


def test_embedding_on_constant_table_and_gather_on_activations(tmp_path):
    b = ob.GraphBuilder("emb")
    ids = b.input("ids", [2, 5], TensorProto.INT64)
    h = b.node("Gather", [b.init("emb.weight", [100, 16]), ids], name="/emb")
    idx = b.init("idx", [], np.array(0), dtype=TensorProto.INT64)
    first = b.node("Gather", [h, idx], name="/pick", axis=1)
    b.output(first, None)
    m = _load(b.model(), tmp_path)
    emb = m.layer("/emb")
    assert emb.op == "embedding" and emb.inputs == ["ids"]
    assert emb.attrs["units"] == 16 and emb.output_shape == (2, 5, 16)
    assert m.layer("/pick").op == "gather" and m.layer("/pick").weights == []
    assert "idx" not in m.weights


def test_com_microsoft_op_keeps_its_domain_in_source_op(tmp_path):
    b = ob.GraphBuilder("ms")
    x = b.input("x", [1, 4, 8])
    y = b.node("Attention", [x, b.init("qkv.weight", [8, 24]), b.init("qkv.bias", [24])],
               name="/attn", domain="com.microsoft", num_heads=2)
    b.output(y, None)
    m = _load(b.model(), tmp_path)
    attn = m.layer("/attn")
    assert attn.source_op == "com.microsoft.Attention"
    assert attn.weights == ["qkv.weight", "qkv.bias"]


def test_node_attributes_are_kept_for_rules(tmp_path):
    m = _load(ob.alexnet_graph(), tmp_path)
    conv1 = m.layer("/conv1/Conv")
    assert conv1.attrs["kernel"] == (11, 11)
    assert conv1.attrs["strides"] == (4, 4)
    assert conv1.attrs["groups"] == 1 and conv1.attrs["bias"] is True
    assert conv1.attrs["node_index"] == 0
    assert conv1.attrs["onnx"]["kernel_shape"] == [11, 11]


def test_shape_inference_failure_is_a_diagnostic_and_counting_goes_on(tmp_path):
    b = ob.GraphBuilder("broken")
    x = b.input("x", [1, 3])
    y = b.node("MatMul", [x, b.init("w", [4, 2])], name="/mm")  # 3 vs 4: inconsistent
    b.output(y, None)
    model = b.model()
    m = _load(model, tmp_path)
    assert m.weights["w"].shape == (4, 2)
    assert _params(m, "/mm") == 4 * 2
    # its output shape is unknown, so its MACs are: that figure gets the finding
    from paramlint.lint.engine import Settings, run_rules
    from paramlint.lint.plugins import discover

    prm002 = [r for r in discover().rules if r.code == "PRM002"]
    findings, _ = run_rules(m, prm002, Settings())
    assert any(f.layer == "/mm" and "MACs unknown" in f.message for f in findings)


def test_newest_opset_model_loads_with_exact_counts(tmp_path):
    opset = onnx.defs.onnx_opset_version()
    model = ob.resnet_graph("unfused", blocks=(1, 1), opset=opset, size=64)
    assert model.opset_import[0].version == opset
    m = _load(model, tmp_path)
    bn = lambda c: 4 * c  # noqa: E731  scale, shift, mean, var
    expected = (64 * 3 * 7 * 7 + bn(64)) \
        + 2 * (64 * 64 * 3 * 3 + bn(64)) \
        + (128 * 64 * 3 * 3 + bn(128)) + (128 * 128 * 3 * 3 + bn(128)) + (128 * 64 + bn(128)) \
        + (128 * 1000 + 1000)
    assert count(m).totals.params == expected
    assert m.layer("/fc/Gemm").input_shape == (1, 128)
    assert m.layer("/conv1/Conv").output_shape == (1, 64, 32, 32)
