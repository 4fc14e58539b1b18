"""PRM501-505, the design rules: each fires once on a minimal YAML file and on
the same model as an ONNX graph laid out the way the TorchScript exporter
writes it (scoped node names, ``<module>.weight`` initializers, opset 17),
with figures checked by hand arithmetic, and stays quiet on the deliberate
look-alikes its documentation names."""

from __future__ import annotations

import os
import sys

import numpy as np
from onnx import TensorProto

import onnx_builders as ob  # noqa: E402

from paramlint.lint.engine import Settings, load_model, run_rules  # noqa: E402
from paramlint.lint.plugins import discover  # noqa: E402

DESIGN = ("PRM501", "PRM502", "PRM503", "PRM504", "PRM505")


def lint(path) -> list:
    """PRM5xx findings of one file, loaded as paramlint loads it."""
    model = load_model(str(path))
    assert not model.failed, model.error
    rules = [r for r in discover().rules if r.code in DESIGN]
    assert len(rules) == len(DESIGN)
    found, _ = run_rules(model, rules, Settings())
    return found


def yaml_file(tmp_path, text: str, name: str = "m.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return lint(path)


def onnx_file(tmp_path, b: ob.GraphBuilder, name: str = "m.onnx"):
    path = tmp_path / name
    ob.save(b.model(), path)
    return lint(path)


def codes(found) -> list[str]:
    return [f.code for f in found]


def builder(shape) -> tuple[ob.GraphBuilder, str]:
    b = ob.GraphBuilder("main_graph", opset=17)
    x = b.input("input", list(shape))
    return b, x


def clip(b, x, low, high, scope):
    """ReLU6/clamp as the TorchScript exporter writes it at opset 17: Clip
    reading two scalar Constant inputs."""
    lo = b.constant(f"{scope}/Constant_output_0", np.array(low, dtype=np.float32),
                    node_name=f"{scope}/Constant")
    hi = b.constant(f"{scope}/Constant_1_output_0", np.array(high, dtype=np.float32),
                    node_name=f"{scope}/Constant_1")
    return b.node("Clip", [x, lo, hi], name=f"{scope}/Clip")


def dropout_train(b, x, scope):
    """Dropout as a training-mode export keeps it: ratio and training_mode
    constants, and the mask output."""
    r = b.constant(f"{scope}/Constant_output_0", np.array(0.5, dtype=np.float32),
                   node_name=f"{scope}/Constant")
    t = b.constant(f"{scope}/Constant_1_output_0", np.array(True), node_name=f"{scope}/Constant_1")
    return b.node("Dropout", [x, r, t], 2, name=f"{scope}/Dropout")[0]


# ---------------------------------------------------------------- PRM501

CONV_BN_YAML = """\
input: [3, 32, 32]
layers:
  - {name: conv1, type: conv2d, filters: 32, kernel: 3, padding: 1}
  - {name: bn1, type: %s}
  - {name: relu1, type: relu}
"""


def test_prm501_conv_bias_into_batchnorm_wastes_one_param_per_filter_in_yaml(tmp_path):
    (f,) = yaml_file(tmp_path, CONV_BN_YAML % "batchnorm")
    assert (f.code, f.layer, f.line) == ("PRM501", "conv1", 3)
    assert f.extra["wasted_params"] == 32  # one bias value per filter
    assert "32 params" in f.message and "bn1" in f.message


def test_prm501_conv_bias_into_batchnorm_in_a_training_mode_onnx_export(tmp_path):
    b, x = builder([1, 3, 32, 32])
    y = ob.conv(b, x, 3, 32, 3, pad=1, scope="/features/features.0")
    y = ob.batchnorm(b, y, 32, scope="/features/features.1")
    b.output(ob.relu(b, y, scope="/features/features.2"))
    (f,) = onnx_file(tmp_path, b)
    assert f.code == "PRM501" and f.node_name == "/features/features.0/Conv"
    assert f.extra["wasted_params"] == 32


def test_prm501_dense_bias_into_batchnorm1d_is_wasted_too(tmp_path):
    found = yaml_file(tmp_path, "input: [64]\nlayers:\n"
                      "  - {name: fc, type: dense, units: 10}\n  - {name: bn, type: batchnorm}\n")
    assert [(f.code, f.extra["wasted_params"]) for f in found] == [("PRM501", 10)]


def test_prm501_instance_norm_and_one_channel_groups_cancel_a_bias(tmp_path):
    assert codes(yaml_file(tmp_path, CONV_BN_YAML % "instancenorm")) == ["PRM501"]
    gn = CONV_BN_YAML.replace("type: %s", "type: groupnorm, groups: %d")
    assert codes(yaml_file(tmp_path, gn % 32)) == ["PRM501"]


def test_prm501_norms_that_mix_channels_keep_the_bias_useful(tmp_path):
    assert yaml_file(tmp_path, CONV_BN_YAML % "layernorm") == []
    gn = CONV_BN_YAML.replace("type: %s", "type: groupnorm, groups: 8")
    assert yaml_file(tmp_path, gn) == []


def test_prm501_no_finding_without_bias_or_with_an_activation_between(tmp_path):
    assert yaml_file(tmp_path, CONV_BN_YAML.replace("padding: 1}", "padding: 1, bias: false}")
                     % "batchnorm") == []
    relu_first = """\
input: [3, 32, 32]
layers:
  - {name: conv1, type: conv2d, filters: 32, kernel: 3, padding: 1}
  - {name: relu1, type: relu}
  - {name: bn1, type: batchnorm}
"""
    assert yaml_file(tmp_path, relu_first) == []


def test_prm501_no_finding_when_the_biased_output_is_also_used_elsewhere(tmp_path):
    fork = """\
input: [3, 32, 32]
layers:
  - {name: conv1, type: conv2d, filters: 32, kernel: 3, padding: 1}
  - {name: bn1, type: batchnorm}
  - {name: add, type: add, inputs: [bn1, conv1]}
"""
    assert yaml_file(tmp_path, fork) == []


# ---------------------------------------------------------------- PRM502

MLP_YAML = """\
input: [784]
layers:
  - {name: fc1, type: dense, units: %d}
  - {name: drop, type: %s}
  - {name: fc2, type: dense, units: 10}
"""


def test_prm502_dense_dropout_dense_collapses_into_one_layer_in_yaml(tmp_path):
    (f,) = yaml_file(tmp_path, MLP_YAML % (256, "dropout"))
    assert (f.code, f.layer, f.extra["first"]) == ("PRM502", "fc2", "fc1")
    assert f.extra["single_params"] == 784 * 10 + 10 == 7_850
    assert f.extra["pair_params"] == (784 * 256 + 256) + (256 * 10 + 10) == 203_530
    assert "7,850" in f.message and "203,530" in f.message


def test_prm502_gemm_gemm_as_an_eval_mode_onnx_export(tmp_path):
    b, x = builder([1, 784])
    y = ob.gemm(b, x, 784, 256, scope="/classifier/classifier.0")
    b.output(ob.gemm(b, y, 256, 10, scope="/classifier/classifier.2"))
    (f,) = onnx_file(tmp_path, b)
    assert f.code == "PRM502" and f.node_name == "/classifier/classifier.2/Gemm"
    assert (f.extra["single_params"], f.extra["pair_params"]) == (7_850, 203_530)


def test_prm502_matmul_add_layers_on_tokens_collapse_too(tmp_path):
    b, x = builder([1, 16, 64])
    y = ob.linear_matmul(b, x, 64, 128, scope="/proj/fc1")
    b.output(ob.linear_matmul(b, y, 128, 32, scope="/proj/fc2"))
    (f,) = onnx_file(tmp_path, b)
    assert f.extra["single_params"] == 64 * 32 + 32


def test_prm502_an_activation_or_a_norm_between_breaks_the_chain(tmp_path):
    assert yaml_file(tmp_path, MLP_YAML % (256, "relu")) == []
    assert yaml_file(tmp_path, MLP_YAML % (256, "layernorm")) == []


def test_prm502_a_middle_narrower_than_both_sides_is_a_deliberate_factorisation(tmp_path):
    low_rank = MLP_YAML.replace("units: 10", "units: 784") % (32, "identity")
    assert yaml_file(tmp_path, low_rank) == []


def test_prm502_pointwise_convs_collapse_but_stacked_3x3_convs_do_not(tmp_path):
    pointwise = """\
input: [64, 8, 8]
layers:
  - {name: a, type: conv2d, filters: 128, kernel: 1}
  - {name: b, type: conv2d, filters: 64, kernel: 1}
"""
    (f,) = yaml_file(tmp_path, pointwise)
    assert f.extra["single_params"] == 64 * 64 + 64
    assert f.extra["pair_params"] == (64 * 128 + 128) + (128 * 64 + 64)
    stacked = pointwise.replace("kernel: 1}", "kernel: 3, padding: 1}").replace("128", "64")
    assert yaml_file(tmp_path, stacked) == []  # one 5x5 would hold more than two 3x3s


def test_prm502_depthwise_then_pointwise_is_a_separable_conv_not_a_finding(tmp_path):
    separable = """\
input: [32, 16, 16]
layers:
  - {name: dw, type: depthwise_conv2d, kernel: 3, padding: 1}
  - {name: pw, type: conv2d, filters: 64, kernel: 1}
"""
    assert yaml_file(tmp_path, separable) == []


# ---------------------------------------------------------------- PRM503

def test_prm503_relu_after_relu_in_yaml(tmp_path):
    text = """\
input: [3, 8, 8]
layers:
  - {name: conv, type: conv2d, filters: 8, kernel: 3, bias: false}
  - {name: relu1, type: relu}
  - {name: relu2, type: relu}
"""
    (f,) = yaml_file(tmp_path, text)
    assert (f.code, f.layer, f.extra["first"], f.line) == ("PRM503", "relu2", "relu1", 5)
    assert "does nothing" in f.message


def test_prm503_relu_after_relu_in_onnx(tmp_path):
    b, x = builder([1, 3, 8, 8])
    y = ob.conv(b, x, 3, 8, 3, scope="/features/features.0", bias=False)
    y = ob.relu(b, y, scope="/features/features.1")
    b.output(ob.relu(b, y, scope="/features/features.2"))
    (f,) = onnx_file(tmp_path, b)
    assert f.code == "PRM503" and f.node_name == "/features/features.2/Relu"


def test_prm503_relu6_exported_as_clip_at_zero_counts_as_an_activation(tmp_path):
    b, x = builder([1, 8])
    y = ob.relu(b, x, scope="/act1")
    b.output(clip(b, y, 0.0, 6.0, scope="/act2"))
    assert codes(onnx_file(tmp_path, b)) == ["PRM503"]


def test_prm503_a_clamp_after_a_sigmoid_is_not_an_activation(tmp_path):
    b, x = builder([1, 8])
    y = b.node("Sigmoid", [x], name="/head/Sigmoid")
    b.output(clip(b, y, 1e-4, 1 - 1e-4, scope="/head"))
    assert onnx_file(tmp_path, b) == []


def test_prm503_mish_exported_as_softplus_tanh_mul_is_one_activation(tmp_path):
    b, x = builder([1, 8, 4, 4])
    y = ob.conv(b, x, 8, 8, 3, pad=1, scope="/stem/conv", bias=False)
    s = b.node("Softplus", [y], name="/stem/act/Softplus")
    t = b.node("Tanh", [s], name="/stem/act/Tanh")
    b.output(b.node("Mul", [y, t], name="/stem/act/Mul"))
    assert onnx_file(tmp_path, b) == []


def test_prm503_flatten_between_does_not_hide_it(tmp_path):
    text = """\
input: [4, 2, 2]
layers:
  - {name: relu1, type: relu}
  - {name: flat, type: flatten}
  - {name: sig, type: sigmoid}
"""
    (f,) = yaml_file(tmp_path, text)
    assert f.layer == "sig" and "squashed twice" in f.message


# ---------------------------------------------------------------- PRM504

DROP_BN_YAML = """\
input: [16, 8, 8]
layers:
  - {name: conv1, type: conv2d, filters: 16, kernel: 3, padding: 1, bias: false}
  - {name: drop, type: dropout, rate: 0.3}
  - {name: bn, type: %s}
"""


def test_prm504_dropout_into_batchnorm_in_yaml(tmp_path):
    (f,) = yaml_file(tmp_path, DROP_BN_YAML % "batchnorm")
    assert (f.code, f.layer, f.extra["norm"], f.line) == ("PRM504", "drop", "bn", 4)


def test_prm504_dropout_into_batchnorm_in_a_training_mode_onnx_export(tmp_path):
    b, x = builder([1, 16, 8, 8])
    y = ob.conv(b, x, 16, 16, 3, pad=1, scope="/block/conv1", bias=False)
    y = dropout_train(b, y, scope="/block/drop")
    b.output(ob.batchnorm(b, y, 16, scope="/block/bn"))
    (f,) = onnx_file(tmp_path, b)
    assert f.code == "PRM504" and f.node_name == "/block/drop/Dropout"


def test_prm504_norms_without_running_statistics_are_not_concerned(tmp_path):
    assert yaml_file(tmp_path, DROP_BN_YAML % "layernorm") == []


def test_prm504_dropout_before_a_weight_layer_is_the_usual_place(tmp_path):
    text = DROP_BN_YAML.replace("  - {name: bn", "  - {name: conv2, type: conv2d, filters: 16, "
                                "kernel: 1, bias: false}\n  - {name: bn") % "batchnorm"
    assert "PRM504" not in codes(yaml_file(tmp_path, text))


# ---------------------------------------------------------------- PRM505

SMALL_MAP_YAML = """\
input: [16, %d, %d]
layers:
  - {name: conv, type: conv2d, filters: 16, kernel: 3, padding: 1, bias: false}
"""


def test_prm505_3x3_conv_on_a_1x1_map_only_its_centre_tap_sees_data_in_yaml(tmp_path):
    (f,) = yaml_file(tmp_path, SMALL_MAP_YAML % (1, 1))
    assert (f.code, f.layer) == ("PRM505", "conv")
    assert f.extra["dead_taps"] == 8  # all but the centre of 9
    assert f.extra["dead_weights"] == 8 * 16 * 16 == 2_048
    assert f.extra["kernel_weights"] == 9 * 16 * 16


def test_prm505_same_conv_in_onnx(tmp_path):
    b, x = builder([1, 16, 1, 1])
    b.output(ob.conv(b, x, 16, 16, 3, pad=1, scope="/layer4/layer4.1/conv2", bias=False))
    (f,) = onnx_file(tmp_path, b)
    assert f.code == "PRM505" and f.extra["dead_weights"] == 2_048


def test_prm505_a_large_kernel_counts_taps_per_dimension(tmp_path):
    text = "input: [2, 3, 3]\nlayers:\n  - {name: c, type: conv2d, filters: 4, kernel: 7, padding: 3}\n"
    (f,) = yaml_file(tmp_path, text)
    # 3 outputs per dim, tap j reads o - 3 + j: taps 1..5 reach the input, 0 and 6 never
    assert f.extra["dead_taps"] == 49 - 5 * 5
    assert f.extra["dead_weights"] == 24 * 4 * 2


def test_prm505_pool_window_on_a_smaller_map(tmp_path):
    text = "input: [8, 1, 1]\nlayers:\n  - {name: p, type: maxpool2d, kernel: 3, stride: 2, padding: 1}\n"
    (f,) = yaml_file(tmp_path, text)
    assert f.extra["dead_taps"] == 8 and f.extra["dead_weights"] == 0


def test_prm505_a_window_wider_than_the_map_whose_taps_all_read_it_is_fine(tmp_path):
    assert yaml_file(tmp_path, SMALL_MAP_YAML % (2, 2)) == []  # each tap reads data somewhere
    assert yaml_file(tmp_path, SMALL_MAP_YAML % (7, 7)) == []


def test_prm505_onnx_same_upper_auto_pad_is_resolved(tmp_path):
    b, x = builder([1, 4, 1, 1])
    w = b.init("conv.weight", [4, 4, 3, 3])
    b.output(b.node("Conv", [x, w], name="/conv/Conv", kernel_shape=[3, 3], auto_pad="SAME_UPPER"))
    (f,) = onnx_file(tmp_path, b)
    assert f.extra["dead_taps"] == 8


# ------------------------------------------------- one model, four files

DESIGN_NET = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "design")


