"""Every model YAML the ultralytics 8.4.0 wheel ships, at every scale, against Ultralytics.

Truth: fixtures/ultralytics/bundled/truth.json, written by
``make_truth.py --bundled`` from the model class Ultralytics builds for each
file (parameters, gradients, BatchNorm running statistics, and torch's own
FlopCounterMode MACs of one 640x640 image). paramlint models some of these
modules and not others (GhostConv, Segment, RT-DETR's...): each figure it
reports must be Ultralytics' exactly when it says it is complete, and at
most Ultralytics' when it says it is partial (docs/unknowns.md). Never a
number above the truth printed as "at least", never a wrong exact one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paramlint.analysis.counting import count
from paramlint.analysis.document import build_document
from paramlint.analysis.macs import compute
from paramlint.loaders.ultralytics import load

BUNDLED = Path(__file__).resolve().parents[3] / "fixtures" / "ultralytics" / "bundled"
TRUTH = json.loads((BUNDLED / "truth.json").read_text())["models"]
MEASURED = sorted(key for key, entry in TRUTH.items() if "params" in entry)


def paramlint_figures(key: str) -> dict[str, tuple[int, bool]]:
    """figure -> (paramlint's value, whether paramlint says it is complete)."""
    rel, _, scale = key.partition(":")
    model = load(str(BUNDLED / rel), scale=scale or None)
    assert not model.failed, model.error
    counts = count(model)
    totals = build_document(model, counts)["totals"]
    macs = compute(model)
    whole = counts.params_complete
    return {
        "params": (counts.totals.params, whole),
        "trainable": (counts.totals.trainable, whole),
        "non_trainable": (counts.totals.non_trainable, whole),
        "weight_bytes": (totals["weight_bytes"], totals["weight_bytes_complete"]),
        "macs": (macs.total, not macs.lower_bound),
    }


def truth_figures(entry: dict) -> dict[str, int]:
    """Ultralytics' figures in paramlint's conventions (counting.md): BatchNorm
    running statistics are non-trainable parameters; weights are fp32."""
    stored = entry["params"] + entry["bn_running"]
    out = {"params": stored, "trainable": entry["gradients"],
           "non_trainable": stored - entry["gradients"], "weight_bytes": 4 * stored}
    if "macs_640" in entry:
        out["macs"] = entry["macs_640"]
    return out


def test_the_truth_covers_every_bundled_family():
    families = {key.split("/")[0] for key in MEASURED}
    assert {"v3", "v5", "v6", "v8", "v9", "v10", "11", "12", "26", "rt-detr"} <= families
    assert len(MEASURED) >= 150


@pytest.mark.parametrize("key", MEASURED)
def test_each_figure_is_exact_or_a_true_lower_bound(key):
    ours = paramlint_figures(key)
    truth = truth_figures(TRUTH[key])
    for figure, real in truth.items():
        value, complete = ours[figure]
        if complete:
            assert value == real, f"{key} {figure}: paramlint says exactly {value:,}, Ultralytics {real:,}"
        else:
            assert value <= real, f"{key} {figure}: paramlint says at least {value:,}, Ultralytics {real:,}"


def test_yolov8_ghost_is_partial_with_its_unmodelled_layers_named():
    model = load(str(BUNDLED / "v8" / "yolov8-ghost.yaml"), scale="n")
    doc = build_document(model, count(model))
    assert doc["totals"]["params_complete"] is False and doc["totals"]["macs_complete"] is False
    unmodelled = doc["partial"]["unmodelled"]
    assert unmodelled and all(model.layer(name).source_op in ("GhostConv", "C3Ghost") for name in unmodelled)
    assert set(unmodelled) <= set(doc["partial"]["params"]) and set(unmodelled) <= set(doc["partial"]["macs"])
    truth = truth_figures(TRUTH["v8/yolov8-ghost.yaml:n"])
    assert TRUTH["v8/yolov8-ghost.yaml:n"]["gradients"] == 1_865_300  # the figure
    assert 0 < doc["totals"]["params"] <= truth["params"]
    assert 0 < doc["totals"]["macs"] <= truth["macs"]
