"""The pre-commit hook hands paramlint every file a loader reads, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from paramlint import loaders

REPO = Path(__file__).resolve().parents[2]


def hook_pattern() -> re.Pattern:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return re.compile(hook["files"])


def test_the_hook_covers_every_suffix_a_loader_reads():
    pattern = hook_pattern()
    missing = [s for s in loaders.suffixes() if not pattern.search(f"models/m{s}")]
    assert missing == []


def test_the_hook_leaves_other_files_alone():
    pattern = hook_pattern()
    assert not any(pattern.search(name) for name in ("README.md", "train.py", "notes.txt", "model.onnx.bak"))