def by_code(found) -> dict:
    out: dict = {}
    for f in found:
        assert f.code not in out, f"{f.code} fired twice: {f.message}"
        out[f.code] = f
    return out


def test_design_net_yaml_has_each_pattern_once_with_hand_figures():
    found = by_code(lint(os.path.join(DESIGN_NET, "design_net.yaml")))
    assert sorted(found) == list(DESIGN)
    assert found["PRM501"].extra["wasted_params"] == 32
    assert found["PRM502"].extra["single_params"] == 16 * 10 + 10 == 170
    assert found["PRM502"].extra["pair_params"] == (16 * 64 + 64) + (64 * 10 + 10) == 1_738
    assert found["PRM505"].extra["dead_weights"] == 8 * 32 * 16 == 4_096


def test_design_net_training_mode_torchscript_export_keeps_every_pattern():
    """Training mode keeps BatchNormalization and Dropout, so the real
    export has all five, with the YAML file's figures."""
    found = by_code(lint(os.path.join(DESIGN_NET, "design_net.ts_train.onnx")))
    assert sorted(found) == list(DESIGN)
    assert found["PRM501"].node_name == "/features/features.0/Conv"
    assert found["PRM501"].extra["wasted_params"] == 32
    assert found["PRM504"].node_name == "/features/features.3/Dropout"
    assert found["PRM503"].node_name == "/features/features.6/Relu"
    assert found["PRM505"].extra["dead_weights"] == 4_096
    assert (found["PRM502"].extra["single_params"], found["PRM502"].extra["pair_params"]) == (170, 1_738)


