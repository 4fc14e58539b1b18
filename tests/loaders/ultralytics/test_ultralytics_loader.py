"""The Ultralytics model-YAML loader against Ultralytics' own figures.

Truth: fixtures/ultralytics/truth.json, written by make_truth.py from
Ultralytics' DetectionModel built on the same fixture files (and on its own
shipped YAMLs, which give the same counts), and the figures each fixture's
``scales`` comment quotes from Ultralytics' model summaries.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from paramlint.analysis.counting import count
from paramlint.lint.engine import Settings, run_rules
from paramlint.ir.model import LoadError
from paramlint.loaders.ultralytics import load
from paramlint.analysis.macs import compute
from paramlint.lint.plugins import discover

HERE = Path(__file__).resolve().parents[3] / "fixtures" / "ultralytics"
TRUTH = json.loads((HERE / "truth.json").read_text())
STEMS = ("yolov8", "yolo11", "yolo26")


def comment_figures(stem: str) -> dict[str, tuple[int, int]]:
    """scale -> (parameters, gradients) as the fixture's scales comment quotes them."""
    out = {}
    for line in (HERE / f"{stem}.yaml").read_text().splitlines():
        found = re.match(r"\s+([nslmx]): \[.*\] #.* ([\d,]+) parameters, ([\d,]+) gradients", line)
        if found:
            out[found.group(1)] = tuple(int(g.replace(",", "")) for g in found.group(2, 3))
    return out


def dfl(model) -> int:
    return sum(w.elements for name, w in model.weights.items() if ".dfl." in name)


def test_yolov8n_trainable_and_non_trainable_split_as_ultralytics_counts():
    model = load(str(HERE / "yolov8.yaml"), "n")
    totals = count(model).totals
    assert totals.trainable == 3_157_184
    assert dfl(model) == 16
    assert not model.weights["model.22.dfl.conv.weight"].trainable
    assert totals.non_trainable == 16 + 10_592
    assert totals.trainable + 16 == 3_157_200  # Ultralytics' "parameters"


def test_yolov8s_total_is_ultralytics_figure_the_same_way():
    totals = count(load(str(HERE / "yolov8.yaml"), "s")).totals
    assert totals.trainable + 16 == 11_166_560
    assert totals.non_trainable == 16 + TRUTH["yolov8s"]["bn_running"]


@pytest.mark.parametrize("stem", STEMS)
@pytest.mark.parametrize("scale", "nsmlx")
def test_every_scale_matches_its_scales_comment_and_ultralytics(stem, scale):
    model = load(str(HERE / f"{stem}.yaml"), scale)
    totals = count(model).totals
    parameters, gradients = comment_figures(stem)[scale]
    truth = TRUTH[f"{stem}{scale}"]
    assert (truth["params"], truth["gradients"]) == (parameters, gradients)  # the comment is Ultralytics'
    assert totals.trainable == gradients
    assert totals.trainable + dfl(model) == parameters
    assert totals.non_trainable - dfl(model) == truth["bn_running"]


@pytest.mark.parametrize("stem", STEMS)
def test_layers_are_named_as_ultralytics_names_its_modules(stem):
    model = load(str(HERE / f"{stem}.yaml"), "n")
    counts = count(model).layers
    mine = {layer.name: counts[layer.name].trainable + (dfl(model) if ".dfl." in layer.name else 0)
            for layer in model.layers if counts[layer.name].params}
    assert mine == TRUTH[f"{stem}n"]["leaves"]  # torch's named leaf modules and their parameters
    conv = model.layer("model.2.cv1.conv")
    assert conv.module == "model.2.cv1.conv"
    assert model.layer("model.2.chunk").module == "model.2"


@pytest.mark.parametrize("stem", STEMS)
@pytest.mark.parametrize("scale", "nl")
def test_shapes_at_640_match_each_module_output(stem, scale):
    model = load(str(HERE / f"{stem}.yaml"), scale)
    last = {}
    for layer in model.layers:
        last[layer.name.split(".")[1]] = layer.output_shape
    for index, shape in TRUTH[f"{stem}{scale}"]["outputs_640"].items():
        assert last[index] == tuple(shape), index


