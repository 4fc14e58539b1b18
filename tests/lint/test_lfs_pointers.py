"""A Git LFS pointer where a model should be (actions/checkout without
``lfs: true``) is a PRM001 that says so, in every format, never a parse
error of the format its name says and never a silent skip."""

from __future__ import annotations

import pytest

from paramlint.lint.engine import Settings
from paramlint.run.pool import analyze

POINTER = ("version https://git-lfs.github.com/spec/v1\n"
           "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
           "size 12345\n")


@pytest.mark.parametrize("name", ["model.onnx", "model.yaml", "model.keras", "config.json",
                                  "model.safetensors", "model.gguf"])
def test_a_pointer_is_a_load_error_naming_lfs(tmp_path, name):
    path = tmp_path / name
    path.write_text(POINTER)
    [report] = analyze([str(path)], Settings())
    assert [f.code for f in report.findings if f.severity == "error"] == ["PRM001"]
    message = report.document["error"]
    assert "Git LFS pointer" in message and "git lfs pull" in message


def test_a_file_that_only_mentions_lfs_later_is_read_as_itself(tmp_path):
    path = tmp_path / "notes.yaml"
    path.write_text("title: not a model\n" + POINTER)
    assert analyze([str(path)], Settings()) == []  # not a model, not a pointer
