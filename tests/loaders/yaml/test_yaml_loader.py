"""The YAML loader's IR: names, inputs, locations, blocks, sharing."""

from __future__ import annotations

import pytest

from paramlint.loaders import candidates
from paramlint.loaders.yaml.loader import load

from yaml_helpers import FIXTURES, load_text, params, totals


def test_registry_finds_yaml_loader_for_both_extensions():
    assert candidates("a/model.yaml")[0].loader() is load
    assert candidates("a/model.YML")[0].loader() is load


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


def test_block_repeats_name_layers_and_read_at_input(tmp_path):
    model = load_text(tmp_path, """
        input: [64, 8, 8]
        layers:
          - type: block
            name: stage1
            repeat: 2
            layers:
              - {name: c1, type: conv2d, filters: 64, kernel: 3, padding: 1, bias: false}
              - {name: bn1, type: batchnorm}
              - {type: relu}
              - {name: sum, type: add, inputs: [bn1, "@input"]}
          - {name: head, type: global_avgpool, inputs: stage1}
        """)
    names = [l.name for l in model.layers]
    assert names == [
        "stage1.0.c1", "stage1.0.bn1", "stage1.0.relu_3", "stage1.0.sum",
        "stage1.1.c1", "stage1.1.bn1", "stage1.1.relu_3", "stage1.1.sum", "head",
    ]
    assert model.layer("stage1.0.sum").inputs == ["stage1.0.bn1", "input"]
    assert model.layer("stage1.1.c1").inputs == ["stage1.0.sum"]
    assert model.layer("stage1.1.sum").inputs == ["stage1.1.bn1", "stage1.0.sum"]
    assert model.layer("head").inputs == ["stage1.1.sum"]
    # each repeat owns its weights
    assert model.layer("stage1.1.c1").weights == ["stage1.1.c1.kernel"]
    # repeated layers point at the inner layer's own line
    assert model.layer("stage1.0.c1").location.line == model.layer("stage1.1.c1").location.line == 7


def test_nested_blocks_and_outer_names_are_visible(tmp_path):
    model = load_text(tmp_path, """
        input: [4, 8, 8]
        layers:
          - {name: stem, type: conv2d, filters: 4, kernel: 1}
          - type: block
            name: outer
            layers:
              - type: block
                name: inner
                repeat: 2
                layers:
                  - {name: c, type: conv2d, filters: 4, kernel: 1}
              - {name: skip, type: add, inputs: [inner, stem]}
        """)
    assert [l.name for l in model.layers] == ["stem", "outer.0.inner.0.c", "outer.0.inner.1.c", "outer.0.skip"]
    assert model.layer("outer.0.skip").inputs == ["outer.0.inner.1.c", "stem"]


def test_share_reads_the_owners_weights(tmp_path):
    model = load_text(tmp_path, """
        input: [10]
        layers:
          - {name: a, type: dense, units: 10}
          - {name: b, type: linear, units: 10, share: a}
          - {name: c, type: dense, units: 10, share: b}
        """)
    assert set(model.weights) == {"a.kernel", "a.bias"}
    for name in ("b", "c"):
        layer = model.layer(name)
        assert layer.weights == ["a.kernel", "a.bias"]
        assert layer.attrs["shared_from"] == "a"
    readers = [l.name for l in model.layers if "a.kernel" in l.weights]
    assert readers == ["a", "b", "c"]


def test_share_repeats_ties_every_repeat_to_the_first(tmp_path):
    model = load_text(tmp_path, """
        input: [16, 4]
        layers:
          - type: block
            name: enc
            repeat: 3
            share_repeats: true
            layers:
              - {name: proj, type: conv1d, filters: 16, kernel: 1}
              - {name: norm, type: layernorm}
              - {type: gelu}
        """)
    assert set(model.weights) == {"enc.0.proj.kernel", "enc.0.proj.bias", "enc.0.norm.scale", "enc.0.norm.shift"}
    assert model.layer("enc.2.proj").weights == ["enc.0.proj.kernel", "enc.0.proj.bias"]
    assert model.layer("enc.1.norm").attrs["shared_from"] == "enc.0.norm"
    readers = [l.name for l in model.layers if "enc.0.proj.kernel" in l.weights]
    assert readers == ["enc.0.proj", "enc.1.proj", "enc.2.proj"]
    # unique: 16*16 + 16 + 2*16 = 304, per use 3 * 304
    unique = sum(w.elements for w in model.weights.values())
    per_use = sum(model.weights[w].elements for l in model.layers for w in l.weights)
    assert (unique, per_use) == (304, 3 * 304)


def test_anchors_aliases_and_merge_keys_reuse_a_definition(tmp_path):
    model = load_text(tmp_path, """
        input: [3, 16, 16]
        layers:
          - &c3 {name: a, type: conv2d, filters: 8, kernel: 3, padding: 1}
          - {<<: *c3, name: b, filters: 16}
          - <<: *c3
            name: c
            bias: false
        """)
    assert [l.output_shape for l in model.layers] == [(8, 16, 16), (16, 16, 16), (8, 16, 16)]
    assert model.layer("c").attrs["bias"] is False
    # a merged layer is located at its own mapping
    assert (model.layer("b").location.line, model.layer("b").location.column) == (4, 5)
    assert (model.layer("c").location.line, model.layer("c").location.column) == (5, 5)


def test_inputs_as_string_or_list_and_multiple_model_inputs(tmp_path):
    model = load_text(tmp_path, """
        inputs:
          left: [1, 8, 8]
          right: [1, 8, 8]
        layers:
          - {name: l, type: conv2d, filters: 2, kernel: 3, inputs: left}
          - {name: r, type: conv2d, filters: 2, kernel: 3, inputs: [right], share: l}
          - {name: both, type: add, inputs: [l, r]}
        """)
    assert [(t.name, t.shape) for t in model.inputs] == [("left", (1, 8, 8)), ("right", (1, 8, 8))]
    assert model.layer("r").inputs == ["right"]
    assert model.layer("both").inputs == ["l", "r"]
    assert model.layer("both").input_shape == (2, 6, 6)


HEAVY = ("onnx", "numpy", "torch", "ultralytics", "keras", "tensorflow", "h5py")


@pytest.mark.parametrize("fixture", ["resnet18.yaml", "mixtral-8x7b.yaml", "ultralytics/yolo11.yaml",
                                     "keras/vgg16.json", "keras/sequential_cnn.keras"])
def test_loading_yaml_and_keras_imports_no_onnx_numpy_or_framework(fixture):
    """Checked through the engine, claims included, in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from paramlint.lint.engine import load_model\n"
        f"path = {str(FIXTURES / fixture)!r}\n"
        "assert not load_model(path).failed\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