def test_design_net_eval_exports_lose_what_the_exporters_fold():
    """Eval mode folds the conv's batch norm (no PRM501) and drops Dropout
    (no PRM504); the dynamo optimiser also removes the ReLU of a ReLU."""
    ts = by_code(lint(os.path.join(DESIGN_NET, "design_net.ts_eval.onnx")))
    assert sorted(ts) == ["PRM502", "PRM503", "PRM505"]
    dynamo = by_code(lint(os.path.join(DESIGN_NET, "design_net.dynamo.onnx")))
    assert sorted(dynamo) == ["PRM502", "PRM505"]
    assert dynamo["PRM502"].extra["single_params"] == 170


# ------------------------------------------------------------- quiet cases

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
EXPORTS_INDEX = os.path.join(FIXTURES, "exports", "index.json")

#: Real models that trip a design rule on purpose, each named in
#: docs/rules-design.md: (code, model name fragment).
DELIBERATE = {
    # a 128-tap positional convolution over frames, exported on a short clip
    ("PRM505", "wav2vec2"),
    ("PRM505", "hubert"),
}


def test_no_design_finding_on_the_yaml_and_onnx_fixtures():
    paths = sorted(os.path.join(FIXTURES, p) for p in os.listdir(FIXTURES)
                   if p.endswith((".yaml", ".onnx")) and not p.startswith("broken"))
    assert len(paths) >= 10
    for path in paths:
        assert lint(path) == [], path


