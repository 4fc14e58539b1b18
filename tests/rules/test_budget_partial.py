"""PRM101 and PRM102 on a partial total: fail when the known part is over,
otherwise say the budget cannot be proven; never a silent pass (docs/unknowns.md)."""

from __future__ import annotations

import pytest

from paramlint.lint.engine import Settings, load_model, run_rules
from paramlint.lint.plugins import discover
from unknown_helpers import COMPLETE_YOLO, KNOWN_MACS, KNOWN_PARAMS, write_yolo


def budget(path: str, code: str, **options) -> list:
    model = load_model(path)
    rules = [r for r in discover().rules if r.code == code]
    settings = Settings(options={code: options})
    found, _ = run_rules(model, rules, settings)
    return found


@pytest.mark.parametrize("code, option, known", [
    ("PRM101", "max-params", KNOWN_PARAMS), ("PRM102", "max-macs", KNOWN_MACS)])
def test_a_partial_total_over_the_budget_fails_as_a_lower_bound(tmp_path, code, option, known):
    [finding] = budget(write_yolo(tmp_path), code, **{option: known - 1})
    assert f"at least {known:,}" in finding.message and "over the budget" in finding.message
    assert finding.extra["lower_bound"] is True and "unproven" not in finding.extra


@pytest.mark.parametrize("code, option, known", [
    ("PRM101", "max-params", KNOWN_PARAMS), ("PRM102", "max-macs", KNOWN_MACS)])
def test_a_partial_total_under_the_budget_cannot_prove_it(tmp_path, code, option, known):
    [finding] = budget(write_yolo(tmp_path), code, **{option: known + 1})
    assert finding.message.startswith("cannot prove the model is within the budget")
    assert f"at least {known:,}" in finding.message and "model.1" in finding.message
    assert finding.extra["unproven"] is True and finding.severity == "error"


@pytest.mark.parametrize("code, option", [("PRM101", "max-params"), ("PRM102", "max-macs")])
def test_a_complete_total_under_the_budget_passes(tmp_path, code, option):
    assert budget(write_yolo(tmp_path, COMPLETE_YOLO), code, **{option: 10**12}) == []


def test_a_layer_budget_with_an_unknown_layer_cannot_be_proven(tmp_path):
    found = budget(write_yolo(tmp_path), "PRM101", **{"max-layer-params": 10**9})
    assert [f.extra.get("unproven") for f in found] == [True]
    assert "per-layer budget" in found[0].message and "model.1" in found[0].message
