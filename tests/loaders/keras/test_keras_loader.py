"""The Keras model-config loader against Keras's own figures.

Truth: fixtures/keras/truth.json, written by make_fixtures.py from the very
model objects whose to_json() the fixtures are (count_params(), trainable
and non-trainable weights, model.summary()'s rows); the Keras Applications
totals are also the published ones. tf_keras_v2.json is written by hand in
the tf.keras 2 format; its figures are hand arithmetic.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from paramlint.analysis.counting import count
from paramlint.lint.engine import Settings, run_rules
from paramlint.ir.model import LoadError
from paramlint.loaders.keras import claims_json, claims_keras, load
from paramlint.analysis.macs import compute
from paramlint.lint.plugins import discover

HERE = Path(__file__).resolve().parents[3] / "fixtures" / "keras"
TRUTH = json.loads((HERE / "truth.json").read_text())
MODELS = [name for name in TRUTH if name != "how"]


def fixture(name: str, tmp_path: Path) -> str:
    """The fixture's path; a gzipped config is unpacked to ``tmp_path`` first."""
    plain = HERE / f"{name}.json"
    if plain.exists():
        return str(plain)
    target = tmp_path / f"{name}.json"
    target.write_bytes(gzip.decompress((HERE / f"{name}.json.gz").read_bytes()))
    return str(target)


def totals(path: str):
    return count(load(path)).totals


@pytest.mark.parametrize("name", MODELS)
def test_totals_equal_keras_count_params_trainable_and_not(name, tmp_path):
    t = totals(fixture(name, tmp_path))
    truth = TRUTH[name]
    assert (t.params, t.trainable, t.non_trainable) == (
        truth["count_params"], truth["trainable"], truth["non_trainable"])


def test_keras_applications_published_figures(tmp_path):
    assert totals(fixture("vgg16", tmp_path)).params == 138_357_544
    resnet = totals(fixture("resnet50", tmp_path))
    assert (resnet.params, resnet.trainable, resnet.non_trainable) == (25_636_712, 25_583_592, 53_120)
    assert totals(fixture("mobilenet_v2", tmp_path)).params == 3_538_984


def top_level(model) -> list[str]:
    """Layer names as model.summary() lists them: nested models and repeated calls folded."""
    names: list[str] = []
    for layer in model.layers:
        if layer.source_op.startswith("ops."):
            continue  # x + y on tensors: a Keras operation, not a layer; summary() omits it
        name = layer.name.split("/")[0].split("#")[0]
        if not names or names[-1] != name:
            names.append(name)
    return names


@pytest.mark.parametrize("name", MODELS)
def test_layers_line_up_with_model_summary(name, tmp_path):
    model = load(fixture(name, tmp_path))
    rows = [(n, cls, params) for n, cls, params in TRUTH[name]["summary"] if cls != "InputLayer"]
    assert top_level(model) == [n for n, _, _ in rows]
    for row_name, cls, params in rows:
        weights = {w for layer in model.layers
                   if layer.name.split("/")[0].split("#")[0] == row_name for w in layer.weights}
        assert sum(model.weights[w].elements for w in weights) == params, row_name


def test_layer_called_on_two_inputs_is_a_tie_counted_once():
    model = load(str(HERE / "shared_siamese.json"))
    counts = count(model)
    assert model.layer("encoder").weights == model.layer("encoder#2").weights
    assert model.layer("encoder#2").inputs == ["right"]
    ties = {tie.name: tie.layers for tie in counts.ties}
    assert ties["encoder/kernel"] == ["encoder", "encoder#2"]
    assert ties["shared_conv/kernel"] == ["shared_conv", "shared_conv#2"]
    dense, conv = 16 * 8 + 8, 3 * 3 * 3 * 4 + 4
    assert counts.totals.params == TRUTH["shared_siamese"]["count_params"]
    assert counts.totals.tied_savings == dense + conv


def test_flatten_dense_head_over_7x7_map_is_prm301_with_pooled_cost():
    model = load(str(HERE / "flatten_head.json"))
    rules = [r for r in discover().rules if r.code == "PRM301"]
    [finding], _ = run_rules(model, rules, Settings())
    assert "'fc1'" in finding.message and "7x7" in finding.message
    assert finding.extra["channels"] == 64
    assert finding.extra["pooled_params"] == 64 * 256 + 256


