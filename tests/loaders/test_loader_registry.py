"""Which files are models: loaders claim files by content, the rest is skipped.

cli-and-rules.md, "Which files are models": a YAML file is linted only when
its content says it is an architecture (a top-level ``layers`` beside
``input``/``inputs``, or ``paramlint:``); any other YAML is skipped without
a finding, in folder walks and when named on the command line; a file that
claims to be an architecture and is broken is still a PRM001 with line and
column; a run that finds no model file says so and exits 0.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from paramlint import loaders
from paramlint.lint.engine import Settings
from paramlint.run.pool import analyze
from paramlint.loaders.yaml.claim import claims, keys_in

REPO = Path(__file__).resolve().parents[2]

NOT_ARCHITECTURES = {
    "workflow": "name: CI\non:\n  push:\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                "    steps:\n      - uses: actions/checkout@v4\n",
    "pre-commit": "repos:\n-   repo: https://github.com/psf/black\n    rev: 24.1.0\n"
                  "    hooks:\n    -   id: black\n",
    "compose": "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n",
    "hydra": "defaults:\n  - model: resnet\n  - _self_\ntrainer:\n  max_epochs: 10\n"
             "model:\n  layers: 18\n  input: 224\n",
    "keras-like layers without input": "layers:\n  - {type: dense}\n",
    "hydra resnet config": "_target_: torchvision.models.resnet50\nlayers: [3, 4, 6, 3]\n"
                           "input: [3, 224, 224]\n",
    "layer count": "layers: 18\ninput: [3, 224, 224]\n",
    "block list of numbers": "input: [3, 224, 224]\nlayers:\n  - 64\n  - 128\n",
    "layers as a mapping": "input: 224\nlayers:\n  depth: 50\n",
    "input without layers": "input: data/train.csv\noutput: out/\n",
    "empty": "",
    "comment only": "# nothing here\n",
    "label list": "- cat\n- dog\n- bird\n",
    "scalar": "42\n",
    "binary": "\x00\x01\x02",
    "json object": '{"name": "x", "version": 2}',
}

ARCHITECTURES = {
    "input first": "input: [3, 8, 8]\nlayers:\n  - {type: relu}\n",
    "inputs map": "inputs: {a: [4]}\nlayers: []\n",
    "layers first": "layers:\n  - {type: relu}\ninput: [4]\n",
    "version key only": "paramlint: 1\n",
    "quoted keys": '"input": [4]\n"layers": []\n',
    "flow style": "{input: [4], layers: [{type: relu}]}\n",
    "json": '{"input": [4], "layers": [{"type": "relu"}]}',
    "document marker and comments": "%YAML 1.2\n---\n# a model\ninput: [4]   # C\nlayers:\n- type: relu\n",
    "byte order mark": "\ufeffinput: [4]\nlayers: []\n",
    "windows line ends": "input: [4]\r\nlayers: []\r\n",
    "broken further down": "paramlint: 1\ninput: [3, 8, 8]\nlayers:\n  - {type: conv2d, filters: 4\n  - ]]]\n",
    "broken beside layers": "input: [3, 8, 8]\nlayers: [\n  {type: relu},\n  *nowhere\n",
    "block items": "input: [4]\nlayers:\n  - type: relu\n",
    "item on the next line": "input: [4]\nlayers:\n  -\n    type: relu\n",
    "anchored item": "input: [4]\nlayers:\n  - &c {type: relu}\n",
    "merge key item": "input: [4]\nlayers:\n  - <<: *conv\n    name: c1\n",
    "comment before the list": "input: [4]\nlayers:   # the stack\n  # first\n  - {type: relu}\n",
    "unfinished": "input: [4]\nlayers:\n",
}


@pytest.mark.parametrize("name", sorted(NOT_ARCHITECTURES))
def test_other_yaml_is_not_claimed(tmp_path, name):
    path = tmp_path / "f.yaml"
    path.write_bytes(NOT_ARCHITECTURES[name].encode())
    assert loaders.claim(str(path), path.read_bytes()) is None


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_architecture_files_are_claimed_by_the_paramlint_loader(tmp_path, name):
    path = tmp_path / "f.yml"
    path.write_bytes(ARCHITECTURES[name].encode())
    assert loaders.claim(str(path), path.read_bytes()).name == "paramlint-yaml"


def test_nested_keys_do_not_make_a_claim():
    # Hydra's model.layers / model.input are not the top level.
    assert keys_in(NOT_ARCHITECTURES["hydra"].encode()) == set()


def test_an_input_after_a_long_layer_list_is_still_found(tmp_path):
    body = "layers:\n" + "  - {type: relu}\n" * 4000 + "input: [4]\n"
    path = tmp_path / "long.yaml"
    path.write_text(body)
    head = body.encode()[:loaders.HEAD_BYTES]
    assert "input" not in keys_in(head)
    assert claims(str(path), head)


def test_onnx_files_are_claimed_by_extension_whatever_their_bytes(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"junk")
    assert loaders.claim(str(path), b"junk").name == "onnx"


def test_a_claim_that_raises_claims_the_file_so_the_failure_is_heard(monkeypatch):
    broken = loaders.Loader("broken", "yaml", (".yaml",), "paramlint.no_such_module:claims",
                            "paramlint.no_such_module:load")
    monkeypatch.setattr(loaders, "LOADERS", [broken, *loaders.LOADERS])
    assert loaders.claim("x.yaml", b"repos: []\n") is broken


def test_a_later_format_plugs_in_by_registering_a_loader(monkeypatch, tmp_path):
    # How the Ultralytics and Keras loaders join: suffixes + a claim + a load.
    monkeypatch.setattr(loaders, "LOADERS", list(loaders.LOADERS))
    loaders.register(loaders.Loader("test-format", "yaml", (".yaml",),
                                    "test_loader_registry:_claims_mymodel",
                                    "test_loader_registry:_load_nothing"))
    yolo = tmp_path / "mine.yaml"
    yolo.write_text("mymodel: []\n")
    ours = tmp_path / "ours.yaml"
    ours.write_text("input: [4]\nlayers: []\n")
    assert loaders.claim(str(yolo), yolo.read_bytes()).name == "test-format"
    assert loaders.claim(str(ours), ours.read_bytes()).name == "paramlint-yaml"
    assert ".yaml" in loaders.suffixes() and loaders.suffixes().count(".yaml") == 1


def _claims_mymodel(path: str, head: bytes) -> bool:
    return head.startswith(b"mymodel:")


def _load_nothing(path: str):  # pragma: no cover - only registered, never loaded
    raise AssertionError


# ------------------------------------------------------------------ runs

def run(*args, cwd: Path):
    proc = subprocess.run([sys.executable, "-m", "paramlint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    return proc


def test_a_run_that_finds_no_model_says_so_and_passes(tmp_path):
    (tmp_path / "emptydir").mkdir()
    proc = run("check", "--no-cache", "emptydir", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "no model files found"
    assert "passed" not in proc.stdout.lower()


def test_no_model_found_keeps_machine_output_parseable(tmp_path):
    import json

    (tmp_path / "ci.yml").write_text(NOT_ARCHITECTURES["workflow"])
    proc = run("check", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["models"] == []
    assert "no model files found" in proc.stderr
    report = run("report", "--no-cache", ".", cwd=tmp_path)
    assert (report.returncode, report.stdout.strip()) == (0, "no model files found")


def test_other_yaml_named_on_the_command_line_is_skipped(tmp_path):
    # pre-commit passes every changed YAML file by name.
    names = []
    for i, text in enumerate(NOT_ARCHITECTURES.values()):
        (tmp_path / f"f{i}.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        names.append(f"f{i}.yaml")
    (tmp_path / "model.yaml").write_text(ARCHITECTURES["input first"])
    proc = run("check", "--no-cache", *names, "model.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "All checks passed (1 file)."


def test_a_claimed_file_with_a_syntax_error_is_a_located_prm001(tmp_path):
    (tmp_path / "m.yaml").write_text(ARCHITECTURES["broken further down"])
    proc = run("check", "--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 1
    (line,) = [ln for ln in proc.stdout.splitlines() if "PRM001" in ln]
    assert line.startswith("m.yaml:5:5: PRM001 [error] YAML syntax error")


def test_a_path_that_is_missing_or_has_an_unknown_extension_is_still_reported(tmp_path):
    (tmp_path / "model.txt").write_text("input: [4]\n")
    proc = run("check", "--no-cache", "gone.yaml", "model.txt", cwd=tmp_path)
    assert proc.returncode == 1
    assert "gone.yaml: PRM001 [error] no such file" in proc.stdout
    assert "model.txt: PRM001 [error] no loader for files ending in '.txt'" in proc.stdout


def test_skipped_files_are_not_counted_in_the_engine(tmp_path):
    paths = []
    for name, text in [("a.yaml", "repos: []\n"), ("b.yaml", ARCHITECTURES["input first"])]:
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    assert [r.path for r in analyze(paths, Settings(), jobs=1)] == [paths[1]]


def test_a_yaml_only_run_imports_neither_onnx_nor_numpy(tmp_path):
    (tmp_path / "m.yaml").write_text(ARCHITECTURES["input first"])
    (tmp_path / "ci.yml").write_text(NOT_ARCHITECTURES["workflow"])
    code = ("import sys, runpy\n"
            "sys.argv = ['paramlint', 'check', '--no-cache', '.']\n"
            "try:\n    runpy.run_module('paramlint', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'onnx', 'numpy'}))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr
