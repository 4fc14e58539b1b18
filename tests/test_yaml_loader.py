"""The YAML loader's IR: names, inputs, locations, blocks, sharing."""

from __future__ import annotations

from analyzer.loaders import loader_for
from analyzer.loaders.yaml_loader import load

from yaml_helpers import FIXTURES, load_text, params, totals


def test_registry_finds_yaml_loader_for_both_extensions():
    assert loader_for("a/model.yaml") is load
    assert loader_for("a/model.YML") is load


def test_model_fields_default_name_is_file_stem(tmp_path):
    model = load_text(tmp_path, """
        input: [3, 8, 8]
        layers:
          - {type: relu}
        """, name="tiny_net.yaml")
    assert model.format == "yaml"
    assert model.name == "tiny_net"
    assert model.batch_dim is False
    assert [(t.name, t.shape) for t in model.inputs] == [("input", (3, 8, 8))]
    assert model.path.endswith("tiny_net.yaml")


def test_explicit_name_and_version_one(tmp_path):
    model = load_text(tmp_path, """
        paramlint: 1
        name: my-net
        input: [4]
        layers:
          - {type: dense, units: 2}
        """)
    assert model.name == "my-net"


def test_reference_conv1_shape_and_params(tmp_path):
    model = load_text(tmp_path, """
        input: [3, 227, 227]
        layers:
          - {name: conv1, type: conv2d, filters: 96, kernel: 11, stride: 4}
        """)
    conv1 = model.layers[0]
    # (227 - 11) // 4 + 1 = 55
    assert conv1.output_shape == (96, 55, 55)
    # 96 * 3 * 11 * 11 + 96 = 34,848 + 96
    assert params(model, conv1) == 34_944
    assert model.weights["conv1.kernel"].shape == (96, 3, 11, 11)
    assert model.weights["conv1.bias"].shape == (96,)


def test_default_names_inputs_and_outputs_chain(tmp_path):
    model = load_text(tmp_path, """
        input: [3, 8, 8]
        layers:
          - {type: conv2d, filters: 4, kernel: 3}
          - {type: relu}
          - {name: head, type: flatten}
        """)
    assert [l.name for l in model.layers] == ["conv2d_1", "relu_2", "head"]
    assert [l.inputs for l in model.layers] == [["input"], ["conv2d_1"], ["relu_2"]]
    assert all(l.outputs == [l.name] for l in model.layers)
    assert model.layers[2].input_shape == (4, 6, 6)
    assert model.layers[2].output_shape == (144,)
    assert model.shapes["input"] == (3, 8, 8) and model.shapes["head"] == (144,)


def test_linear_alias_keeps_source_op_and_normalises_op(tmp_path):
    model = load_text(tmp_path, """
        input: [10]
        layers:
          - {name: fc, type: linear, units: 5}
        """)
    fc = model.layers[0]
    assert (fc.op, fc.source_op) == ("dense", "linear")
    assert fc.attrs["units"] == 5 and fc.attrs["bias"] is True


def test_locations_flow_and_block_style(tmp_path):
    model = load_text(tmp_path, """
        input: [3, 8, 8]
        layers:
          - {name: a, type: relu}
          -   name: b
              type: relu
          - type: relu
        """)
    locs = [(l.location.line, l.location.column) for l in model.layers]
    assert locs == [(3, 5), (4, 7), (6, 5)]
    assert model.layers[0].location.path == model.path


def test_alexnet_fixture_total_and_conv1_location():
    model = load(str(FIXTURES / "alexnet.yaml"))
    # conv 34,944 + 614,656 + 885,120 + 1,327,488 + 884,992
    # dense (9216*4096 + 4096) + (4096*4096 + 4096) + (4096*1000 + 1000)
    assert totals(model) == (62_378_344, 0)
    conv1 = model.layer("conv1")
    assert (conv1.location.line, conv1.location.column) == (5, 5)
    assert model.layer("pool5").output_shape == (256, 6, 6)
