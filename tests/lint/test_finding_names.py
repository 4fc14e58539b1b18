"""Findings name a layer the way a person finds it in their code."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from paramlint.cli.app import main
from paramlint.ir.model import Layer

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports" / "torchvision"


def findings(path: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["check", "--no-cache", "-f", "json", str(path)])
    return json.loads(result.output)["models"][0]["findings"]


def test_a_dynamo_node_name_gives_way_to_its_module_path():
    (prm301,) = [f for f in findings(EXPORTS / "vgg16.dynamo.onnx") if f["code"] == "PRM301"]
    assert prm301["message"].startswith("dense 'classifier.0' reads a 512x7x7 map")
    assert prm301["location"]["node_name"].startswith("node_")  # the node stays findable


def test_a_torchscript_scoped_name_is_kept():
    (prm301,) = [f for f in findings(EXPORTS / "vgg16.ts.onnx") if f["code"] == "PRM301"]
    assert prm301["message"].startswith("dense '/classifier/classifier.0/Gemm' reads")


def test_label_falls_back_to_the_name_without_a_module():
    assert Layer(name="node_linear", op="dense", source_op="Gemm").label == "node_linear"
    assert Layer(name="fc6", op="dense", source_op="dense", module="fc6").label == "fc6"
