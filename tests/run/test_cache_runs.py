"""The cache database under whole runs: runs at once, damage, an old cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"


def _start(*args, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "paramlint", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _models(tmp_path: Path, n: int = 30) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    text = (FIXTURES / "lenet5.yaml").read_text()
    for i in range(n):  # contents differ, so each file is its own entry
        (folder / f"m{i:02}.yaml").write_text(text + f"\n# variant {i}\n")
    return folder


def test_two_checks_at_once_on_one_cache_both_give_the_uncached_output(tmp_path):
    _models(tmp_path)
    reference = subprocess.run([sys.executable, "-m", "paramlint", "check", "--no-cache",
                                "models"], cwd=tmp_path, capture_output=True, text=True)
    for _ in range(3):  # a fresh cache, then warm ones written and read at once
        runs = [_start("check", "--cache-dir", "cache", "models", cwd=tmp_path) for _ in range(2)]
        for run in runs:
            out, err = run.communicate(timeout=120)
            assert (run.returncode, out, err) == (reference.returncode, reference.stdout, "")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        ".gitignore", "CACHEDIR.TAG", "cache.db"]


def test_a_damaged_database_costs_one_cold_run_and_no_traceback(tmp_path):
    _models(tmp_path, 3)
    first = subprocess.run([sys.executable, "-m", "paramlint", "check", "--cache-dir", "cache",
                            "models"], cwd=tmp_path, capture_output=True, text=True)
    db = tmp_path / "cache" / "cache.db"
    data = bytearray(db.read_bytes())
    data[100:4096] = os.urandom(3996)  # the schema page
    db.write_bytes(bytes(data))
    for _ in range(2):
        again = subprocess.run([sys.executable, "-m", "paramlint", "check", "--cache-dir",
                                "cache", "models"], cwd=tmp_path, capture_output=True, text=True)
        assert (again.returncode, again.stdout, again.stderr) == (
            first.returncode, first.stdout, first.stderr)


def test_a_cache_folder_of_the_per_file_version_is_taken_over(tmp_path):
    _models(tmp_path, 2)
    cache = tmp_path / "cache"
    cache.mkdir()
    from paramlint.run.cache import CACHEDIR_TAG

    (cache / "CACHEDIR.TAG").write_text(CACHEDIR_TAG)
    (cache / ".gitignore").write_text("*\n")
    (cache / "stat-memo").write_text('{"format": 1, "files": {}}')
    (cache / "3f").mkdir()
    (cache / "3f" / ("3f" + "a" * 62 + ".json")).write_text('{"format": 1}')
    run = subprocess.run([sys.executable, "-m", "paramlint", "check", "--cache-dir", "cache",
                          "models"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr == ""
    assert sorted(p.name for p in cache.iterdir()) == [".gitignore", "CACHEDIR.TAG", "cache.db"]