def test_no_design_finding_on_the_real_exports_but_the_documented_ones():
    """Every model of fixtures/exports (torchvision, timm, transformers; the
    TorchScript and dynamo exporters): the rules do not cry wolf on the
    models people trust."""
    import json

    if not os.path.exists(EXPORTS_INDEX):
        import pytest

        pytest.skip("fixtures/exports has not landed on this checkout")
    with open(EXPORTS_INDEX) as fh:
        entries = json.load(fh)["files"]
    assert entries
    doc = open(os.path.join(FIXTURES, "..", "docs", "rules-design.md")).read()
    unexpected = []
    for entry in entries:
        for f in lint(os.path.join(FIXTURES, "exports", entry["file"])):
            known = any(code == f.code and part in entry["model"] for code, part in DELIBERATE)
            if not known:
                unexpected.append(f"{entry['file']}: {f.code} {f.message}")
    assert unexpected == []
    for _, part in DELIBERATE:
        assert part in doc.lower()  # each deliberate case is documented


def test_prm503_a_block_starting_with_an_activation_on_a_shared_value_is_not_reported(tmp_path):
    """timm's aligned Xception: the first block's leading ReLU reads the
    stem's ReLU output, which the block's shortcut reads too."""
    text = """\
input: [8, 4, 4]
layers:
  - {name: stem_act, type: relu}
  - {name: act1, type: relu}
  - {name: conv, type: conv2d, filters: 8, kernel: 1}
  - {name: shortcut, type: conv2d, filters: 8, kernel: 1, inputs: stem_act}
  - {name: add, type: add, inputs: [conv, shortcut]}
"""
    assert yaml_file(tmp_path, text) == []


