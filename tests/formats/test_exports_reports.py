"""MACs and reports on real exports (fixtures/exports: graph-only ONNX made
by torch's TorchScript and dynamo exporters, torch's own figures beside).

MACs must equal torchvision's published "GFLOPS" column (which counts
MACs) to its printed precision, for both exporters; the reports of the
big ones must read like torchinfo's, not like a node dump.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from paramlint.cli.app import main
from paramlint.loaders.onnx.loader import load
from paramlint.analysis.macs import compute

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"
#: The models of issue 12's "must show", with torchvision's GFLOPS column.
PUBLISHED = {"alexnet": 0.71, "vgg16": 15.47, "resnet18": 1.81, "resnet50": 4.09,
             "mobilenet_v2": 0.30, "squeezenet1_0": 0.82, "googlenet": 1.50,
             "densenet121": 2.83, "efficientnet_b0": 0.39, "vit_b_16": 17.56,
             "convnext_tiny": 4.46}


def _entries() -> list[dict]:
    index = json.loads((EXPORTS / "index.json").read_text())
    return [e for e in index["files"] if e.get("family") == "torchvision"
            and e.get("model") in PUBLISHED]


def _export(model: str, exporter: str) -> Path:
    (entry,) = [e for e in _entries() if e["model"] == model and e["exporter"] == exporter]
    return EXPORTS / entry["file"]


def test_every_published_model_is_exported_by_both_exporters():
    have = {(e["model"], e["exporter"]) for e in _entries()}
    assert have == {(m, x) for m in PUBLISHED for x in ("ts", "dynamo")}


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: f"{e['model']}-{e['exporter']}")
def test_macs_equal_torchvisions_published_gflops_column(entry):
    truth = json.loads((EXPORTS / entry["truth"]).read_text())
    macs = compute(load(str(EXPORTS / entry["file"])))
    assert not macs.lower_bound, macs.unknown
    # the column as printed (2 decimals), and torchvision's meta["_ops"] (3 decimals)
    assert round(macs.total / 1e9, 2) == PUBLISHED[entry["model"]]
    assert round(macs.total / 1e9, 3) == truth["published"]["gmacs"]


def _report(*args) -> str:
    result = CliRunner().invoke(main, ["report", "--no-cache", *map(str, args)])
    assert result.exit_code in (0, 1), result.output
    return click.unstyle(result.output)


def _modules(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Module")) + 2
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("─"))
    return [ln.split()[0] for ln in lines[start:end]]


@pytest.mark.parametrize("exporter", ["ts", "dynamo"])
def test_vit_b_16_default_report_is_short_titled_by_the_file_and_has_no_plumbing(exporter):
    path = _export("vit_b_16", exporter)
    text = _report(path)
    lines = text.splitlines()
    assert len(lines) <= 200
    assert lines[0].startswith(path.stem + "  (")  # not "main_graph"
    modules = _modules(text)
    assert not any(word in m for m in modules
                   for word in ("Identity", "Constant", "Unsqueeze", "Reshape", "Shape"))
    assert "heads.head" in modules and "conv_proj" in modules
    assert sum("mlp.0" in m for m in modules) == 12  # one row per encoder layer's fc1


@pytest.mark.parametrize("exporter", ["ts", "dynamo"])
def test_vit_b_16_markdown_fits_a_github_comment(exporter):
    text = _report("--format", "markdown", _export("vit_b_16", exporter))
    assert len(text) <= 65_536 and "heads.head" in text


@pytest.mark.parametrize("exporter", ["ts", "dynamo"])
def test_resnet18_depth_1_shows_its_top_level_modules(exporter):
    text = _report("--depth", "1", _export("resnet18", exporter))
    modules = _modules(text)
    # the exporters fold bn1 into conv1 (torch.onnx eval mode), so it has no row of its own
    assert [m for m in modules if m != "bn1"] == ["conv1", "layer1", "layer2", "layer3",
                                                  "layer4", "fc"]


def test_dynamo_resnet18_depth_2_shows_its_blocks():
    modules = _modules(_report("--depth", "2", _export("resnet18", "dynamo")))
    assert "layer1.0" in modules and "layer4.1" in modules
    assert not any(m.count(".") > 1 for m in modules)


def _all_entries() -> list[dict]:
    return json.loads((EXPORTS / "index.json").read_text())["files"]


@pytest.mark.parametrize("entry", [e for e in _all_entries() if e.get("family") in ("torch", "torchvision")],
                         ids=lambda e: e["file"])
def test_each_torch_module_has_the_macs_torch_hooks_measured_under_its_own_path(entry):
    """Every Conv/ConvTranspose/Linear that ran (truth: torch forward hooks, calls x the
    layer's MACs) is found under its module path, with those MACs: the
    module paths and the per-layer MACs at once, for both exporters."""
    truth = json.loads((EXPORTS / entry["truth"]).read_text())
    model = load(str(EXPORTS / entry["file"]))
    macs = compute(model)
    ours: dict[str, int | None] = {}
    for layer in model.layers:
        if layer.op.startswith("conv") or layer.op == "dense":
            m = macs.layers[layer.name]
            prev = ours.get(layer.module, 0)
            ours[layer.module] = None if m is None or prev is None else prev + m
    expected = {t["module"]: t["macs_formula"] * t["calls"] for t in truth.get("layers") or []
                if t.get("kind") in ("conv", "conv_transpose", "linear") and t.get("calls")}
    assert expected
    if macs.lower_bound:  # shape inference lost a dimension: the known part only
        known = {k: v for k, v in expected.items() if ours.get(k) is not None}
        assert known and all(ours[k] == v for k, v in known.items())
        assert macs.total < sum(expected.values())
    else:
        assert {k: ours.get(k) for k in expected} == expected


@pytest.mark.parametrize("entry", [e for e in _all_entries() if e.get("family") == "torchvision"],
                         ids=lambda e: e["file"])
def test_every_torchvision_export_meets_its_published_macs_or_says_it_is_a_lower_bound(entry):
    truth = json.loads((EXPORTS / entry["truth"]).read_text())
    macs = compute(load(str(EXPORTS / entry["file"])))
    published = truth["published"]["gmacs"]
    if macs.lower_bound:  # TorchScript's shuffles and window partitions defeat shape inference
        assert macs.total / 1e9 < published and macs.unknown
    else:
        assert round(macs.total / 1e9, 3) == published


@pytest.mark.parametrize("exporter", ["ts", "dynamo"])
def test_exported_lstm_macs_are_per_step_times_the_sequence_length(exporter):
    truth = json.loads((EXPORTS / "torch" / "lstm_text.truth.json").read_text())
    (rnn,) = [t for t in truth["layers"] if t["module"] == "rnn"]
    _, steps, features = rnn["input_shape"]  # batch_first [1, T, F]
    model = load(str(_any_export("lstm_text", exporter)))
    (lstm,) = [layer for layer in model.layers if layer.op == "lstm"]
    units = lstm.attrs["units"]
    assert compute(model).layers[lstm.name] == steps * 4 * units * (features + units)


def _any_export(model: str, exporter: str) -> Path:
    (entry,) = [e for e in _all_entries() if e["model"] == model and e["exporter"] == exporter]
    return EXPORTS / entry["file"]
