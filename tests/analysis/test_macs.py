"""MACs (counting.md, "Compute and memory") against hand arithmetic.

Real exports against torchvision's published figures are in
test_exports_macs.py.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from paramlint.loaders.onnx.loader import load as load_onnx
from paramlint.analysis.macs import compute
from yaml_helpers import FIXTURES, load_text
from paramlint.loaders.yaml.loader import load as load_yaml
from onnx_builders import GraphBuilder, conv, gemm, linear_matmul, save


def _onnx(tmp_path, b: GraphBuilder, name="m.onnx"):
    return load_onnx(save(b.model(), tmp_path / name))


def test_reference_alexnet_yaml_conv1_is_105_415_200_macs():
    model = load_yaml(str(FIXTURES / "alexnet.yaml"))
    macs = compute(model)
    # 55*55 positions x 96 filters x 3*11*11 weights
    assert macs.layers["conv1"] == 55 * 55 * 96 * 3 * 11 * 11 == 105_415_200
    # fc6: 9216 inputs x 4096 units; a bias is not a MAC
    assert macs.layers["fc6"] == 9216 * 4096
    assert not macs.lower_bound


def test_pools_norms_activations_and_biases_are_not_macs(tmp_path):
    model = load_text(tmp_path, """
        input: [8, 10, 10]
        layers:
          - {name: c, type: conv2d, filters: 4, kernel: 1, bias: true}
          - {name: bn, type: batchnorm}
          - {name: act, type: relu}
          - {name: pool, type: maxpool2d, kernel: 2, stride: 2}
          - {name: flat, type: flatten}
    """)
    macs = compute(model)
    assert macs.layers == {"c": 10 * 10 * 4 * 8, "bn": 0, "act": 0, "pool": 0, "flat": 0}
    assert macs.total == 3200 and macs.flops == 6400


def test_grouped_and_depthwise_convolutions_divide_by_groups(tmp_path):
    model = load_text(tmp_path, """
        input: [32, 16, 16]
        layers:
          - {name: grouped, type: conv2d, filters: 64, kernel: 3, padding: 1, groups: 4}
          - {name: depthwise, type: depthwise_conv2d, kernel: 3, padding: 1, multiplier: 2}
    """)
    macs = compute(model).layers
    # each of 64 filters sees 32/4 = 8 channels, at 16*16 positions
    assert macs["grouped"] == 16 * 16 * 64 * 8 * 9 == 1_179_648
    # depthwise: 128 outputs, each reading 1 channel's 3x3 window
    assert macs["depthwise"] == 16 * 16 * 128 * 1 * 9 == 294_912


def test_onnx_grouped_dilated_and_strided_conv(tmp_path):
    b = GraphBuilder()
    x = b.input("x", ["batch", 16, 20, 20])
    y = conv(b, x, 16, 32, 3, scope="/g", groups=8, dilation=2, stride=2, pad=2)
    b.output(y)
    model = _onnx(tmp_path, b)
    # out 10x10 (dilated kernel spans 5, pad 2, stride 2); symbolic batch = 1
    assert model.layers[0].output_shape == ("batch", 32, 10, 10)
    assert compute(model).layers[model.layers[0].name] == 10 * 10 * 32 * (16 // 8) * 9


def test_transposed_convolution_counts_input_positions(tmp_path):
    b = GraphBuilder()
    x = b.input("x", [1, 8, 7, 7])
    y = conv(b, x, 8, 4, 4, scope="/up", stride=2, pad=1, transpose=True)
    b.output(y)
    model = _onnx(tmp_path, b)
    assert model.layers[0].output_shape == (1, 4, 14, 14)
    # every input value is multiplied by a 4x(4*4) slice of the kernel
    assert compute(model).total == 7 * 7 * 8 * 4 * 16 == 25_088


def test_dense_is_counted_at_every_token(tmp_path):
    b = GraphBuilder()
    x = b.input("x", [2, 50, 64])
    y = linear_matmul(b, x, 64, 256, scope="/mlp/fc1")
    b.output(y)
    model = _onnx(tmp_path, b)
    layer = model.layers[0]
    assert layer.op == "dense"
    assert compute(model).layers[layer.name] == 2 * 50 * 64 * 256


def test_gemm_with_transposed_weight(tmp_path):
    b = GraphBuilder()
    x = b.input("x", ["N", 512])
    b.output(gemm(b, x, 512, 10, scope="/fc"))
    model = _onnx(tmp_path, b)
    assert compute(model).total == 512 * 10


def test_attention_matmuls_of_two_activations_are_macs(tmp_path):
    """Q*K^T and A*V: a ViT-B/16 layer's 12 heads over 197 tokens of 64."""
    b = GraphBuilder()
    q = b.input("q", [1, 12, 197, 64])
    kt = b.input("kt", [1, 12, 64, 197])
    v = b.input("v", [1, 12, 197, 64])
    scores = b.node("MatMul", [q, kt], name="/attn/MatMul")
    probs = b.node("Softmax", [scores], name="/attn/Softmax", axis=-1)
    b.output(b.node("MatMul", [probs, v], name="/attn/MatMul_1"))
    model = _onnx(tmp_path, b)
    macs = compute(model)
    assert [layer.op for layer in model.layers] == ["matmul", "softmax", "matmul"]
    assert macs.total == 2 * 12 * 197 * 197 * 64 == 59_610_624


