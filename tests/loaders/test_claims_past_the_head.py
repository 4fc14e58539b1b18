"""A model whose first key comes after more than the first 16 KiB (a long
licence header, 250 comment lines) is still a model: it was "no model
files found", exit 0, and in ``diff --base`` a model grown 1,000x behind such
a header was "deleted" (issue 22). Files that are not models stay skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from paramlint.lint.engine import Settings
from paramlint.loaders import HEAD_BYTES
from paramlint.run.pool import analyze

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
HEADER = "".join(f"# licence line {i}: words words words words words words words words\n" for i in range(300))


@pytest.mark.parametrize("fixture, loader_format", [("alexnet.yaml", "yaml"),
                                                    ("ultralytics/yolov8.yaml", "ultralytics")])
def test_a_model_behind_a_long_comment_header_is_linted(tmp_path, fixture, loader_format):
    assert len(HEADER.encode()) > HEAD_BYTES
    path = tmp_path / Path(fixture).name
    path.write_text(HEADER + (FIXTURES / fixture).read_text())
    [report] = analyze([str(path)], Settings())
    assert report.document["format"] == loader_format and not report.document.get("error")
    assert report.document["totals"]["params"] > 0


def test_a_long_non_model_yaml_stays_skipped(tmp_path):
    path = tmp_path / "ci.yaml"
    path.write_text(HEADER + "jobs:\n  build:\n    runs-on: ubuntu-latest\n")
    assert analyze([str(path)], Settings()) == []


def test_a_non_model_whose_first_key_is_in_the_head_is_not_read_on(tmp_path, monkeypatch):
    """The read past the head happens only when the head holds no top-level key at all."""
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n" + "".join(f"  s{i}:\n    image: x\n" for i in range(3000)))
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k))
    assert analyze([str(path)], Settings()) == []
    assert str(path) not in opened