@pytest.mark.parametrize("stem", STEMS)
def test_convolution_macs_equal_torch_hooks_plus_the_dfl(stem):
    model = load(str(HERE / f"{stem}.yaml"), "s")
    macs = compute(model)
    conv = sum(macs.layers[layer.name] for layer in model.layers if layer.op == "conv2d")
    anchors = 80 * 80 + 40 * 40 + 20 * 20
    dfl_macs = 16 * 4 * anchors if stem != "yolo26" else 0  # measured in training mode, without DFL
    assert conv == TRUTH[f"{stem}s"]["conv_macs_640"] + dfl_macs
    assert not macs.lower_bound


def test_c2psa_attention_macs_by_hand():
    model = load(str(HERE / "yolo11.yaml"), "n")
    macs = compute(model).layers
    # model.10: 256 channels at 20x20, c = 128, 2 heads of 64, key_dim 32, N = 400
    assert model.layer("model.10.m.0.attn.qk").output_shape == (2, 400, 400)
    assert macs["model.10.m.0.attn.qk"] == 2 * 400 * 400 * 32
    assert macs["model.10.m.0.attn.av"] == 2 * 64 * 400 * 400


def test_scale_letter_in_file_name_picks_the_scale(tmp_path):
    copy = tmp_path / "yolov8s.yaml"
    shutil.copy(HERE / "yolov8.yaml", copy)
    assert count(load(str(copy))).totals.trainable == 11_166_544


def test_scaled_name_of_a_missing_file_reads_the_unscaled_file(tmp_path):
    shutil.copy(HERE / "yolo11.yaml", tmp_path / "yolo11.yaml")
    model = load(str(tmp_path / "yolo11m.yaml"))
    assert count(model).totals.trainable == 20_114_672
    assert model.path == str(tmp_path / "yolo11m.yaml")


def test_first_scale_when_the_name_names_none():
    assert count(load(str(HERE / "yolov8.yaml"))).totals.trainable == 3_157_184


def test_layer_location_is_its_rows_line_and_column():
    lines = (HERE / "yolov8.yaml").read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if "Detect" in line and line.lstrip().startswith("-")) + 1
    loc = load(str(HERE / "yolov8.yaml")).layer("model.22.cv2.0.0.conv").location
    assert (loc.line, loc.column) == (row, lines[row - 1].index("[") + 1)