def test_einsum_of_two_activations(tmp_path):
    b = GraphBuilder()
    q = b.input("q", [1, 8, 10, 16])
    k = b.input("k", [1, 8, 12, 16])
    b.output(b.node("Einsum", [q, k], name="/e", equation="bhqd,bhkd->bhqk"))
    model = _onnx(tmp_path, b)
    assert compute(model).total == 8 * 10 * 12 * 16


def _lstm_graph(steps: int, features: int = 32, hidden: int = 64) -> GraphBuilder:
    b = GraphBuilder()
    x = b.input("x", [steps, 1, features])
    w = b.init("W", [1, 4 * hidden, features])
    r = b.init("R", [1, 4 * hidden, hidden])
    bias = b.init("B", [1, 8 * hidden])
    y = b.node("LSTM", [x, w, r, bias], 3, name="/lstm/LSTM", hidden_size=hidden)
    b.output(y[0])
    return b


def test_lstm_macs_scale_with_the_sequence_length(tmp_path):
    per_step = 4 * 64 * (32 + 64)
    for steps in (1, 10, 35):
        model = _onnx(tmp_path, _lstm_graph(steps), f"lstm{steps}.onnx")
        assert compute(model).total == steps * per_step


def test_yaml_lstm_macs_times_sequence_length():
    model = load_yaml(str(FIXTURES / "text_lstm.yaml"))
    macs = compute(model).layers
    assert macs["lstm"] == 50 * 4 * 256 * (128 + 256)
    assert macs["embed"] == 0  # a lookup
    assert macs["classifier"] == 256 * 2


def test_a_symbolic_sequence_makes_the_total_a_lower_bound(tmp_path):
    b = GraphBuilder()
    x = b.input("x", ["batch", "seq", 64])
    h = linear_matmul(b, x, 64, 64, scope="/a")
    b.output(b.node("Relu", [h], name="/r"))
    model = _onnx(tmp_path, b)
    macs = compute(model)
    assert macs.layers[model.layers[0].name] is None
    assert macs.lower_bound and macs.total == 0
    assert "unknown dimension" in macs.unknown[model.layers[0].name]


def test_unknown_custom_op_is_a_lower_bound_not_a_silent_zero(tmp_path):
    b = GraphBuilder()
    x = b.input("x", [1, 4])
    b.output(b.node("Mystery", [x], name="/m", domain="acme"))
    model = _onnx(tmp_path, b)
    macs = compute(model)
    assert macs.lower_bound and list(macs.unknown) == [model.layers[0].name]


def test_fixed_batch_multiplies(tmp_path):
    b = GraphBuilder()
    x = b.input("x", [4, 3, 8, 8])
    b.output(conv(b, x, 3, 2, 1, scope="/c"))
    assert compute(_onnx(tmp_path, b)).total == 4 * 8 * 8 * 2 * 3


def _cli(*args):
    from click.testing import CliRunner

    from paramlint.cli.app import main

    return CliRunner().invoke(main, [args[0], "--no-cache", *args[1:]])


def test_json_has_layer_macs_total_macs_and_flops():
    import json

    result = _cli("report", "--format", "json", str(FIXTURES / "alexnet.yaml"))
    doc = json.loads(result.output)["models"][0]
    conv1 = next(layer for layer in doc["layers"] if layer["name"] == "conv1")
    assert conv1["macs"] == 105_415_200
    # AlexNet (single tower, 227x227): conv1..5 + fc6..8, by hand
    convs = (55 * 55 * 96 * 3 * 121 + 27 * 27 * 256 * 96 * 25 + 13 * 13 * 384 * 256 * 9
             + 13 * 13 * 384 * 384 * 9 + 13 * 13 * 256 * 384 * 9)
    dense = 9216 * 4096 + 4096 * 4096 + 4096 * 1000
    assert doc["totals"]["macs"] == convs + dense
    assert doc["totals"]["flops"] == 2 * (convs + dense)
    assert doc["totals"]["macs_lower_bound"] is False


def test_compute_budget_fires_over_max_macs_only():
    path = str(FIXTURES / "alexnet.yaml")
    # AlexNet at 227x227 does 1,135,256,096 MACs (the sum above)
    within = _cli("check", "--select", "PRM102", "--max-macs", "1135256096", path)
    assert within.exit_code == 0 and "PRM102" not in within.output
    over = _cli("check", "--select", "PRM102", "--max-macs", "1000000000", path)
    assert over.exit_code == 1
    assert "PRM102" in over.output and "over the budget of 1,000,000,000" in over.output


def test_unknown_macs_are_a_prm002_finding(tmp_path):
    b = GraphBuilder()
    x = b.input("x", ["batch", "seq", 64])
    b.output(linear_matmul(b, x, 64, 64, scope="/a"))
    result = _cli("check", save(b.model(), tmp_path / "seq.onnx"))
    assert "PRM002" in result.output and "MACs unknown" in result.output
    assert "lower bound" in result.output
