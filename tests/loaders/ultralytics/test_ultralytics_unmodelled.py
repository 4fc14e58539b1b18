"""A module paramlint does not model: its output size is unknown, never its input's;
its channels are the ones parse_model records, so later rows stay exact
(docs/unknowns.md, "Ultralytics: the channels parse_model records")."""

from __future__ import annotations

from paramlint.analysis.counting import count
from paramlint.analysis.macs import compute
from paramlint.loaders.ultralytics import load
from unknown_helpers import KNOWN_MACS, KNOWN_PARAMS, PARTIAL_YOLO, write_yolo


def test_an_unmodelled_stride_two_module_has_an_unknown_size_and_the_recorded_channels(tmp_path):
    model = load(write_yolo(tmp_path))
    ghost = model.layer("model.1")
    assert ghost.output_shape == (32, None, None)  # not its input's [16, 320, 320]
    assert ghost.attrs["params_unknown"] and ghost.attrs["macs_unknown"]
    [diag] = model.diagnostics
    assert diag.kind == "unmodelled" and "GhostConv" in diag.message and diag.location.line == 4


def test_rows_after_it_keep_exact_params_and_lose_their_macs(tmp_path):
    model = load(write_yolo(tmp_path))
    counts, macs = count(model), compute(model)
    assert counts.layers["model.2.conv"].params == 32 * 32 * 3 * 3
    assert macs.layers["model.2.conv"] is None
    assert macs.layers["model.3.conv"] == 320 * 320 * 8 * 16  # reads row 0: known
    assert counts.totals.params == KNOWN_PARAMS and macs.total == KNOWN_MACS
    assert list(counts.params_unknown) == ["model.1"]


def test_a_modelled_module_reading_unknown_channels_becomes_unknown_too(tmp_path):
    # A module outside parse_model's lists reading two rows: parse_model's
    # ch[f] of a list fails, so its channels are unknown; the Conv after it
    # cannot be built and is unknown too, with no finding of its own.
    text = PARTIAL_YOLO.replace("  - [0, 1, Conv, [8, 1, 1]]\n",
                                "  - [[0, 2], 1, MyFuse, []]\n  - [-1, 1, Conv, [8, 1, 1]]\n")
    model = load(write_yolo(tmp_path, text))
    fuse, conv = model.layer("model.3"), model.layer("model.4")
    assert fuse.output_shape is None
    assert conv.op == "unknown" and conv.output_shape == (8, None, None)
    assert "input channels are unknown" in conv.attrs["params_unknown"]
    assert [d.layer for d in model.diagnostics] == ["model.1", "model.3"]


def test_output_channels_equal_to_nc_are_not_scaled(tmp_path):
    # parse_model: "if c2 != nc" — a base module whose args[0] is nc keeps it, unscaled
    text = "nc: 24\nscales:\n  n: [0.5, 0.25, 1024]\nbackbone:\n  - [-1, 1, Conv, [24, 3, 2]]\n" \
           "head:\n  - [-1, 1, Conv, [64, 1, 1]]\n"
    model = load(write_yolo(tmp_path, text, "yolotiny.yaml"))
    assert model.layer("model.0.conv").output_shape[0] == 24
    assert model.layer("model.1.conv").output_shape[0] == 16  # 64 * 0.25
