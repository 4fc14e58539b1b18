"""Module paths from the exporters' names, and report rows rolled up by module."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from onnx import helper

from paramlint.cli.app import main
from paramlint.loaders.onnx.loader import load as load_onnx
from paramlint.loaders.onnx.modules import model_name, module_path
from paramlint.analysis.modules import rows
from onnx_builders import GraphBuilder, batchnorm, conv, save
from report_helpers import document, layer
from yaml_helpers import FIXTURES


def _doc(path, *args):
    result = CliRunner().invoke(main, ["report", "--no-cache", "-f", "json", *args, str(path)])
    return json.loads(result.output)["models"][0]


def _node(name="n", scopes=None):
    node = helper.make_node("Conv", ["x", "w"], ["y"], name=name)
    if scopes is not None:
        entry = node.metadata_props.add()
        entry.key, entry.value = "pkg.torch.onnx.name_scopes", scopes
    return node


def test_torchscript_scoped_names_give_torch_module_paths():
    assert module_path(_node(), "/layer1/layer1.0/conv1/Conv", []) == "layer1.0.conv1"
    assert module_path(_node(), "/layer2/layer2.0/downsample/downsample.0/Conv", []) \
        == "layer2.0.downsample.0"
    assert module_path(_node(), "/Flatten", []) is None
    assert module_path(_node(), "Identity_12", []) is None


def test_dynamo_name_scopes_metadata_gives_the_module_path():
    node = _node("node_MatMul_95", "['', 'encoder', 'encoder.layers', 'encoder.layers.encoder_layer_0', "
                                   "'encoder.layers.encoder_layer_0.mlp', "
                                   "'encoder.layers.encoder_layer_0.mlp.0', 'linear_2']")
    assert module_path(node, "node_MatMul_95", []) == "encoder.layers.encoder_layer_0.mlp.0"


def test_weight_names_win_over_a_fused_neighbours_scope_but_not_a_shared_weight():
    # dynamo folds bn1 into conv1 and keeps bn1's scope on the Conv
    fused = _node("node_Conv_1", "['', 'layer1', 'layer1.0', 'layer1.0.bn1', '_native_batch_norm']")
    assert module_path(fused, "node_Conv_1", ["layer1.0.conv1.weight"]) == "layer1.0.conv1"
    # an untrained model's LayerNorm ones, merged into one tensor every LayerNorm reads
    ln2 = _node("node_ln", "['', 'encoder', 'encoder.layer_0', 'encoder.layer_0.ln_2', 'layer_norm_1']")
    shared = {"encoder.layer_0.ln_1.weight"}
    assert module_path(ln2, "node_ln", ["encoder.layer_0.ln_1.weight"], shared) == "encoder.layer_0.ln_2"
    # no scope at all: the weight's name
    assert module_path(_node(), "Gemm_7", ["fc.weight", "fc.bias"]) == "fc"


def test_a_modules_second_call_is_the_same_module():
    # TorchScript scopes a Siamese tower's second call "tower.0_1"; it reads tower.0's weight
    shared = {"tower.0.weight"}
    assert module_path(_node(), "/tower/tower.0_1/Conv", ["tower.0.weight"], shared) == "tower.0"
    # a module whose own name ends in a number stays as it is
    assert module_path(_node(), "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization",
                       ["encoder.layers.encoder_layer_0.ln_1.weight"], {"encoder.layers.encoder_layer_0.ln_1.weight"}) \
        == "encoder.layers.encoder_layer_1.ln_1"


def test_exporter_default_graph_names_give_way_to_the_file_stem():
    for generic in ("main_graph", "torch_jit", "torch-jit-export", ""):
        assert model_name(generic, "resnet18.dynamo") == "resnet18.dynamo"
    assert model_name("my_detector", "export") == "my_detector"


def test_onnx_layers_carry_module_paths_and_the_title_is_the_stem(tmp_path):
    b = GraphBuilder("main_graph")
    x = b.input("x", [1, 3, 8, 8])
    y = conv(b, x, 3, 4, 3, scope="/layer1/layer1.0/conv1", pad=1)
    b.output(batchnorm(b, y, 4, scope="/layer1/layer1.0/bn1"))
    model = load_onnx(save(b.model(), tmp_path / "tiny_net.onnx"))
    assert model.name == "tiny_net"
    assert [layer.module for layer in model.layers] == ["layer1.0.conv1", "layer1.0.bn1"]


@pytest.mark.parametrize("path", [FIXTURES / "resnet18.onnx", FIXTURES / "resnet18.yaml"])
def test_resnet18_at_depth_1_is_its_top_level_modules(path):
    doc = _doc(path)
    table = rows(doc, depth=1)
    names = [row.path for row in table]
    if path.suffix == ".onnx":
        assert names == ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"]
    else:  # the YAML spells each stage's blocks layer2_0, layer2_1 (see its header)
        assert names[:3] == ["conv1", "bn1", "layer1"] and names[-1] == "fc"
    # a roll-up's figures are the exact sums of its layers: the rows add up to the totals
    assert sum(row.params for row in table) == doc["totals"]["params"] == 11_699_112
    assert sum(row.macs for row in table) == doc["totals"]["macs"]


def test_default_rows_hide_plumbing_and_all_shows_every_layer():
    doc = _doc(FIXTURES / "resnet18.onnx")
    default = rows(doc)
    assert all(row.params or row.macs for row in default)
    assert not any(row.op in ("relu", "add", "maxpool2d", "flatten") for row in default)
    assert len(rows(doc, show_all=True)) == len(doc["layers"]) > len(default)


def test_a_tied_weight_counts_once_in_the_module_that_holds_both_readers():
    doc = document("m.onnx", layers=[
        {**layer("emb", "embedding", params=100), "module": "model.embed", "macs": 0},
        {**layer("proj", "dense", params=100), "module": "model.head", "macs": 500},
        {**layer("other", "dense", params=7), "module": "other", "macs": 7},
    ])
    doc["ties"] = [{"name": "table", "shape": [10, 10], "elements": 100, "layers": ["emb", "proj"]}]
    top = {row.path: row for row in rows(doc, depth=1)}
    assert top["model"].params == 100 and top["model"].macs == 500
    deep = {row.path: row for row in rows(doc, depth=2)}
    assert deep["model.embed"].params == deep["model.head"].params == 100


def test_unknown_macs_make_a_rolled_up_row_a_lower_bound():
    doc = document("m.onnx", layers=[
        {**layer("a", params=4), "module": "blk.a", "macs": 10},
        {**layer("b", params=4), "module": "blk.b", "macs": None},
    ])
    (row,) = rows(doc, depth=1)
    assert row.macs == 10 and row.macs_unknown


def test_yaml_blocks_and_repeats_are_modules(tmp_path):
    from yaml_helpers import write

    path = write(tmp_path, """
        input: [8]
        layers:
          - type: block
            name: stack
            repeat: 3
            layers:
              - {name: fc, type: dense, units: 8}
              - {name: act, type: relu}
          - {name: head, type: dense, units: 2}
    """)
    doc = _doc(path)
    assert [row.path for row in rows(doc)] == ["stack.0.fc", "stack.1.fc", "stack.2.fc", "head"]
    stack, head = rows(doc, depth=1)
    assert (stack.path, stack.params, stack.macs) == ("stack", 3 * (64 + 8), 3 * 64)
