"""``paramlint diff -f github``: annotations on the layers that grew.

A warning per added or grown layer (an error when the change is over a
budget), on the layer's line in YAML files; a notice per new finding.
"""

from __future__ import annotations

import os

from paramlint.diff.compare import ModelDiff, label
from paramlint.formats.findings.github import escape_data, escape_property


def repo_relative(path: str) -> str:
    """GitHub places annotations by the path from the repository root."""
    here = os.path.abspath(path)
    folder = os.path.dirname(here)
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return os.path.relpath(here, folder).replace(os.sep, "/")
        parent = os.path.dirname(folder)
        if parent == folder:
            return path.replace(os.sep, "/")
        folder = parent


def render(diffs: list[ModelDiff], **_options) -> str:
    lines = []
    for diff in diffs:
        path = escape_property(repo_relative(diff.path))
        level = "error" if diff.over else "warning"
        for line in diff.over:
            lines.append(f"::error file={path},title={escape_property('paramlint diff: over budget')}"
                         f"::{escape_data(line)}")
        for c in diff.layers:
            grew = c.delta("params")
            if c.new is None or not grew or grew <= 0:
                continue
            props = [f"file={path}"]
            loc = c.new.get("location") or {}
            if loc.get("line"):
                props.append(f"line={loc['line']}")
            props.append(f"title={escape_property('paramlint diff: layer ' + c.status)}")
            before = c.figure("params", "old") if c.old else 0
            message = (f"{label(c)}: {c.status}, params {before:,} -> {c.figure('params', 'new'):,} "
                       f"({grew:+,})")
            lines.append(f"::{level} {','.join(props)}::{escape_data(message)}")
        for f in diff.findings:
            if f.status != "new":
                continue
            props = [f"file={path}"] + ([f"line={f.line}"] if f.line else [])
            props.append(f"title={escape_property(f'new {f.code}')}")
            lines.append(f"::notice {','.join(props)}::{escape_data(f.message)}")
    return "".join(line + "\n" for line in lines)