def torchscript_group_norm(b, x, channels, groups, length, scope):
    """nn.GroupNorm as the TorchScript exporter writes it at opset 17:
    Reshape to [N, groups, -1], InstanceNormalization over the groups (ones
    and zeros for scale and shift), Reshape back to the Shape of its input,
    then the affine Mul and Add."""
    shape = b.constant(f"{scope}/Constant_output_0", np.array([0, groups, -1], dtype=np.int64),
                       node_name=f"{scope}/Constant")
    y = b.node("Reshape", [x, shape], name=f"{scope}/Reshape")
    ones = b.constant(f"{scope}/Constant_1_output_0", np.ones(groups, dtype=np.float32),
                      node_name=f"{scope}/Constant_1")
    zeros = b.constant(f"{scope}/Constant_2_output_0", np.zeros(groups, dtype=np.float32),
                       node_name=f"{scope}/Constant_2")
    y = b.node("InstanceNormalization", [y, ones, zeros], name=f"{scope}/InstanceNormalization",
               epsilon=1e-5)
    back = b.node("Shape", [x], name=f"{scope}/Shape")
    y = b.node("Reshape", [y, back], name=f"{scope}/Reshape_1")
    y = b.node("Mul", [y, b.init(f"{scope[1:].replace('/', '.')}.weight", [channels, 1])],
               name=f"{scope}/Mul")
    return b.node("Add", [y, b.init(f"{scope[1:].replace('/', '.')}.bias", [channels, 1])],
                  name=f"{scope}/Add")