def write(tmp_path, text, name="custom.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


SMALL = """\
nc: 4
backbone:
  - [-1, 1, Conv, [16, 3, 2]]
  - [-1, 1, MyBlock, [16]]
  - [-1, 1, Conv, [32, 3, 2]]
head:
  - [[-1], 1, Detect, [nc]]
"""


def test_unknown_module_is_a_prm003_and_counting_goes_on(tmp_path):
    model = load(write(tmp_path, SMALL))
    [diag] = model.diagnostics
    assert "MyBlock" in diag.message and diag.location.line == 4
    counts = count(model)
    assert counts.layers["model.0.conv"].params == 16 * 3 * 3 * 3
    # parse_model records MyBlock's channels as its input's (16), so the next Conv's are known
    assert counts.layers["model.2.conv"].params == 32 * 16 * 3 * 3
    rules = [r for r in discover().rules if r.code in ("PRM002", "PRM003")]
    found, _ = run_rules(model, rules, Settings())
    assert [f.code for f in found if "MyBlock" in f.message] == ["PRM003"]
    assert not [f for f in found if f.code == "PRM002"]


@pytest.mark.parametrize("text, where, words", [
    (SMALL.replace("[16, 3, 2]", "['a', 3, 2]"), (3, 19), "args"),
    (SMALL.replace("[-1, 1, MyBlock, [16]]", "[5, 1, Conv, [16]]"), (4, 6), "'from' 5"),
    (SMALL.replace("[-1, 1, MyBlock, [16]]", "[-1, 1, Conv]"), (4, 5), "[from, repeats, module, args]"),
    ("nc: 80\nscales:\n  n: [0.33, 0.25, 1024]\nbackbone: []\nhead: []\n", None, "no rows"),
    (SMALL + "scales:\n  n: [0.5, 0.25]\n", (9, 6), "scales.n"),
])
def test_bad_rows_are_one_line_errors_with_line_and_column(tmp_path, text, where, words):
    with pytest.raises(LoadError) as info:
        load(write(tmp_path, text))
    message = str(info.value)
    assert words in message and "\n" not in message
    if where:
        assert (info.value.location.line, info.value.location.column) == where


def test_scale_not_in_scales_is_an_error(tmp_path):
    shutil.copy(HERE / "yolov8.yaml", tmp_path / "yolov8.yaml")
    with pytest.raises(LoadError, match="scale 'q'"):
        load(str(tmp_path / "yolov8.yaml"), "q")


def test_no_dense_on_spatial_finding_on_yolo():
    rules = [r for r in discover().rules if r.code == "PRM301"]
    for stem in STEMS:
        found, _ = run_rules(load(str(HERE / f"{stem}.yaml"), "n"), rules, Settings())
        assert found == []


def test_unknown_module_makes_macs_a_lower_bound(tmp_path):
    macs = compute(load(write(tmp_path, SMALL)))
    assert macs.lower_bound and "MyBlock" in macs.unknown["model.1"]


def test_claimed_by_content_and_other_yaml_is_not():
    from paramlint.lint.engine import identify

    for stem in STEMS:
        assert identify(str(HERE / f"{stem}.yaml")).name == "ultralytics"
    repo = HERE.parent
    assert identify(str(repo / "resnet18.yaml")).name == "paramlint-yaml"
    assert identify(str(repo / "broken_syntax.yaml")).name == "paramlint-yaml"


def test_broken_ultralytics_file_is_still_claimed_and_reported_with_line(tmp_path):
    from paramlint.run.pool import analyze

    path = write(tmp_path, SMALL.replace("[-1, 1, Conv, [32, 3, 2]]", "[-1, 1, Conv, [32, 3, 2]"))
    [report] = analyze([path], Settings())
    [finding] = [f for f in report.findings if f.code == "PRM001"]
    assert finding.line == 6 and "YAML syntax error" in finding.message


def test_cli_reports_a_scaled_name_from_the_unscaled_file(tmp_path):
    from click.testing import CliRunner

    from paramlint.cli.app import main

    shutil.copy(HERE / "yolov8.yaml", tmp_path / "yolov8.yaml")
    result = CliRunner().invoke(main, ["report", "--no-cache", "--format", "json", str(tmp_path / "yolov8s.yaml")])
    assert result.exit_code == 0, result.output
    [model] = json.loads(result.output)["models"]
    assert model["name"] == "yolov8s" and model["format"] == "ultralytics"
    assert model["totals"]["trainable"] == 11_166_544


def test_report_rows_at_depth_2_are_ultralytics_rows():
    """``report --depth 2`` gives one row per YAML row, as parse_model's table:
    its trainable parameters plus the BatchNorm buffers of its layers."""
    from paramlint.lint.engine import analyze_file
    from paramlint.analysis.modules import rows

    model = load(str(HERE / "yolov8.yaml"), "n")
    document = analyze_file(str(HERE / "yolov8n.yaml"), Settings()).document
    mine = {row.path: row.params for row in rows(document, depth=2)}
    leaves = TRUTH["yolov8n"]["leaves"]  # torch's leaf modules with parameters, DFL's included
    assert set(mine) == {".".join(k.split(".")[:2]) for k in leaves}
    for row in mine:
        torch_params = sum(v for k, v in leaves.items() if k.startswith(row + "."))
        running = sum(w.elements for n, w in model.weights.items()
                      if n.startswith(row + ".") and "running" in n)
        assert mine[row] == torch_params + running, row
