"""Every layer type: its parameters (sum of its weights) and output shape,
against arithmetic written out by hand."""

from __future__ import annotations

import pytest

from yaml_helpers import layer_params, load_text, one_layer, params

CASES = [
    # (input, layer, params, output shape)
    pytest.param([3, 32], "{type: conv1d, filters: 8, kernel: 5}",
                 8 * 3 * 5 + 8, (8, 32 - 5 + 1), id="conv1d"),
    pytest.param([3, 32, 32], "{type: conv2d, filters: 16, kernel: 3, stride: 2, padding: 1}",
                 16 * 3 * 3 * 3 + 16, (16, (32 + 2 - 3) // 2 + 1, 16), id="conv2d-stride-pad"),
    pytest.param([4, 8, 16, 16], "{type: conv3d, filters: 6, kernel: [3, 3, 3], bias: false}",
                 6 * 4 * 27, (6, 6, 14, 14), id="conv3d-no-bias"),
    pytest.param([8, 20, 20], "{type: conv2d, filters: 12, kernel: [3, 5], groups: 4, dilation: 2}",
                 12 * (8 // 4) * 3 * 5 + 12, (12, 20 - 2 * 2 - 1 + 1, 20 - 2 * 4 - 1 + 1), id="conv2d-grouped-dilated"),
    pytest.param([3, 31, 31], "{type: conv2d, filters: 4, kernel: 3, stride: 2, padding: same}",
                 4 * 3 * 9 + 4, (4, 16, 16), id="conv2d-same"),  # ceil(31/2) = 16
    pytest.param([3, 31, 31], "{type: conv2d, filters: 4, kernel: 3, padding: valid}",
                 4 * 3 * 9 + 4, (4, 29, 29), id="conv2d-valid"),
    pytest.param([32, 14, 14], "{type: depthwise_conv2d, kernel: 3, padding: 1, multiplier: 2}",
                 64 * 1 * 9 + 64, (64, 14, 14), id="depthwise"),
    pytest.param([16, 7, 7], "{type: conv2d_transpose, filters: 8, kernel: 4, stride: 2, padding: 1}",
                 16 * 8 * 16 + 8, (8, (7 - 1) * 2 - 2 + 3 + 1, 14), id="conv2d_transpose"),
    pytest.param([16, 7, 7], "{type: conv2d_transpose, filters: 8, kernel: 3, stride: 2, output_padding: 1, groups: 2}",
                 16 * (8 // 2) * 9 + 8, (8, (7 - 1) * 2 + 2 + 1 + 1, 16), id="conv2d_transpose-grouped"),
    pytest.param([3, 10, 10], "{type: locally_connected2d, filters: 4, kernel: 3}",
                 8 * 8 * (4 * 3 * 9 + 4), (4, 8, 8), id="locally_connected2d"),
    pytest.param([256, 6, 6], "{type: dense, units: 4096}",
                 256 * 6 * 6 * 4096 + 4096, (4096,), id="dense-flattens"),
    pytest.param([10], "{type: linear, units: 3, bias: false}", 30, (3,), id="linear-no-bias"),
    pytest.param([50], "{type: embedding, num_embeddings: 1000, dim: 64}",
                 1000 * 64, (64, 50), id="embedding"),
    pytest.param([20, 30], "{type: rnn, units: 8}",
                 1 * (20 * 8 + 8 * 8 + 2 * 8), (8, 30), id="rnn"),
    pytest.param([20, 30], "{type: lstm, units: 8, bidirectional: true, return_sequences: false}",
                 2 * 4 * (20 * 8 + 8 * 8 + 2 * 8), (16,), id="lstm-bidirectional-last"),
    pytest.param([20, 30], "{type: gru, units: 8, bias: false}",
                 3 * (20 * 8 + 8 * 8), (8, 30), id="gru-no-bias"),
    pytest.param([64, 8, 8], "{type: batchnorm}", 2 * 64 + 2 * 64, (64, 8, 8), id="batchnorm"),
    pytest.param([64, 8, 8], "{type: batchnorm, affine: false}", 2 * 64, (64, 8, 8), id="batchnorm-no-affine"),
    pytest.param([768, 128], "{type: layernorm}", 2 * 768, (768, 128), id="layernorm"),
    pytest.param([32, 8, 8], "{type: groupnorm, groups: 8}", 2 * 32, (32, 8, 8), id="groupnorm"),
    pytest.param([32, 8, 8], "{type: instancenorm, affine: false}", 0, (32, 8, 8), id="instancenorm-no-affine"),
    pytest.param([8, 15], "{type: maxpool1d, kernel: 2}", 0, (8, 7), id="maxpool1d"),
    pytest.param([8, 15, 15], "{type: maxpool2d, kernel: 2, ceil_mode: true}", 0, (8, 8, 8), id="maxpool2d-ceil"),
    pytest.param([8, 112, 112], "{type: maxpool2d, kernel: 3, stride: 2, padding: 1}",
                 0, (8, (112 + 2 - 3) // 2 + 1, 56), id="maxpool2d-resnet-stem"),
    pytest.param([8, 4, 9, 9], "{type: maxpool3d, kernel: [2, 3, 3]}", 0, (8, 2, 3, 3), id="maxpool3d"),
    pytest.param([8, 9], "{type: avgpool1d, kernel: 3, stride: 1}", 0, (8, 7), id="avgpool1d"),
    pytest.param([8, 10, 10], "{type: avgpool2d, kernel: 2}", 0, (8, 5, 5), id="avgpool2d"),
    pytest.param([8, 4, 4, 4], "{type: avgpool3d, kernel: 2}", 0, (8, 2, 2, 2), id="avgpool3d"),
    pytest.param([512, 7, 7], "{type: global_avgpool}", 0, (512,), id="global_avgpool"),
    pytest.param([512, 7, 7], "{type: global_maxpool}", 0, (512,), id="global_maxpool"),
    pytest.param([512, 7, 7], "{type: flatten}", 0, (512 * 7 * 7,), id="flatten"),
    pytest.param([512, 7, 7], "{type: reshape, shape: [512, -1]}", 0, (512, 49), id="reshape"),
    pytest.param([3, 8, 8], "{type: upsample, scale: 2}", 0, (3, 16, 16), id="upsample"),
    pytest.param([3, 8, 8], "{type: upsample, scale: [1, 3]}", 0, (3, 8, 24), id="upsample-per-dim"),
    pytest.param([3, 8, 8], "{type: pad, padding: [1, 2]}", 0, (3, 10, 12), id="pad"),
    pytest.param([3, 8, 8], "{type: dropout, rate: 0.2}", 0, (3, 8, 8), id="dropout"),
    pytest.param([3, 8, 8], "{type: leaky_relu, negative_slope: 0.1}", 0, (3, 8, 8), id="leaky_relu"),
    pytest.param([3, 8, 8], "{type: elu, alpha: 1}", 0, (3, 8, 8), id="elu"),
    pytest.param([10], "{type: softmax}", 0, (10,), id="softmax"),
]


@pytest.mark.parametrize("input_shape, layer, expected_params, expected_shape", CASES)
def test_layer_params_and_output_shape(tmp_path, input_shape, layer, expected_params, expected_shape):
    assert layer_params(tmp_path, input_shape, layer) == (expected_params, expected_shape)


@pytest.mark.parametrize("kind", ["identity", "relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "hardswish"])
def test_activation_keeps_shape_and_has_no_weights(tmp_path, kind):
    layer = one_layer(tmp_path, [3, 5, 5], f"{{type: {kind}}}")
    assert (layer.output_shape, layer.weights, layer.op) == ((3, 5, 5), [], kind)


def test_conv_weights_have_torch_layout_and_attrs(tmp_path):
    model = load_text(tmp_path, """
        input: [8, 20, 20]
        layers:
          - {name: c, type: conv2d, filters: 12, kernel: [3, 5], stride: [1, 2], padding: [1, 2], groups: 4, bias: false}
        """)
    conv = model.layers[0]
    assert model.weights["c.kernel"].shape == (12, 2, 3, 5)
    assert "c.bias" not in model.weights
    assert conv.attrs["kernel"] == (3, 5) and conv.attrs["stride"] == (1, 2)
    assert conv.attrs["padding"] == (1, 2) and conv.attrs["dilation"] == (1, 1)
    assert conv.attrs["groups"] == 4 and conv.attrs["bias"] is False
    # (20 + 2 - 3)//1 + 1 = 20; (20 + 4 - 5)//2 + 1 = 10
    assert conv.output_shape == (12, 20, 10)


def test_depthwise_is_conv_with_groups_equal_to_channels(tmp_path):
    model = load_text(tmp_path, """
        input: [32, 14, 14]
        layers:
          - {name: dw, type: depthwise_conv2d, kernel: 3, multiplier: 2}
        """)
    assert model.weights["dw.kernel"].shape == (64, 1, 3, 3)
    assert model.layers[0].attrs["groups"] == 32
    assert model.layers[0].output_shape == (64, 12, 12)


def test_transposed_conv_kernel_is_cin_first(tmp_path):
    model = load_text(tmp_path, """
        input: [16, 7, 7]
        layers:
          - {name: up, type: conv2d_transpose, filters: 8, kernel: 2, stride: 2, groups: 2}
        """)
    assert model.weights["up.kernel"].shape == (16, 4, 2, 2)
    assert model.layers[0].output_shape == (8, 14, 14)


def test_locally_connected_has_weights_per_output_position(tmp_path):
    model = load_text(tmp_path, """
        input: [3, 10, 10]
        layers:
          - {name: lc, type: locally_connected2d, filters: 4, kernel: 3}
        """)
    assert model.weights["lc.kernel"].shape == (64, 4, 27)
    assert model.weights["lc.bias"].shape == (64, 4)


def test_batchnorm_running_statistics_are_not_trainable(tmp_path):
    model = load_text(tmp_path, """
        input: [64, 8, 8]
        layers:
          - {name: bn, type: batchnorm}
        """)
    trainable = {name: w.trainable for name, w in model.weights.items()}
    assert trainable == {"bn.scale": True, "bn.shift": True, "bn.running_mean": False, "bn.running_var": False}
    assert all(w.uniform is False for w in model.weights.values())


def test_rnn_attrs_carry_units_direction_and_sequence_length(tmp_path):
    layer = one_layer(tmp_path, [20, 30], "{type: gru, units: 8, bidirectional: true}")
    assert layer.attrs["units"] == 8 and layer.attrs["bidirectional"] is True
    assert layer.attrs["sequence_length"] == 30 and layer.attrs["bias"] is True
    assert layer.output_shape == (16, 30)


def test_add_broadcasts_and_concat_sums_the_axis(tmp_path):
    model = load_text(tmp_path, """
        inputs: {a: [8, 4, 4], b: [8, 1, 1], c: [2, 4, 4]}
        layers:
          - {name: s, type: add, inputs: [a, b]}
          - {name: m, type: multiply, inputs: [s, a]}
          - {name: j, type: concat, inputs: [m, c]}
          - {name: w, type: concat, axis: -1, inputs: [a, a]}
        """)
    assert model.layer("s").output_shape == (8, 4, 4)
    assert model.layer("m").output_shape == (8, 4, 4)
    assert model.layer("j").output_shape == (8 + 2, 4, 4)
    assert model.layer("w").output_shape == (8, 4, 8)
    assert model.layer("j").inputs == ["m", "c"]


def test_pool_stride_defaults_to_kernel(tmp_path):
    layer = one_layer(tmp_path, [8, 12, 12], "{type: avgpool2d, kernel: 3}")
    assert layer.attrs["stride"] == (3, 3)
    assert layer.output_shape == (8, 4, 4)


def test_integers_stay_exact_ints(tmp_path):
    model = load_text(tmp_path, """
        input: [3, 227, 227]
        layers:
          - {type: flatten}
          - {name: huge, type: dense, units: 4096000}
        """)
    count = params(model, model.layer("huge"))
    assert isinstance(count, int)
    assert count == 3 * 227 * 227 * 4_096_000 + 4_096_000
