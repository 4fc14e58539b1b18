"""How each report says a total is partial: "at least N (K layers unknown)",
"unknown", and the JSON flags and lists (docs/unknowns.md)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from paramlint.cli.app import main
from unknown_helpers import (COMPLETE_YOLO, KNOWN_MACS, KNOWN_PARAMS, KNOWN_TRAINABLE, UNKNOWN_MACS,
                             UNKNOWN_PARAMS, write_yolo)


def report(path: str, fmt: str = "text") -> str:
    result = CliRunner().invoke(main, ["report", "--no-cache", "-f", fmt, path])
    assert result.exit_code == 0, result.output
    return result.output


def lines_starting(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def test_text_prints_a_partial_total_as_at_least_with_the_unknown_layers(tmp_path):
    out = report(write_yolo(tmp_path))
    [params] = lines_starting(out, "Total params:")
    assert params.split(":", 1)[1].strip() == f"at least {KNOWN_PARAMS:,} (1 layer unknown)"
    [trainable] = lines_starting(out, "Trainable params:")
    assert f"at least {KNOWN_TRAINABLE:,}" in trainable
    [macs] = lines_starting(out, "MACs:")
    assert macs.startswith(f"MACs: at least {KNOWN_MACS:,} ") and macs.endswith("(2 layers unknown)")
    [unshared] = lines_starting(out, "Unshared params:")
    assert unshared.split(":", 1)[1].strip() == "unknown"
    [memory] = lines_starting(out, "Weight memory:")
    assert memory.startswith(f"Weight memory: at least {4 * KNOWN_PARAMS:,} bytes")


def test_text_prints_no_share_of_a_partial_total(tmp_path):
    out = report(write_yolo(tmp_path))
    row = next(line for line in out.splitlines() if line.startswith("model.3.conv "))  # the layer table's
    assert row.split()[1:] == ["conv2d", "[8,", "320,", "320]", "128", f"{320 * 320 * 8 * 16:,}"]


def test_a_complete_model_says_neither_at_least_nor_unknown(tmp_path):
    out = report(write_yolo(tmp_path, COMPLETE_YOLO))
    totals = out.split("Total params:", 1)[1]
    assert "at least" not in totals and "layers unknown" not in totals


def test_json_flags_each_figure_and_lists_the_layers_that_made_it_partial(tmp_path):
    [doc] = json.loads(report(write_yolo(tmp_path), "json"))["models"]
    totals = doc["totals"]
    assert totals["params"] == KNOWN_PARAMS and totals["macs"] == KNOWN_MACS
    for key in ("params_complete", "trainable_complete", "non_trainable_complete", "macs_complete",
                "weight_bytes_complete"):
        assert totals[key] is False, key
    assert totals["macs_lower_bound"] is True  # kept, as report-json.md has it
    assert doc["partial"] == {"params": UNKNOWN_PARAMS, "macs": UNKNOWN_MACS, "unmodelled": ["model.1"]}
    ghost = next(layer for layer in doc["layers"] if layer["name"] == "model.1")
    assert ghost["params"] is None and ghost["trainable"] is None and ghost["params_at_least"] == 0
    assert ghost["output_shape"] == [32, None, None]


def test_json_of_a_complete_model_is_complete(tmp_path):
    [doc] = json.loads(report(write_yolo(tmp_path, COMPLETE_YOLO), "json"))["models"]
    assert doc["partial"] is None
    assert all(doc["totals"][k] is True for k in ("params_complete", "macs_complete", "weight_bytes_complete"))
    assert all("params_at_least" not in layer for layer in doc["layers"])


def test_markdown_and_html_say_at_least_too(tmp_path):
    path = write_yolo(tmp_path)
    markdown = report(path, "markdown")
    assert f"| Parameters | at least {KNOWN_PARAMS:,} (1 layer unknown) |" in markdown
    assert f"| MACs | at least {KNOWN_MACS:,} (2 layers unknown) |" in markdown
    assert "| Without sharing | unknown |" in markdown
    html = report(path, "html")
    assert f"<b>at least {KNOWN_PARAMS:,}</b>" in html and "(1 layer unknown)" in html
