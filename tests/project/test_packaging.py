"""The distribution installs one import package, ``paramlint``, and nothing a
local folder can shadow.

The repository keeps ``analyzer/`` (the core) and ``rules/`` (built-in
rules) at its top; pyproject's package-dir maps them to ``paramlint`` and
``paramlint.rules``. Installing top-level ``rules`` once overwrote
django-rules' package, and a local ``rules/`` on PYTHONPATH made every
built-in rule fail to import while the run printed "All checks passed".

The wheel is built from a copy of the tracked files (pip builds in-tree
and would leave ``build/`` behind), with pip's usual build isolation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHADOW = 'raise ImportError("a local folder named {name} was imported")\n'


def _sources(dest: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "pyproject.toml", "README.md", "analyzer",
                             "rules"], cwd=REPO, capture_output=True)
    files = [f for f in listed.stdout.decode().split("\0") if f] if listed.returncode == 0 else []
    if not files:  # not a git checkout: the folders as they are
        files = ["pyproject.toml", "README.md"] + [
            str(p.relative_to(REPO)) for d in ("analyzer", "rules") for p in (REPO / d).rglob("*.py")]
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    _sources(work / "source")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "-w", str(work / "dist"), str(work / "source")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = (work / "dist").glob("paramlint-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return target


def test_the_wheels_only_top_level_name_is_paramlint(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    dist_info = [t for t in tops if t.endswith(".dist-info")]
    assert len(dist_info) == 1 and dist_info[0].startswith("paramlint-")
    assert tops - set(dist_info) == {"paramlint"}
    top_level = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    if top_level:  # setuptools writes it; other backends may not
        assert zipfile.ZipFile(wheel).read(top_level[0]).decode().split() == ["paramlint"]


def test_every_module_of_the_two_folders_is_in_the_wheel(wheel):
    # A subpackage missing from pyproject's `packages` would be left out
    # silently and fail only on import, on a user's machine.
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"paramlint/" + str(p.relative_to(REPO / "analyzer")).replace(os.sep, "/")
                for p in (REPO / "analyzer").rglob("*.py")}
    expected |= {"paramlint/rules/" + str(p.relative_to(REPO / "rules")).replace(os.sep, "/")
                 for p in (REPO / "rules").rglob("*.py")}
    assert expected - names == set()


def test_the_rule_entry_points_name_paramlint_rules(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    section = text.split("[paramlint.rules]")[1].split("\n[")[0]
    targets = [line.split("=", 1)[1].strip() for line in section.splitlines() if "=" in line]
    assert targets and all(t.startswith("paramlint.rules.") for t in targets)


def _shadowed_folder(tmp_path: Path) -> Path:
    """A project folder holding packages named rules and analyzer that must never load."""
    folder = tmp_path / "project"
    for name in ("rules", "analyzer"):
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(SHADOW.format(name=name))
    shutil.copy(REPO / "fixtures" / "alexnet.yaml", folder / "alexnet.yaml")
    return folder


def _builtin_codes() -> set[str]:
    from paramlint.lint.plugins import discover

    registry = discover()
    assert not registry.errors
    return {r.code for r in registry.rules if r.check.__module__.startswith("paramlint.rules.")}


@pytest.mark.parametrize("install", ["wheel", "editable"])
def test_local_rules_and_analyzer_folders_change_nothing(install, installed, tmp_path):
    folder = _shadowed_folder(tmp_path)
    path = [str(folder)] + ([str(installed)] if install == "wheel" else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}

    def paramlint(*args):
        return subprocess.run([sys.executable, "-m", "paramlint", *args], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=120)

    where = subprocess.run([sys.executable, "-c", "import paramlint; print(paramlint.__file__)"],
                           cwd=folder, env=env, capture_output=True, text=True)
    home = installed / "paramlint" if install == "wheel" else REPO / "analyzer"
    assert Path(where.stdout.strip()).parent == home, where.stdout + where.stderr

    listed = paramlint("rules")
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    codes = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert _builtin_codes() <= codes

    checked = paramlint("check", "--no-cache", "alexnet.yaml")
    assert checked.returncode == 1 and checked.stderr == "", checked.stderr
    assert "alexnet.yaml:19:5: PRM301 [warning]" in checked.stdout
