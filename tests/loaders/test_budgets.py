"""A budget for every expansion (issue 11, docs/limits.md).

Each bomb finishes in seconds with its exact count or a PRM001 naming the
limit it hit. The figures asserted are hand arithmetic on the bomb's
construction, not what the code prints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile_helpers import hang_guard
from native_hostile import function_bomb, many_nodes_bytes, shared_weight_matmuls
from paramlint.lint.engine import Settings, analyze_file

#: Generous hang bound per bomb: each takes a few seconds on 2 busy cores.
BOMB_SECONDS = 60


def run(path: Path):
    with hang_guard(BOMB_SECONDS, str(path)):
        report = analyze_file(str(path), Settings())
    return report.document, report.findings


def test_a_function_bomb_is_refused_before_it_expands(tmp_path):
    path = tmp_path / "bomb.onnx"
    data = function_bomb(4, 10).SerializeToString()
    assert len(data) < 2000  # 4**10 = 1,048,576 nodes from ~1.2 KB
    path.write_bytes(data)
    doc, findings = run(path)
    assert [f.code for f in findings] == ["PRM001"]
    assert "local functions makes more than 500,000 nodes" in doc["error"]


def test_a_small_function_nest_is_inlined_and_counted(tmp_path):
    path = tmp_path / "nest.onnx"
    path.write_bytes(function_bomb(2, 3).SerializeToString())  # 2**3 = 8 Relus
    doc, _ = run(path)
    assert not doc.get("error")
    assert len(doc["layers"]) == 8


def test_a_million_node_graph_is_refused_by_the_node_budget(tmp_path):
    path = tmp_path / "million.onnx"
    path.write_bytes(many_nodes_bytes(1_000_000))
    doc, findings = run(path)
    assert [f.code for f in findings] == ["PRM001"]
    assert doc["error"] == ("the model holds more than 500,000 nodes "
                            "(paramlint's limit; see docs/limits.md)")


def test_the_hand_encoded_chain_is_a_valid_model(tmp_path):
    path = tmp_path / "chain.onnx"
    path.write_bytes(many_nodes_bytes(1000))
    doc, _ = run(path)
    assert not doc.get("error")
    assert len(doc["layers"]) == 1000


def test_ten_thousand_readers_of_one_weight_are_counted_once(tmp_path):
    from paramlint.analysis.counting import MAX_SHARED_WITH

    path = tmp_path / "readers.onnx"
    path.write_bytes(shared_weight_matmuls(10_000, 8).SerializeToString())
    doc, _ = run(path)
    totals = doc["totals"]
    assert totals["params"] == 8 * 8
    assert totals["per_use_params"] == 10_000 * 8 * 8
    assert totals["tied_savings"] == 9_999 * 8 * 8
    (tie,) = doc["ties"]
    assert tie["name"] == "W" and len(tie["layers"]) == 10_000  # the tie, recorded once
    first = doc["layers"][0]
    assert len(first["shared_with"]) == MAX_SHARED_WITH  # not 9,999 names per layer
    assert first["shared_with"] == [f"mm{k}" for k in range(1, MAX_SHARED_WITH + 1)]


def test_a_shared_repeat_bomb_counts_one_copy(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text("input: [16]\nlayers:\n  - type: block\n    repeat: 99999\n"
                    "    share_repeats: true\n    layers:\n      - {type: dense, units: 16}\n")
    doc, _ = run(path)
    assert not doc.get("error")
    assert doc["totals"]["params"] == 16 * 16 + 16  # one dense layer's weights, shared
    assert doc["totals"]["per_use_params"] == 99_999 * (16 * 16 + 16)
    assert len(doc["layers"]) == 99_999


def test_a_repeat_past_the_layer_budget_is_refused(tmp_path):
    path = tmp_path / "bigger.yaml"
    path.write_text("input: [16]\nlayers:\n  - type: block\n    repeat: 100001\n"
                    "    share_repeats: true\n    layers:\n      - {type: dense, units: 16}\n")
    doc, findings = run(path)
    assert [f.code for f in findings] == ["PRM001"]
    assert "100,000 layers" in doc["error"]


def test_structure_bytes_past_the_budget_are_refused(tmp_path, monkeypatch):
    """A huge doc_string (the audit's 1 GB one took 5.2 GB): refused from its
    size before anything is copied. Shown with the limit lowered to 1 MiB."""
    from paramlint.loaders.onnx import slim as onnx_slim

    model = shared_weight_matmuls(2, 8)
    model.doc_string = "x" * (2 << 20)
    path = tmp_path / "doc.onnx"
    path.write_bytes(model.SerializeToString())
    monkeypatch.setattr(onnx_slim, "MAX_STRUCTURE_BYTES", 1 << 20)
    doc, findings = run(path)
    assert [f.code for f in findings] == ["PRM001"]
    assert "over paramlint's limit of 1 MiB" in doc["error"]
    monkeypatch.undo()
    doc, _ = run(path)
    assert doc["totals"]["params"] == 64


@pytest.mark.parametrize("limit", ["MAX_NODES", "MAX_STRUCTURE_BYTES"])
def test_budgets_are_far_above_the_largest_bench_model(limit):
    """docs/limits.md: a 50,000-node chain (bench/) is 9.25 MiB of structure."""
    from paramlint.loaders.onnx import wire as onnx_wire

    need = {"MAX_NODES": 50_000, "MAX_STRUCTURE_BYTES": 10 << 20}[limit]
    assert getattr(onnx_wire, limit) >= 10 * need
