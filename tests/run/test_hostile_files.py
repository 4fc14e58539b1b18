"""Hostile files and folders around the models (issue 11): what a pull
request from a stranger can put in a repository, and what a run on it must
and must not do. Every test runs the command as CI would."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")
SECRET = "sk-live-4c1a9d0f2b7e4e93a8d6SECRETVALUE"


def paramlint(*args, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paramlint", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _hostile_tree(tmp_path: Path) -> Path:
    outside = tmp_path / "home"
    outside.mkdir()
    # A secret that reads as a model whose error would quote it.
    (outside / "key.yaml").write_text(f"input: [1]\nlayers:\n  - {{type: dense, units: 4}}\n"
                                      f"  - {{type: {SECRET}}}\n")
    (outside / ".env").write_text(f"API_KEY: {SECRET}\nlayers: [{SECRET}]\n")
    tree = tmp_path / "repo"
    (tree / "models").mkdir(parents=True)
    shutil.copy(FIXTURES / "lenet5.yaml", tree / "models" / "lenet5.yaml")
    os.mkfifo(tree / "models" / "pipe.yaml")
    (tree / "models" / "zero.onnx").symlink_to("/dev/zero")
    (tree / "models" / "key.yaml").symlink_to(outside / "key.yaml")
    (tree / "models" / "env.yml").symlink_to(outside / ".env")
    (tree / "models" / "inside.yaml").symlink_to("lenet5.yaml")  # stays in the tree: read
    return tree


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_folder_of_fifos_devices_and_secrets_neither_hangs_nor_leaks(tmp_path, fmt):
    tree = _hostile_tree(tmp_path)
    cache = tmp_path / "cache"
    for _ in range(2):  # cold, then warm through the cache
        proc = paramlint("check", "-f", fmt, "--cache-dir", cache, "models", cwd=tree, timeout=60)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        out = proc.stdout + proc.stderr
        assert SECRET not in out and "sk-live" not in out
        assert "lenet5.yaml" in out and "inside.yaml" in out
        assert "pipe.yaml" in out  # a FIFO in the tree: refused, said
        assert "key.yaml" not in out and "env.yml" not in out  # out of the tree: not followed
    for entry in cache.rglob("*"):
        if entry.is_file():
            assert SECRET.encode() not in entry.read_bytes()


def test_a_symlink_named_on_the_command_line_is_read_but_quoted_briefly(tmp_path):
    tree = _hostile_tree(tmp_path)
    proc = paramlint("check", "--no-cache", "models/key.yaml", cwd=tree)
    assert proc.returncode == 1
    assert "PRM001" in proc.stdout and SECRET not in proc.stdout
    line = proc.stdout.splitlines()[0]
    assert len(line) < 200, line  # an excerpt, not the content


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root (CI runs as root)")
def test_write_baseline_onto_a_device_is_refused_and_the_device_intact(tmp_path):
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    proc = paramlint("check", "--no-cache", "--write-baseline", device, "m.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "a device, not a regular file" in proc.stderr and "Traceback" not in proc.stderr
    st = os.lstat(device)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_write_baseline_onto_a_fifo_or_directory_is_refused(tmp_path, kind):
    target = tmp_path / "target"
    os.mkfifo(target) if kind == "fifo" else target.mkdir()
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    proc = paramlint("check", "--no-cache", "--write-baseline", target, "m.yaml", cwd=tmp_path, timeout=30)
    assert proc.returncode == 2
    assert ("a FIFO, not a regular file" if kind == "fifo" else "is a directory") in proc.stderr
    assert (stat.S_ISFIFO if kind == "fifo" else stat.S_ISDIR)(os.lstat(target).st_mode)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_baseline_that_is_not_a_regular_file_is_refused_without_hanging(tmp_path, kind):
    target = tmp_path / "baseline.json"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    proc = paramlint("check", "--no-cache", "--baseline", target, "m.yaml", cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


@pytest.mark.parametrize("name", ["cache.db", "cache.db-journal"])
def test_a_cache_database_that_is_not_a_regular_file_is_ignored(tmp_path, name):
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    cache = tmp_path / "cache"
    assert paramlint("check", "--cache-dir", cache, "m.yaml", cwd=tmp_path).returncode == 1
    (cache / "cache.db").unlink()
    os.mkfifo(cache / name)
    if name != "cache.db":
        (cache / "cache.db").symlink_to("/dev/zero")
    for _ in range(2):  # the run that finds it, and the next
        proc = paramlint("check", "-f", "json", "--cache-dir", cache, "m.yaml", cwd=tmp_path,
                         timeout=30)
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["models"][0]["totals"]["params"] == 61_706


def test_written_files_follow_the_umask(tmp_path):
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    old = os.umask(0o027)
    try:
        proc = paramlint("check", "--cache-dir", "cache", "--write-baseline", "b.json", "m.yaml",
                         cwd=tmp_path)
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(os.stat(tmp_path / "b.json").st_mode) == 0o640
    written = [p for p in (tmp_path / "cache").iterdir()]
    assert [p.name for p in written if p.name == "cache.db"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o640 for p in written)


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cache_dir_dot_in_a_git_repository_hides_nothing(tmp_path):
    _git("init", "-q", cwd=tmp_path)
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    proc = paramlint("check", "--cache-dir", ".", "m.yaml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert not (tmp_path / ".gitignore").exists() and not (tmp_path / "CACHEDIR.TAG").exists()
    (tmp_path / "new_model.yaml").write_text("input: [4]\nlayers:\n  - {type: dense, units: 2}\n")
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=tmp_path).stdout
    assert "new_model.yaml" in status and "m.yaml" in status
    assert ".paramlint_cache" not in status  # the cache's own folder ignores itself
    # and a second run is served from it: the same output
    again = paramlint("check", "--cache-dir", ".", "m.yaml", cwd=tmp_path)
    assert again.stdout == proc.stdout


def test_a_cache_folder_made_by_paramlint_is_used_as_it_is(tmp_path):
    from paramlint.run.cache import Cache

    first = Cache(tmp_path / "c")
    first._prepare()
    assert Cache(tmp_path / "c").folder == tmp_path / "c"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("the user's")
    assert Cache(tmp_path / "mine").folder == tmp_path / "mine" / ".paramlint_cache"


def test_a_tampered_cache_entry_gives_the_cold_output(tmp_path):
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    cold = paramlint("check", "-f", "json", "--no-cache", "m.yaml", cwd=tmp_path)
    warm = paramlint("check", "-f", "json", "--cache-dir", "cache", "m.yaml", cwd=tmp_path)
    assert warm.stdout == cold.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "cache" / "cache.db") as conn:
        (document, findings), = conn.execute("SELECT document, findings FROM entries")
        document, findings = json.loads(document), json.loads(findings)
        document["totals"]["params"] = "lots"
        findings[0]["line"] = "twelve"
        conn.execute("UPDATE entries SET document = ?, findings = ?",
                     (json.dumps(document).encode(), json.dumps(findings).encode()))
    conn.close()
    for fmt in ("json", "text", "sarif"):
        tampered = paramlint("check", "-f", fmt, "--cache-dir", "cache", "m.yaml", cwd=tmp_path)
        reference = paramlint("check", "-f", fmt, "--no-cache", "m.yaml", cwd=tmp_path)
        assert tampered.returncode == reference.returncode == 1, tampered.stderr
        assert "Traceback" not in tampered.stderr
        assert tampered.stdout == reference.stdout


def test_a_5000_digit_yaml_integer_is_a_finding_and_json_is_still_written(tmp_path):
    (tmp_path / "big.yaml").write_text("input: [3, 32, 32]\nlayers:\n  - {type: dense, units: "
                                       + "9" * 5000 + "}\n")
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    for command in (("check", "-f", "json"), ("report", "-f", "json")):
        proc = paramlint(*command, "--no-cache", "big.yaml", "m.yaml", cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        models = {m["path"]: m for m in json.loads(proc.stdout)["models"]}
        assert models["m.yaml"]["totals"]["params"] == 61_706
        big = models["big.yaml"]
        assert [f["code"] for f in big["findings"]] == ["PRM001"]
        assert "past any real model" in big["error"] and len(big["error"]) < 200


def test_an_input_of_more_than_1e15_elements_is_a_finding(tmp_path):
    dims = ", ".join(["1000000000000000"] * 300)  # a 4,500-digit element count
    (tmp_path / "wide.yaml").write_text(f"input: [{dims}]\nlayers:\n  - {{type: dense, units: 4}}\n")
    proc = paramlint("check", "-f", "json", "--no-cache", "wide.yaml", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "more than 10^15 elements" in json.loads(proc.stdout)["models"][0]["error"]


@pytest.mark.parametrize("value", ["nan", "inf", "-0.5"])
def test_nan_infinite_and_negative_options_are_refused(tmp_path, value):
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    (tmp_path / "pyproject.toml").write_text(f"[tool.paramlint.rules.dense-dominates]\nmax-share = {value}\n")
    proc = paramlint("check", "--no-cache", "m.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "max-share" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("spatial, expected", [(4, "[-2, -2]"), (6, "[0, 0]")])
def test_an_onnx_conv_whose_output_size_is_not_positive_is_refused(tmp_path, spatial, expected):
    import numpy as np
    from onnx import helper, numpy_helper

    w = numpy_helper.from_array(np.ones((2, 3, 7, 7), np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[7, 7], name="conv")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", 1, [1, 3, spatial, spatial])],
                              [helper.make_tensor_value_info("y", 1, None)], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    (tmp_path / "conv.onnx").write_bytes(model.SerializeToString())
    proc = paramlint("check", "-f", "json", "--no-cache", "conv.onnx", cwd=tmp_path)
    assert proc.returncode == 1
    (doc,) = json.loads(proc.stdout)["models"]
    assert f"output size {expected}" in doc["error"]  # 4 - 7 + 1 = -2; 6 - 7 + 1 = 0


def test_a_memory_error_is_never_cached(tmp_path, monkeypatch):
    from paramlint.run.cache import Cache
    from paramlint.run.fingerprint import config_fingerprint
    from paramlint.lint.engine import Settings
    from paramlint.run.pool import analyze
    from paramlint.loaders.onnx import loader as onnx_loader
    from paramlint.run.runner import _EngineCache

    shutil.copy(FIXTURES / "alexnet.onnx", tmp_path / "a.onnx")
    path = str(tmp_path / "a.onnx")
    store = Cache(tmp_path / "cache")
    cache = _EngineCache(store, config_fingerprint())

    def exhausted(*args):
        raise MemoryError

    monkeypatch.setattr(onnx_loader, "_build", exhausted)
    (failed,) = analyze([path], Settings(), cache=cache, jobs=1)
    assert "memory" in failed.document["error"] and "malformed" not in failed.document["error"]
    monkeypatch.undo()
    cache = _EngineCache(store, config_fingerprint())
    (healthy,) = analyze([path], Settings(), cache=cache, jobs=1)
    assert not healthy.document.get("error")
    assert healthy.document["totals"]["params"] == 62_378_344


def test_the_cache_never_hashes_a_fifo(tmp_path):
    """The engine vets files first; the hash refuses one swapped in since."""
    from paramlint.support.digest import file_digest

    os.mkfifo(tmp_path / "pipe.onnx")
    with pytest.raises(OSError, match="not a regular file"):
        file_digest(tmp_path / "pipe.onnx", 0)


# -- symlinked and outside folders (issue 23) ---------------------------------

def _linked_models(tmp_path: Path) -> Path:
    """A repository whose ``models`` is a committed symlink to a folder
    outside it holding a secret that reads as a model."""
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "key.yaml").write_text(f"input: [1]\nlayers:\n  - {{type: dense, units: 4}}\n"
                                      f"  - {{type: {SECRET}}}\n")
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "pyproject.toml").write_text("[tool.paramlint]\n")
    (tree / "models").symlink_to(outside)
    return tree


@pytest.mark.parametrize("named", ["models", "models/", "./models"])
def test_a_symlinked_top_folder_out_of_the_project_is_not_walked(tmp_path, named):
    tree = _linked_models(tmp_path)
    proc = paramlint("check", "--no-cache", named, cwd=tree)
    assert SECRET not in proc.stdout + proc.stderr
    assert proc.returncode == 2 and "out of the project" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_configured_paths_through_a_symlink_out_of_the_project_are_not_walked(tmp_path):
    tree = _linked_models(tmp_path)
    (tree / "pyproject.toml").write_text('[tool.paramlint]\npaths = ["models"]\n')
    proc = paramlint("check", "--no-cache", cwd=tree)
    assert SECRET not in proc.stdout + proc.stderr
    assert proc.returncode == 2 and "out of the project" in proc.stderr


@pytest.mark.parametrize("configured", ["/", "..", "models/../..", "../home"])
def test_configured_paths_outside_the_configurations_folder_are_refused(tmp_path, configured):
    tree = _linked_models(tmp_path)
    (tree / "pyproject.toml").write_text(f'[tool.paramlint]\npaths = ["{configured}"]\n')
    proc = paramlint("check", "--no-cache", cwd=tree)
    assert SECRET not in proc.stdout + proc.stderr
    assert proc.returncode == 2 and "outside the configuration's folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_folder_named_outside_the_project_is_the_users_choice_and_walked(tmp_path):
    tree = _linked_models(tmp_path)
    proc = paramlint("check", "--no-cache", tmp_path / "home", cwd=tree)
    assert proc.returncode == 1 and "key.yaml" in proc.stdout  # read, a load error


def test_a_symlinked_folder_that_stays_inside_the_project_is_walked(tmp_path):
    tree = tmp_path / "repo"
    (tree / "real").mkdir(parents=True)
    shutil.copy(FIXTURES / "lenet5.yaml", tree / "real" / "lenet5.yaml")
    (tree / "models").symlink_to("real")
    proc = paramlint("check", "--no-cache", "-f", "json", "models", cwd=tree)
    assert proc.returncode == 1, proc.stderr  # lenet5's own findings
    assert [m["path"] for m in json.loads(proc.stdout)["models"]] == [os.path.join("models", "lenet5.yaml")]
