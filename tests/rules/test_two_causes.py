"""PRM002 and PRM003: the file does not determine a figure, or paramlint does not model an op.

Graphs are built with onnx.helper (tests/helpers/onnx_builders.py), the
hostile and edge cases the brief asks for: an ``ai.onnx.ml`` tree ensemble,
an unknown custom-domain op, a symbolic dimension left unbound, a Loop
body, an If whose branches return constants (docs/unknowns.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper

import onnx_builders as ob
from paramlint.analysis.counting import count
from paramlint.analysis.macs import compute
from paramlint.cli.app import main
from paramlint.lint.engine import Settings, load_model, run_rules
from paramlint.lint.plugins import discover


def codes_of(path) -> list[tuple[str, str]]:
    model = load_model(str(path))
    assert not model.failed, model.error
    rules = [r for r in discover().rules if r.code in ("PRM002", "PRM003")]
    found, _ = run_rules(model, rules, Settings())
    return [(f.code, f.message) for f in found]


def tree_ensemble(tmp_path):
    """A TreeEnsembleClassifier (ai.onnx.ml 3): one tree, its parameters in attributes."""
    b = ob.GraphBuilder("trees", opset=17)
    x = b.input("x", [1, 4])
    b.extra_opsets["ai.onnx.ml"] = 3
    b.node("TreeEnsembleClassifier", [x], ["label", "probabilities"], name="trees", domain="ai.onnx.ml",
           classlabels_int64s=[0, 1], nodes_featureids=[0, 0, 0], nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"],
           nodes_nodeids=[0, 1, 2], nodes_treeids=[0, 0, 0], nodes_truenodeids=[1, 0, 0],
           nodes_falsenodeids=[2, 0, 0], nodes_values=[0.5, 0.0, 0.0], class_ids=[0, 1],
           class_nodeids=[1, 2], class_treeids=[0, 0], class_weights=[1.0, 1.0])
    b.output("label", [1], dtype=TensorProto.INT64)
    b.output("probabilities", [1, 2])
    return ob.save(b.model(), tmp_path / "trees.onnx")


def test_an_ai_onnx_ml_tree_ensemble_is_prm003_not_prm002(tmp_path):
    found = codes_of(tree_ensemble(tmp_path))
    assert [code for code, _ in found] == ["PRM003"]
    assert "ai.onnx.ml.TreeEnsembleClassifier" in found[0][1]
    model = load_model(str(tmp_path / "trees.onnx"))
    assert not count(model).params_complete  # its parameters sit in attributes paramlint does not read


def custom_then_conv(tmp_path):
    """A custom-domain op (output shape unknown to ONNX) feeding a convolution."""
    b = ob.GraphBuilder("custom")
    x = b.input("x", [1, 3, 8, 8])
    y = b.node("Mystery", [x], name="/mystery", domain="com.example")
    y = ob.conv(b, y, 3, 4, 3, scope="/c")
    b.output(y, None)
    return ob.save(b.model(), tmp_path / "custom.onnx")


def test_an_unknown_custom_op_is_prm003_and_the_layers_after_it_get_no_prm002(tmp_path):
    path = custom_then_conv(tmp_path)
    found = codes_of(path)
    assert [code for code, _ in found] == ["PRM003"] and "com.example.Mystery" in found[0][1]
    model = load_model(str(path))
    macs = compute(model)
    assert macs.lower_bound and "/mystery" in macs.unknown and "/c/Conv" in macs.unknown
    # the convolution's parameters do not depend on the unknown shape: still counted
    assert count(model).layers["/c/Conv"].params == 4 * 3 * 3 * 3 + 4


def symbolic_matmul(tmp_path):
    """Q*K^T over a sequence dimension nobody bound: the file does not determine the MACs."""
    b = ob.GraphBuilder("attn")
    q = b.input("q", [1, "sequence", 8])
    k = b.input("k", [1, 8, "sequence"])
    y = b.node("MatMul", [q, k], name="/qk")
    b.output(y, None)
    return ob.save(b.model(), tmp_path / "symbolic.onnx")


def test_a_symbolic_dimension_left_unbound_is_still_prm002(tmp_path):
    found = codes_of(symbolic_matmul(tmp_path))
    assert [code for code, _ in found] == ["PRM002"]
    assert "MACs unknown" in found[0][1]


def loop_model(tmp_path):
    """A Loop whose body multiplies by a weight matrix: it runs M times."""
    body = helper.make_graph(
        [helper.make_node("MatMul", ["h_in", "W"], ["h_out"], name="step"),
         helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep")],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [1, 8])])
    b = ob.GraphBuilder("loop", opset=17)
    h = b.input("h", [1, 8])
    b.init("W", [8, 8])
    b.init("M", [], np.array(5, dtype=np.int64), dtype=TensorProto.INT64)
    b.init("cond", [], np.array(True), dtype=TensorProto.BOOL)
    b.node("Loop", ["M", "cond", h], ["h_final"], name="loop", body=body)
    b.output("h_final", [1, 8])
    return ob.save(b.model(), tmp_path / "loop.onnx")


def test_a_loop_bodys_macs_are_unknown_not_counted_once(tmp_path):
    path = loop_model(tmp_path)
    model = load_model(str(path))
    step = next(layer for layer in model.layers if layer.name.endswith("step"))
    macs = compute(model)
    assert macs.layers[step.name] is None and macs.lower_bound
    found = codes_of(path)
    assert [code for code, _ in found] == ["PRM003"]
    assert "how many times its body runs" in found[0][1]


def test_a_constant_an_if_branch_returns_is_not_an_unused_weight(tmp_path):
    def branch(name):
        value = helper.make_tensor(f"{name}_v", TensorProto.FLOAT, [5], [1.0] * 5)
        return helper.make_graph([helper.make_node("Constant", [], [f"{name}_out"], value=value)],
                                 name, [], [helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, [5])])
    b = ob.GraphBuilder("if", opset=17)
    c = b.input("cond", [], dtype=TensorProto.BOOL)
    b.node("If", [c], ["res"], name="if", then_branch=branch("then"), else_branch=branch("else"))
    b.output("res", [5])
    model = load_model(ob.save(b.model(), tmp_path / "if.onnx"))
    assert count(model).unused == []


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_prm003_does_not_fail_the_default_gate_and_is_selected_and_ignored_as_usual(tmp_path):
    path = tree_ensemble(tmp_path)
    default = cli("check", "--no-cache", path)
    assert default.exit_code == 0 and "PRM003 [info]" in default.output
    assert cli("check", "--no-cache", "--fail-on", "info", path).exit_code == 1
    ignored = cli("check", "--no-cache", "--ignore", "PRM003", path)
    assert "PRM003" not in ignored.output and ignored.exit_code == 0
    selected = cli("check", "--no-cache", "--select", "PRM003", "--fail-on", "info", path)
    assert "PRM003" in selected.output and selected.exit_code == 1


def test_prm002_still_fails_the_default_gate(tmp_path):
    result = cli("check", "--no-cache", symbolic_matmul(tmp_path))
    assert result.exit_code == 1 and "PRM002 [warning]" in result.output


@pytest.mark.parametrize("code, words", [
    ("PRM003", ("unmodelled-layer", "default severity: info", "not a defect of the model")),
    ("PRM002", ("unknown-layer", "default severity: warning", "PRM003, not this")),
])
def test_rules_explains_each_cause(code, words):
    result = cli("rules", code)
    assert result.exit_code == 0
    for word in words:
        assert word in result.output
