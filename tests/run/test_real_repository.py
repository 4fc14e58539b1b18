"""paramlint in an ordinary ML repository, full of YAML that is not a model.

The tree holds what such a repository holds (a GitHub workflow,
dependabot, the README's pre-commit recipe, docker compose, mkdocs, a conda
environment, Hydra configs, dvc, GitLab CI, an empty file, a label list)
and one architecture file: ``paramlint check .`` passes with no finding;
a broken architecture file added to it is a PRM001 with line and column.
The same through pre-commit, with the hook this repository ships.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

OTHER_YAML = {
    ".github/workflows/ci.yml": """\
        name: CI
        on:
          push:
            branches: [main]
          pull_request:
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ["3.10", "3.12"]
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ matrix.python }}
              - run: pip install -e '.[test]' && pytest
        """,
    ".github/dependabot.yml": """\
        version: 2
        updates:
          - package-ecosystem: pip
            directory: /
            schedule:
              interval: weekly
        """,
    "docker-compose.yml": """\
        services:
          trainer:
            build: .
            volumes: ["./data:/data"]
            environment:
              - CUDA_VISIBLE_DEVICES=0
          tensorboard:
            image: tensorflow/tensorflow
            ports: ["6006:6006"]
        """,
    "mkdocs.yml": """\
        site_name: Our models
        theme:
          name: material
        nav:
          - Home: index.md
          - Architecture: architecture.md
        markdown_extensions:
          - admonition
        """,
    "environment.yml": """\
        name: ml
        channels: [pytorch, conda-forge]
        dependencies:
          - python=3.11
          - pytorch
          - pip
          - pip:
              - paramlint
        """,
    "conf/config.yaml": """\
        defaults:
          - model: resnet
          - optimizer: adam
          - _self_
        trainer:
          max_epochs: 90
          precision: 16
        """,
    "conf/model/resnet.yaml": """\
        _target_: torchvision.models.resnet50
        layers: [3, 4, 6, 3]
        input: [3, 224, 224]
        num_classes: 1000
        """,
    "dvc.yaml": """\
        stages:
          train:
            cmd: python train.py
            deps: [data/train.csv, train.py]
            outs: [model.pt]
        """,
    ".gitlab-ci.yml": """\
        stages: [test]
        test:
          image: python:3.12
          script:
            - pip install -e '.[test]'
            - pytest
        """,
    "empty.yaml": "",
    "labels.yml": """\
        - name: bug
          color: d73a4a
        - name: model
          color: 0e8a16
        """,
}

ARCHITECTURE = """\
    # A small classifier: global pooling before the dense head.
    name: classifier
    input: [3, 32, 32]
    layers:
      - {name: conv1, type: conv2d, filters: 32, kernel: 3, padding: 1}
      - {type: relu}
      - {name: conv2, type: conv2d, filters: 64, kernel: 3, padding: 1}
      - {type: relu}
      - {name: gap, type: global_avgpool}
      - {name: head, type: dense, units: 10}
    """

BROKEN = """\
    paramlint: 1
    input: [3, 32, 32]
    layers:
      - {name: conv1, type: conv2d, filters: 32, kernel: 3
      - {type: relu}
    """


def dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


def readme_recipe() -> str:
    """The `.pre-commit-config.yaml` recipe as the README shows it."""
    readme = (REPO / "README.md").read_text()
    match = re.search(r"`\.pre-commit-config\.yaml`:\s*```yaml\n(.*?)```", readme, re.S)
    assert match, "the README shows a .pre-commit-config.yaml recipe"
    return match.group(1)


def repository(root: Path) -> Path:
    for name, text in OTHER_YAML.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    (root / ".pre-commit-config.yaml").write_text(readme_recipe())
    (root / "models").mkdir()
    (root / "models" / "classifier.yaml").write_text(dedent(ARCHITECTURE))
    return root


def paramlint(*args, cwd: Path):
    return subprocess.run([sys.executable, "-m", "paramlint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_check_dot_in_a_repository_full_of_other_yaml_passes_with_no_finding(tmp_path):
    root = repository(tmp_path / "repo")
    proc = paramlint("check", "--no-cache", ".", cwd=root)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stdout + proc.stderr
    assert proc.stdout.strip() == "All checks passed (1 file)."
    # Each file named by itself, as pre-commit passes them: nothing either.
    named = paramlint("check", "--no-cache", *OTHER_YAML, ".pre-commit-config.yaml", cwd=root)
    assert (named.returncode, named.stdout.strip()) == (0, "no model files found")


def test_a_broken_architecture_file_among_them_is_a_prm001_with_line_and_column(tmp_path):
    root = repository(tmp_path / "repo")
    (root / "models" / "broken.yaml").write_text(dedent(BROKEN))
    proc = paramlint("check", "--no-cache", ".", cwd=root)
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert re.fullmatch(r"models/broken\.yaml:5:5: PRM001 \[error\] YAML syntax error: .*", lines[0])
    assert lines[1:] == ["Found 1 finding (1 error) in 1 of 2 files."]


@pytest.mark.precommit
def test_pre_commit_with_the_readme_recipe_passes_on_that_repository(tmp_path):
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    assert Path(pre_commit).exists(), "pre-commit is installed by the test extra"
    assert "- id: paramlint" in readme_recipe()
    root = repository(tmp_path / "repo")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    env.pop("PRE_COMMIT", None)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)

    def try_repo():
        return subprocess.run([pre_commit, "try-repo", str(REPO), "paramlint", "--all-files"],
                              cwd=root, env=env, capture_output=True, text=True, timeout=900)

    passing = try_repo()
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert re.search(r"^paramlint\.+Passed$", passing.stdout, re.M), passing.stdout

    (root / "models" / "broken.yaml").write_text(dedent(BROKEN))
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    failing = try_repo()
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "models/broken.yaml:5:5: PRM001 [error] YAML syntax error" in failing.stdout
    hook_output = failing.stdout.split("paramlint...")[-1]
    assert not [name for name in OTHER_YAML if name in hook_output]


def test_this_repository_has_no_model_file_outside_fixtures_and_tests():
    # Its own YAML (.pre-commit-hooks.yaml, CI, docs) is not linted as models.
    import json

    proc = paramlint("check", "--no-cache", "-f", "json", ".", cwd=REPO)
    paths = [m["path"] for m in json.loads(proc.stdout)["models"]]
    assert paths and [p for p in paths if not p.startswith(("fixtures/", "tests/"))] == []
