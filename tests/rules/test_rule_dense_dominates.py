"""PRM302 dense-dominates: where a dominating dense layer is news, and where it is the design.

Figures by hand: an MLP 784-256-10 holds 784*256+256 = 200,960 and
256*10+10 = 2,570 params, its first layer 98.7% of 203,530; LeNet-5's
first dense layer 400*120+120 = 48,120 of 61,706 (78.0%); AlexNet's fc6
9216*4096+4096 = 37,752,832 of 62,378,344 (60.5%). The MNIST MLP, LeNet-5
and VGG16 files under fixtures/exports were made by the real TorchScript
and dynamo exporters.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import onnx_builders as ob
import pytest

from paramlint.lint.engine import Settings
from paramlint.run.pool import analyze

REPO = Path(__file__).resolve().parents[2]
EXPORTS = REPO / "fixtures" / "exports"


def prm302(path: Path, **options) -> list:
    settings = Settings(enabled=frozenset({"PRM302"}), options={"PRM302": options} if options else {})
    (report,) = analyze([str(path)], settings, jobs=1)
    assert not report.failed, report.document.get("error")
    return [f for f in report.findings if f.code == "PRM302"]


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_a_plain_mlp_is_not_reported(tmp_path):
    mlp = write(tmp_path / "mlp.yaml", """\
        input: [1, 28, 28]
        layers:
          - {name: fc1, type: dense, units: 256}
          - {type: relu}
          - {name: fc2, type: dense, units: 10}
        """)
    assert prm302(mlp) == []
    # Not for want of size: the same MLP made wide is still the design.
    wide = write(tmp_path / "wide.yaml", """\
        input: [1, 28, 28]
        layers:
          - {name: fc1, type: dense, units: 4096}
          - {type: relu}
          - {name: fc2, type: dense, units: 10}
        """)
    assert prm302(wide) == []


@pytest.mark.parametrize("exporter", ["ts", "dynamo"])
def test_real_exports_of_the_mnist_mlp_and_lenet5_are_not_reported(exporter):
    assert prm302(EXPORTS / "torch" / f"mnist_mlp.{exporter}.onnx") == []
    assert prm302(EXPORTS / "torch" / f"lenet5.{exporter}.onnx") == []


def test_lenet5_is_not_reported_though_its_fc1_holds_78_percent():
    assert prm302(REPO / "fixtures" / "lenet5.yaml") == []
    # The silence is min-params, not a miscount: with no floor it fires at 78.0%.
    (f,) = prm302(REPO / "fixtures" / "lenet5.yaml", **{"min-params": 0})
    assert f.layer == "c5" and f.extra["params"] == 48_120
    assert f.extra["share"] == pytest.approx(48_120 / 61_706, abs=1e-6)


def test_alexnet_fc6_is_reported_with_its_share():
    (f,) = prm302(REPO / "fixtures" / "alexnet.yaml")
    assert f.layer == "fc6" and f.extra["params"] == 37_752_832
    assert "(60.5%, limit 50%)" in f.message


def test_a_real_vgg16_export_is_reported_on_its_first_classifier_layer():
    (f,) = prm302(EXPORTS / "torchvision" / "vgg16.ts.onnx")
    assert f.extra["params"] == 25088 * 4096 + 4096


def _attention_then_head(tmp_path: Path, attention: bool) -> Path:
    """x[16, 64] -> q, k projections -> (softmax(q k^T) x) -> a 64x20,000 head."""
    b = ob.GraphBuilder("lm", weights=None)
    x = b.input("x", [1, 16, 64])
    q = b.node("MatMul", [x, b.init("q.weight", [64, 64])], name="/q/MatMul")
    k = b.node("MatMul", [x, b.init("k.weight", [64, 64])], name="/k/MatMul")
    a = q
    if attention:
        kt = b.node("Transpose", [k], name="/kt", perm=[0, 2, 1])
        scores = b.node("MatMul", [q, kt], name="/scores/MatMul")
        a = b.node("MatMul", [b.node("Softmax", [scores], name="/softmax", axis=-1), x],
                   name="/mix/MatMul")
    else:
        a = b.node("Add", [q, k], name="/add")
    head = b.node("MatMul", [a, b.init("head.weight", [64, 20_000])], name="/head/MatMul")
    b.output(head, [1, 16, 20_000])
    return Path(ob.save(b.model(), tmp_path / ("attn.onnx" if attention else "mlp.onnx")))


def test_a_head_dominating_attention_is_reported_and_the_same_without_attention_is_not(tmp_path):
    # 64*64*2 = 8,192 in the projections, 64*20,000 = 1,280,000 in the head: 99.4%.
    (f,) = prm302(_attention_then_head(tmp_path, attention=True))
    assert f.extra["params"] == 1_280_000
    assert f.extra["share"] == pytest.approx(1_280_000 / 1_288_192, abs=1e-6)
    assert prm302(_attention_then_head(tmp_path, attention=False)) == []