@pytest.mark.parametrize("name", ["vgg16", "resnet50", "mobilenet_v2", "convnext_tiny", "efficientnet_b0"])
def test_no_prm301_where_dense_reads_pooled_or_per_position_features(name, tmp_path):
    """VGG16 is the exception by design: its fc1 reads 7x7x512 (counting.md's example)."""
    model = load(fixture(name, tmp_path))
    rules = [r for r in discover().rules if r.code == "PRM301"]
    found, _ = run_rules(model, rules, Settings())
    assert [f.message.split("'")[1] for f in found] == (["fc1"] if name == "vgg16" else [])


def test_vgg16_macs_are_torchvisions_published_15_47_g():
    macs = compute(load(str(HERE / "vgg16.json")))
    assert macs.total == 15_470_264_320 and not macs.lower_bound


def test_keras2_functional_config_by_hand():
    model = load(str(HERE / "tf_keras_v2.json"))
    t = count(model).totals
    conv, bn, dense = 3 * 3 * 3 * 8 + 8, 4 * 8, (16 * 16 * 8) * 10 + 10
    assert (t.params, t.trainable, t.non_trainable) == (conv + bn + dense, conv + 16 + dense, 16)
    assert model.layer("flatten").output_shape == ("batch", 2048)
    assert model.layer("conv2d").attrs["channels_last"] is True


def write(tmp_path: Path, data, name: str = "model.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def test_keras2_sequential_with_batch_input_shape(tmp_path):
    path = write(tmp_path, {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"name": "d1", "units": 5, "batch_input_shape": [None, 20]}},
        {"class_name": "Dense", "config": {"name": "d2", "units": 2, "use_bias": False}}]}})
    assert totals(path).params == 20 * 5 + 5 + 5 * 2


def test_frozen_layer_weights_are_non_trainable(tmp_path):
    path = write(tmp_path, {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "x"}},
        {"class_name": "Dense", "config": {"name": "frozen", "units": 3, "trainable": False}},
        {"class_name": "Dense", "config": {"name": "head", "units": 1}}]}})
    t = totals(path)
    assert (t.trainable, t.non_trainable) == (4, 15)


def test_unknown_layer_class_is_a_prm003_and_its_params_leave_the_total_partial(tmp_path):
    data = json.loads((HERE / "flatten_head.json").read_text())
    data["config"]["layers"][2]["class_name"] = "MyPool"  # pool1, with Keras's recorded shapes
    model = load(write(tmp_path, data))
    [diag] = model.diagnostics
    assert "MyPool" in diag.message and diag.location.line == 1
    counts = count(model)
    # pool1 holds nothing, so the known part is Keras's count; paramlint cannot know that
    assert counts.totals.params == TRUTH["flatten_head"]["count_params"]
    assert not counts.params_complete and list(counts.params_unknown) == ["pool1"]
    rules = [r for r in discover().rules if r.code in ("PRM002", "PRM003")]
    found, _ = run_rules(model, rules, Settings())
    assert [f.code for f in found if "MyPool" in f.message] == ["PRM003"]


def test_keras_archive_reads_config_json_only(tmp_path):
    model = load(str(HERE / "sequential_cnn.keras"))
    assert count(model).totals.params == TRUTH["sequential_cnn"]["count_params"]
    fake = tmp_path / "m.keras"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("config.json", (HERE / "sequential_cnn.json").read_text())
        archive.writestr("model.weights.h5", b"not hdf5 at all")  # never opened
    assert count(load(str(fake))).totals.params == TRUTH["sequential_cnn"]["count_params"]


@pytest.mark.parametrize("member", ["../config.json", "sub/config.json", "CONFIG.json"])
def test_keras_archive_config_is_taken_by_its_exact_name_only(tmp_path, member):
    fake = tmp_path / "m.keras"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr(member, (HERE / "sequential_cnn.json").read_text())
    with pytest.raises(LoadError, match="no config.json"):
        load(str(fake))


