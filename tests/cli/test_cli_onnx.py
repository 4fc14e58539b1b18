"""`paramlint report` and `check` end to end on exporter-shaped ONNX graphs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import onnx_builders as ob
from paramlint.cli.app import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def report(path, *extra):
    result = run("report", "--no-cache", "--format", "json", *extra, path)
    (doc,) = json.loads(result.output)["models"]
    return doc


@pytest.fixture(scope="module")
def vgg16_onnx(tmp_path_factory):
    return ob.save(ob.vgg16_graph(), tmp_path_factory.mktemp("vgg") / "vgg16.onnx")


def test_alexnet_onnx_gives_the_yaml_fixture_figures(tmp_path):
    onnx_doc = report(ob.save(ob.alexnet_graph(), tmp_path / "alexnet.onnx"))
    yaml_doc = report(FIXTURES / "alexnet.yaml")
    conv1 = onnx_doc["layers"][0]
    assert conv1["name"] == "/conv1/Conv" and conv1["source_op"] == "Conv"
    assert conv1["output_shape"] == [1, 96, 55, 55]
    assert conv1["sharing"] == yaml_doc["layers"][0]["sharing"] == {
        "shared": 34_944, "unshared": 105_705_600, "dense_equivalent": 44_892_355_200,
        "savings": 105_670_656, "factor": 3025}
    assert onnx_doc["totals"] == yaml_doc["totals"]


def test_vgg16_onnx_counts_and_flags_its_first_gemm(vgg16_onnx):
    doc = report(vgg16_onnx)
    assert doc["totals"]["trainable"] == 138_357_544
    assert doc["inputs"] == [{"name": "input", "shape": ["batch", 3, 224, 224]}]
    (finding,) = [f for f in doc["findings"] if f["code"] == "PRM301"]
    assert finding["layer"] == "/classifier/classifier.0/Gemm"
    assert finding["data"]["pooled_params"] == 512 * 4096 + 4096 == 2_101_248
    location = finding["location"]
    assert location["node_name"] == "/classifier/classifier.0/Gemm"
    assert isinstance(location["node_index"], int) and "line" not in location


def test_onnx_findings_in_text_name_their_node(vgg16_onnx):
    result = run("check", "--no-cache", vgg16_onnx)
    assert result.exit_code == 1
    (line,) = [ln for ln in result.output.splitlines() if "PRM301" in ln]
    assert line.startswith(f"{vgg16_onnx}: PRM301 [warning] ")
    assert "dense '/classifier/classifier.0/Gemm'" in line and line.endswith(")")
    assert "(node " in line.rsplit(";", 1)[-1]


def test_dynamo_layout_matmul_add_is_flagged_the_same(tmp_path):
    doc = report(ob.save(ob.vgg16_graph(dynamo=True), tmp_path / "vgg16_dynamo.onnx"))
    assert doc["totals"]["trainable"] == 138_357_544
    (finding,) = [f for f in doc["findings"] if f["code"] == "PRM301"]
    assert finding["data"]["pooled_params"] == 2_101_248


def test_external_data_with_its_file_deleted_gives_the_identical_report(tmp_path):
    """The full 553 MB of weights, embedded in one file and external in another."""
    model = ob.vgg16_graph(weights="zeros")
    for folder in ("embedded", "external"):
        (tmp_path / folder).mkdir()
    embedded = ob.save(model, tmp_path / "embedded" / "vgg16.onnx")
    external = ob.save(model, tmp_path / "external" / "vgg16.onnx", external=True)
    del model
    data_file = tmp_path / "external" / "vgg16.onnx.data"
    assert data_file.stat().st_size > 500_000_000
    data_file.unlink()
    assert os.path.getsize(external) < 100_000 < os.path.getsize(embedded)

    def normalised(path):
        text = json.dumps(report(path), sort_keys=True)
        return text.replace(str(Path(path).parent), "<dir>")

    assert normalised(embedded) == normalised(external)
    assert report(external)["totals"]["trainable"] == 138_357_544


def test_tied_embedding_lm_reports_the_tie(tmp_path):
    doc = report(ob.save(ob.tied_lm_graph(vocab=1000, d_model=64), tmp_path / "lm.onnx"))
    table = 1000 * 64
    (tie,) = doc["ties"]
    assert tie["name"] == "transformer.wte.weight" and tie["elements"] == table
    assert sorted(tie["layers"]) == ["/lm_head/MatMul", "/transformer/wte/Gather"]
    totals = doc["totals"]
    assert totals["per_use_params"] - totals["params"] == totals["tied_savings"] == table
    by_name = {layer["name"]: layer for layer in doc["layers"]}
    assert by_name["/lm_head/MatMul"]["shared_with"] == ["/transformer/wte/Gather"]


def test_merged_batchnorm_constants_are_listed_not_tied(tmp_path):
    merged = report(ob.save(ob.resnet_graph("merged"), tmp_path / "merged.onnx"))
    unmerged = report(ob.save(ob.resnet_graph("unfused"), tmp_path / "unmerged.onnx"))
    assert merged["totals"] == unmerged["totals"]
    assert (merged["totals"]["trainable"], merged["totals"]["non_trainable"]) == (11_689_512, 9_600)
    assert merged["totals"]["tied_savings"] == 0 and merged["ties"] == []
    assert merged["merged_constants"] and all(len(m["layers"]) > 1 for m in merged["merged_constants"])


def test_report_does_not_depend_on_the_hash_seed(tmp_path):
    """Merged constants read in two roles are split into aliases: in file order."""
    path = ob.save(ob.resnet_graph("merged", blocks=(1, 1, 1, 1), size=64), tmp_path / "merged.onnx")
    outputs = set()
    for seed in ("1", "2", "3"):
        proc = subprocess.run([sys.executable, "-m", "paramlint", "report", "--no-cache", "-f", "json", path],
                              capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1
