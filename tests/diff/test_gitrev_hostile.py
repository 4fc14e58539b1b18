"""`diff --base` on a hostile repository: nothing written, read or run outside.

A pull request controls the trees, the symlinks and (for a checkout that
ships one) the ``.git/config`` that ``diff --base`` reads; none of them
may make paramlint write outside its temporary folder, read a file
outside the repository, run a command, or crash the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from git_helpers import blob, commit_all, commit_tree, git, init, literal_tree
from paramlint.cli.app import main

SMALL = """\
name: small
input: [3, 32, 32]
layers:
  - {name: conv, type: conv2d, filters: 16, kernel: 3, padding: 1}
  - {type: relu}
  - {name: pool, type: global_avgpool}
  - {name: classifier, type: dense, units: 10}
"""
SECRET = "SECRET_TOKEN_5f0c"
#: A valid model whose only layer is named by the secret: if any output
#: shows the secret, the file was read.
SECRET_MODEL = SMALL.replace("name: classifier", f"name: {SECRET}")
FORMATS = ("text", "json", "markdown", "github")


def diff(cwd: Path, *args: str):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, ["diff", "--no-cache", *args])
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A TMPDIR of the test's own, so what lands in it can be listed."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def traversal_commit(root: Path, depth: int) -> str:
    """A commit whose tree holds ``sub/../../(...)/x.yaml``."""
    tree = literal_tree(root, [("100644", "x.yaml", blob(root, SMALL.encode()))])
    for _ in range(depth):
        tree = literal_tree(root, [("40000", "..", tree)])
    return commit_tree(root, literal_tree(root, [("40000", "sub", tree)]))


def test_a_tree_entry_named_dot_dot_writes_nothing_outside_and_is_exit_2(tmp_path, private_tmp):
    root = init(tmp_path / "repo")
    (root / "README.md").write_text("hi\n")
    commit_all(root)
    evil = traversal_commit(root, depth=3)  # tmpdir/paramlint-diff-X/sub/../../.. = tmp_path
    result = diff(root, "--base", evil)
    assert not (tmp_path / "x.yaml").exists()
    assert not (private_tmp / "x.yaml").exists()
    assert result.exit_code == 2
    assert "sub/../../../x.yaml" in result.output and "Traceback" not in result.output
    assert list(private_tmp.iterdir()) == []  # the temporary folder is gone


def test_an_existing_file_outside_is_not_overwritten_by_a_traversal(tmp_path, private_tmp):
    root = init(tmp_path / "repo")
    commit_all(root)
    marker = tmp_path / "x.yaml"
    marker.write_text("marker\n")
    diff(root, "--base", traversal_commit(root, depth=3))
    assert marker.read_text() == "marker\n"


@pytest.fixture
def outside(tmp_path):
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.yaml").write_text(SECRET_MODEL)
    return folder


def test_a_committed_symlink_out_of_the_repository_is_never_read(tmp_path, outside):
    root = init(tmp_path / "repo")
    (root / "README.md").write_text("hi\n")
    commit_all(root, "base")
    (root / "leak.yaml").symlink_to(outside / "secret.yaml")
    commit_all(root, "pull request")
    for fmt in FORMATS:
        result = diff(root, "--base", "HEAD~1", "-f", fmt)
        assert SECRET not in result.output, fmt
        assert result.exit_code == 0, (fmt, result.output)


def test_an_untracked_symlink_out_of_the_repository_is_never_read(tmp_path, outside):
    root = init(tmp_path / "repo")
    commit_all(root, "base")
    (root / "leak.yaml").symlink_to(outside / "secret.yaml")
    result = diff(root, "--base", "HEAD", "-f", "json")
    assert SECRET not in result.output


def test_a_symlink_inside_the_repository_is_read_as_a_folder_walk_would(tmp_path):
    root = init(tmp_path / "repo")
    commit_all(root, "base")
    (root / "real.yaml").write_text(SECRET_MODEL)
    (root / "alias.yaml").symlink_to("real.yaml")
    doc = json.loads(diff(root, "--base", "HEAD", "-f", "json").output)
    assert sorted(m["path"] for m in doc["models"]) == ["alias.yaml", "real.yaml"]


def test_a_symlink_on_the_old_side_is_not_a_model(tmp_path, outside):
    root = init(tmp_path / "repo")
    (root / "model.yaml").symlink_to(outside / "secret.yaml")
    commit_all(root, "base with a symlink")
    (root / "model.yaml").unlink()
    (root / "model.yaml").write_text(SMALL)
    doc = json.loads(diff(root, "--base", "HEAD", "-f", "json").output)
    assert SECRET not in json.dumps(doc)
    assert [(m["path"], m["status"]) for m in doc["models"]] == [("model.yaml", "added")]


def test_a_removed_submodule_named_like_a_model_is_skipped(tmp_path):
    root = init(tmp_path / "repo")
    (root / "model.yaml").write_text(SMALL)
    commit_all(root, "base")
    head = git(root, "rev-parse", "HEAD")
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor.onnx")
    git(root, "commit", "-q", "-m", "a submodule")
    git(root, "rm", "-q", "--cached", "vendor.onnx")
    (root / "model.yaml").write_text(SMALL.replace("units: 10", "units: 20"))
    result = diff(root, "--base", "HEAD", "-f", "json")
    assert result.exit_code == 0, result.output
    assert [m["path"] for m in json.loads(result.output)["models"]] == ["model.yaml"]


# -- the repository's own git configuration runs nothing ---------------------

HOSTILE = {
    "fsmonitor": "[core]\n    fsmonitor = {hook}\n",
    "clean filter": '[filter "evil"]\n    clean = {hook}\n    required = true\n',
    "external diff": '[diff "evil"]\n    textconv = {hook}\n    command = {hook}\n'
                     "[diff]\n    external = {hook}\n",
}


def hostile_config(root: Path, marker: Path, section: str) -> None:
    """A ``.git/config`` section whose command would create ``marker``."""
    hook = root.parent / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat\n")
    hook.chmod(0o755)
    with open(root / ".git" / "config", "a") as config:
        config.write(HOSTILE[section].format(hook=hook))
    (root / ".gitattributes").write_text("*.yaml filter=evil diff=evil\n")


@pytest.mark.parametrize("section", sorted(HOSTILE))
def test_the_repository_config_runs_no_command(tmp_path, section):
    root = init(tmp_path / "repo")
    (root / "model.yaml").write_text(SMALL)
    commit_all(root, "base")
    marker = tmp_path / "ran"
    hostile_config(root, marker, section)
    (root / "model.yaml").write_text(SMALL.replace("units: 10", "units: 20"))
    result = diff(root, "--base", "HEAD", "-f", "json")
    assert not marker.exists()
    assert result.exit_code == 0, result.output
    (model,) = json.loads(result.output)["models"]
    assert model["status"] == "modified" and model["totals"]["params"]["delta"] == 170


# -- SIGTERM ------------------------------------------------------------------

TERMINATE = """
import os, signal, sys
from paramlint.diff import gitrev
real = gitrev.export_blob
def export_then_terminate(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGTERM)
gitrev.export_blob = export_then_terminate
from paramlint.cli.app import main
sys.argv = ["paramlint", "diff", "--no-cache", "--base", "HEAD"]
main()
"""


def test_sigterm_during_a_base_diff_removes_its_temporary_folder(tmp_path, private_tmp):
    root = init(tmp_path / "repo")
    (root / "model.yaml").write_text(SMALL)
    commit_all(root, "base")
    (root / "model.yaml").write_text(SMALL.replace("units: 10", "units: 20"))
    proc = subprocess.run([sys.executable, "-c", TERMINATE], cwd=root, capture_output=True,
                          env={**os.environ, "TMPDIR": str(private_tmp)}, timeout=120)
    assert proc.returncode == -15, proc.stderr.decode()
    assert list(private_tmp.iterdir()) == []
