"""`paramlint report` and `check` end to end on the bundled YAML fixtures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from paramlint.cli.app import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def report_json(*paths):
    result = run("report", "--format", "json", *paths)
    return json.loads(result.output)


def model_doc(name):
    (doc,) = report_json(FIXTURES / f"{name}.yaml")["models"]
    return doc


def test_reference_conv1_in_json_digit_for_digit():
    conv1 = model_doc("alexnet")["layers"][0]
    assert conv1["name"] == "conv1" and conv1["output_shape"] == [96, 55, 55]
    assert conv1["params"] == 34_944
    assert conv1["sharing"] == {"shared": 34_944, "unshared": 105_705_600,
                                "dense_equivalent": 44_892_355_200,
                                "savings": 105_670_656, "factor": 3025}


def test_reference_conv1_in_text_digit_for_digit():
    out = run("report", FIXTURES / "alexnet.yaml").output
    rows = [line.split() for line in out.splitlines() if line.startswith("conv1 ")]
    table_row, sharing_row = rows
    # params, share of the model's params, MACs (55*55*96*3*11*11), share of its MACs
    assert table_row == ["conv1", "conv2d", "[96,", "55,", "55]", "34,944", "0.1", "105,415,200", "9.3"]
    assert sharing_row == ["conv1", "34,944", "105,705,600", "44,892,355,200", "105,670,656", "3025"]


def test_alexnet_total_is_the_single_tower_count():
    assert model_doc("alexnet")["totals"]["params"] == 62_378_344


def test_vgg16_trainable_count():
    totals = model_doc("vgg16")["totals"]
    assert totals["trainable"] == 138_357_544 and totals["non_trainable"] == 0


def test_resnet18_splits_batchnorm_statistics_as_non_trainable():
    totals = model_doc("resnet18")["totals"]
    assert (totals["trainable"], totals["non_trainable"]) == (11_689_512, 9_600)
    assert totals["params"] == 11_699_112


@pytest.mark.parametrize("name, layer, params, pooled", [
    ("alexnet", "fc6", 256 * 6 * 6 * 4096 + 4096, 256 * 4096 + 4096),
    ("vgg16", "fc6", 512 * 7 * 7 * 4096 + 4096, 2_101_248),
])
def test_dense_on_large_spatial_fires_on_first_classifier_layer(name, layer, params, pooled):
    (finding,) = [f for f in model_doc(name)["findings"] if f["code"] == "PRM301"]
    assert finding["layer"] == layer
    assert finding["data"]["params"] == params and finding["data"]["pooled_params"] == pooled
    assert f"{pooled:,}" in finding["message"] and "% of the model" in finding["message"]
    assert finding["location"]["line"] > 0


def test_dense_on_large_spatial_does_not_fire_on_resnet18():
    assert [f for f in model_doc("resnet18")["findings"] if f["code"] == "PRM301"] == []


def test_check_fails_on_vgg16_and_passes_on_resnet18():
    assert run("check", FIXTURES / "vgg16.yaml").exit_code == 1
    assert run("check", FIXTURES / "resnet18.yaml").exit_code == 0


def test_malformed_file_is_one_line_with_line_and_column_and_others_still_reported():
    result = run("report", FIXTURES / "broken_field.yaml", FIXTURES / "resnet18.yaml")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if "PRM001" in line]
    assert len(errors) == 1
    assert errors[0].startswith(f"{FIXTURES / 'broken_field.yaml'}:7:")
    assert "field 'filters' must be a positive integer, got '256x'" in errors[0]
    assert "Total params:              11,699,112" in result.output


def test_budget_on_the_command_line_fails_check():
    result = run("check", "--max-params", "60000000", FIXTURES / "alexnet.yaml")
    assert result.exit_code == 1 and "PRM101 [error] model holds 62,378,344 params" in result.output


def test_linting_yaml_imports_neither_onnx_nor_numpy():
    code = ("import sys\nfrom paramlint.cli.app import main\n"
            "try:\n    main(['check', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('onnx', 'numpy', 'google.protobuf') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, str(FIXTURES / "resnet18.yaml")],
                          capture_output=True, text=True)
    assert "LOADED []" in proc.stdout, proc.stdout + proc.stderr