def test_keras_archive_inflating_past_the_limit_is_refused(tmp_path, monkeypatch):
    from paramlint.loaders.keras import source

    monkeypatch.setattr(source, "MAX_JSON_BYTES", 1000)
    fake = tmp_path / "m.keras"
    with zipfile.ZipFile(fake, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", " " * 100_000)
    with pytest.raises(LoadError, match="limit"):
        load(str(fake))


def test_json_syntax_error_has_line_and_column(tmp_path):
    with pytest.raises(LoadError) as info:
        load(write(tmp_path, '{"class_name": "Functional",\n "config": {,}}'))
    assert (info.value.location.line, info.value.location.column) == (2, 13)
    assert "\n" not in str(info.value)


def test_reading_an_unknown_layer_input_is_a_load_error_naming_it(tmp_path):
    data = json.loads((HERE / "tf_keras_v2.json").read_text())
    data["config"]["layers"][2]["inbound_nodes"] = [[["nowhere", 0, 0, {}]]]
    with pytest.raises(LoadError, match="'batch_normalization' reads 'nowhere'"):
        load(write(tmp_path, data))


def test_claims_by_content():
    head = (HERE / "vgg16.json").read_bytes()[:16384]
    assert claims_json("vgg16.json", head)
    assert not claims_json("package.json", b'{"name": "x", "version": "1.0.0"}')
    assert not claims_json("layer.json", b'{"class_name": "Dense", "config": {}}')
    assert claims_keras("m.keras", (HERE / "sequential_cnn.keras").read_bytes()[:100])
    assert not claims_keras("m.keras", b"garbage")


def test_recurrent_and_separable_macs_by_hand():
    rnn = compute(load(str(HERE / "text_rnn.json"))).layers
    assert rnn["lstm"] == 20 * 4 * 24 * (32 + 24)  # T x gates x units x (F + units), batch first
    assert rnn["bigru"] == 20 * 2 * 3 * 16 * (24 + 16)
    assert rnn["gru_v1"] == 20 * 3 * 8 * (32 + 8)
    model = load(str(HERE / "sequential_cnn.json"))
    [sep] = [layer for layer in model.layers if layer.op == "separable_conv2d"]
    assert sep.input_shape == ("batch", 16, 16, 16)
    assert compute(model).layers[sep.name] == 16 * 16 * 16 * (3 * 3 + 32)  # depthwise + pointwise


def test_unknown_layer_makes_macs_a_lower_bound(tmp_path):
    data = json.loads((HERE / "flatten_head.json").read_text())
    data["config"]["layers"][2]["class_name"] = "MyPool"
    macs = compute(load(write(tmp_path, data)))
    assert macs.lower_bound and "MyPool" in macs.unknown["pool1"]


def test_cli_check_claims_keras_configs_and_skips_other_json(tmp_path):
    from click.testing import CliRunner

    from paramlint.cli.app import main

    (tmp_path / "package.json").write_text('{"name": "web", "version": "1.0.0"}')
    (tmp_path / "truth.json").write_text((HERE / "truth.json").read_text())
    for name in ("flatten_head.json", "shared_siamese.json", "sequential_cnn.keras"):
        (tmp_path / name).write_bytes((HERE / name).read_bytes())
    result = CliRunner().invoke(main, ["check", "--no-cache", str(tmp_path)])
    assert "(3 files)" in result.output or "of 3 files" in result.output, result.output
    assert "package.json" not in result.output and "truth.json" not in result.output
    assert "flatten_head.json:1:" in result.output and "PRM301" in result.output


def test_keras2_flatten_over_16x16x8_is_prm301_with_pooled_cost_by_hand():
    model = load(str(HERE / "tf_keras_v2.json"))
    rules = [r for r in discover().rules if r.code == "PRM301"]
    [finding], _ = run_rules(model, rules, Settings())
    assert finding.extra["channels"] == 8 and finding.extra["spatial"] == [16, 16]
    assert finding.extra["pooled_params"] == 8 * 10 + 10


@pytest.mark.parametrize("name", ["vgg16", "mobilenet_v2", "xception", "efficientnet_b0", "flatten_head",
                                  "sequential_cnn"])
def test_fused_activations_and_nhwc_windows_raise_no_design_findings(name, tmp_path):
    """Conv2D(activation='relu') is followed by its ReLU in the graph, and a 'same'
    NHWC window pads as TensorFlow does: no collapse (PRM502), no wasted taps (PRM505)."""
    model = load(fixture(name, tmp_path))
    if name == "vgg16":
        act = model.layer("block1_conv1/activation")
        assert act.op == "relu" and act.inputs == ["block1_conv1"] and act.module == "block1_conv1"
        assert model.layer("block1_conv2").inputs == ["block1_conv1/activation"]
    rules = [r for r in discover().rules if r.code in ("PRM502", "PRM503", "PRM505")]
    found, _ = run_rules(model, rules, Settings())
    assert found == []


@pytest.mark.parametrize("name", ["text_rnn", "convnext_tiny", "resnet50", "shared_siamese"])
def test_report_rows_at_depth_1_are_model_summary_rows(name, tmp_path):
    """The report a user reads (rows rolled up to depth 1) against model.summary():
    the rows with parameters, same names, same order, same counts."""
    from paramlint.lint.engine import analyze_file
    from paramlint.analysis.modules import rows

    document = analyze_file(fixture(name, tmp_path), Settings()).document
    mine = [(row.path, row.params) for row in rows(document, depth=1) if row.params]
    summary = [(n, p) for n, _, p in TRUTH[name]["summary"] if p]
    assert mine == summary
