"""Weight bytes (counting.md, "Compute and memory") against hand arithmetic."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from paramlint.cli.app import main
from yaml_helpers import FIXTURES

VGG16_PARAMS = 138_357_544


def _totals(path) -> dict:
    result = CliRunner().invoke(main, ["report", "--no-cache", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["models"][0]["totals"]


@pytest.mark.parametrize("name", ["vgg16.onnx", "vgg16.yaml"])
def test_vgg16_weights_take_553_430_176_bytes_at_fp32(name):
    totals = _totals(FIXTURES / name)
    assert totals["params"] == VGG16_PARAMS
    assert totals["weight_bytes"] == 4 * VGG16_PARAMS == 553_430_176
    assert totals["weight_bytes_at"] == {"fp32": 553_430_176, "fp16": 276_715_088,
                                         "int8": 138_357_544, "int4": 69_178_772}


def test_int8_qdq_weights_count_one_byte_each():
    totals = _totals(FIXTURES / "qdq_conv.onnx")
    # int8 kernel 8x3x3x3 = 216 bytes, fp32 weight scales 8x4, int8 zero
    # points 8x1, int32 bias 8x4, its fp32 scales 8x4 and int32 zero points 8x4
    assert totals["weight_bytes"] == 216 + 32 + 8 + 32 + 32 + 32
    assert totals["weight_bytes_at"]["int8"] == totals["params"] == 216 + 8 * 5


def test_int4_weights_take_half_a_byte(tmp_path):
    from onnx import TensorProto

    from onnx_builders import GraphBuilder, save

    b = GraphBuilder(opset=21, weights=None)
    x = b.input("x", [1, 8])
    w = b.init("w", [8, 5], None, dtype=TensorProto.INT4)
    s = b.init("s", [], 0.5)
    dq = b.node("DequantizeLinear", [w, s], name="/dq")
    b.output(b.node("MatMul", [x, dq], name="/fc/MatMul"))
    totals = _totals(save(b.model(), tmp_path / "int4.onnx"))
    assert totals["weight_bytes"] == (40 * 4 + 7) // 8 + 4  # 20 bytes of int4 + one fp32 scale