def test_prm501_one_channel_group_norm_as_torchscript_exports_it(tmp_path):
    """wav2vec2's feature extractor with conv_bias=True: Conv1d(1, 512, 10)
    then GroupNorm(512, 512); the Shape node reading the conv output reads
    no values, so the bias still goes straight into the norm."""
    b, x = builder([1, 1, 400])
    y = ob.conv(b, x, 1, 512, [10], stride=5, scope="/feature_extractor/conv_layers.0/conv")
    b.output(torchscript_group_norm(b, y, 512, 512, 79, "/feature_extractor/conv_layers.0/layer_norm"))
    (f,) = onnx_file(tmp_path, b)
    assert f.code == "PRM501" and f.extra["wasted_params"] == 512


def test_prm501_group_norm_of_several_channels_per_group_as_exported_keeps_the_bias(tmp_path):
    b, x = builder([1, 64, 8, 8])
    y = ob.conv(b, x, 64, 64, 3, pad=1, scope="/block/conv")
    b.output(torchscript_group_norm(b, y, 64, 8, 64, "/block/norm"))
    assert onnx_file(tmp_path, b) == []


def test_prm505_a_hostile_kernel_length_is_not_walked(tmp_path):
    b, x = builder([1, 1, 4])
    w = b.init("conv.weight", [1, 1, 1 << 20], fill=None)
    b.output(b.node("Conv", [x, w], name="/conv/Conv", kernel_shape=[1 << 20],
                    pads=[1 << 20, 1 << 20]))
    assert "PRM505" not in codes(onnx_file(tmp_path, b))


def test_keras_applications_resnet50_biases_before_every_batch_norm(tmp_path):
    """keras.applications ResNet50 keeps a bias on each of its 53 convolutions,
    each followed by a batch norm: a true PRM501 on a famous model, named in
    docs/rules-design.md. The wasted params are the filters of all 53 convs:
    the stem's 64, then per stage (blocks x (m + m + 4m) + the projection's 4m)."""
    import gzip

    keras = os.path.join(FIXTURES, "keras", "resnet50.json.gz")
    path = tmp_path / "resnet50.json"
    with gzip.open(keras, "rb") as fh:
        path.write_bytes(fh.read())
    found = lint(path)
    assert {f.code for f in found} == {"PRM501"}
    stages = [(3, 64), (4, 128), (6, 256), (3, 512)]
    assert len(found) == 1 + sum(blocks * 3 + 1 for blocks, _ in stages) == 53
    wasted = 64 + sum(blocks * 6 * m + 4 * m for blocks, m in stages)
    assert sum(f.extra["wasted_params"] for f in found) == wasted == 26_560
