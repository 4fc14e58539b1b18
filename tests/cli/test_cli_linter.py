"""The linter end to end: configuration, suppressions, baselines, cache, formats, hook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import paramlint.loaders
from paramlint.cli.app import main

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"

# Two dense layers on an 8x8 map: each is a PRM301 (spatial size 64 >= 16).
TWO_DENSE = """\
inputs: {img: [64, 8, 8]}
layers:
  - {name: conv, type: conv2d, filters: 64, kernel: 1, inputs: [img]}
  - {name: fc1, type: dense, units: 10, inputs: [conv]}
  - {name: fc2, type: dense, units: 10, inputs: [conv]}
"""
CLEAN = """\
input: [3, 8, 8]
layers:
  - {name: conv, type: conv2d, filters: 4, kernel: 3}
"""


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder as cwd, so config discovery and the cache stay inside it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def findings_json(result) -> list[tuple[str, str, str | None]]:
    doc = json.loads(result.output)
    return [(Path(m["path"]).name, f["code"], f["layer"])
            for m in doc["models"] for f in m["findings"]]


# ------------------------------------------------------------------ suppressions

def test_yaml_noqa_silences_exactly_that_code_on_that_layer(project):
    text = TWO_DENSE.replace("inputs: [conv]}\n  - {name: fc2",
                             "inputs: [conv]}  # noqa: PRM301\n  - {name: fc2")
    write(project / "m.yaml", text)
    before = findings_json(run("check", "-f", "json", "--no-cache", "--select", "PRM3",
                               write(project / "plain.yaml", TWO_DENSE)))
    assert ("plain.yaml", "PRM301", "fc1") in before and ("plain.yaml", "PRM301", "fc2") in before
    after = findings_json(run("check", "-f", "json", "--no-cache", "--select", "PRM3",
                              project / "m.yaml"))
    assert ("m.yaml", "PRM301", "fc1") not in after
    assert ("m.yaml", "PRM301", "fc2") in after


def test_per_file_and_per_layer_ignores_from_pyproject(project):
    write(project / "pyproject.toml", """
[tool.paramlint]
select = ["PRM301"]
[tool.paramlint.per-file-ignores]
"legacy/*" = ["PRM3"]
[tool.paramlint.per-layer-ignores]
"fc2" = ["PRM301"]
""")
    write(project / "legacy" / "old.yaml", TWO_DENSE)
    write(project / "models" / "new.yaml", TWO_DENSE)
    result = run("check", "-f", "json", ".")
    assert findings_json(result) == [("new.yaml", "PRM301", "fc1")]
    assert result.exit_code == 1


def test_statistics_say_how_many_were_suppressed(project):
    write(project / "m.yaml",
          TWO_DENSE.replace("[conv]}\n  - {name: fc2", "[conv]}  # noqa\n  - {name: fc2"))
    result = run("check", "--statistics", "--select", "PRM301", "m.yaml")
    assert "Suppressed: 1 by noqa or ignores." in result.output
    assert "1  PRM301  dense-on-large-spatial" in result.output


# ------------------------------------------------------------------ baseline

def test_baseline_passes_today_and_fails_on_a_new_dense_layer(project):
    model = write(project / "models" / "m.yaml", TWO_DENSE)
    wrote = run("check", "--write-baseline", "baseline.json", "models")
    assert wrote.exit_code == 0
    assert json.loads((project / "baseline.json").read_text())["findings"]
    assert run("check", "models").exit_code == 1
    assert run("check", "--baseline", "baseline.json", "models").exit_code == 0

    # An unrelated edit above moves every line: still known.
    model.write_text("# a comment\n" + TWO_DENSE)
    assert run("check", "--baseline", "baseline.json", "models").exit_code == 0

    model.write_text("# a comment\n" + TWO_DENSE +
                     "  - {name: fc3, type: dense, units: 10, inputs: [conv]}\n")
    result = run("check", "-f", "json", "--baseline", "baseline.json", "models")
    assert result.exit_code == 1
    assert {(code, layer) for _, code, layer in findings_json(result)} == {("PRM301", "fc3")}


def test_a_corrupt_baseline_exits_2_with_one_line(project):
    write(project / "m.yaml", TWO_DENSE)
    write(project / "baseline.json", '{"version": 1, "findings": [')
    result = run("check", "--baseline", "baseline.json", "m.yaml")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "baseline.json" in lines[0] and "corrupt" in lines[0]
    assert "Traceback" not in result.output


# ------------------------------------------------------------------ configuration

def test_configuration_error_exits_2_naming_the_key_without_traceback(project):
    write(project / "paramlint.toml", "[rules.dense-on-large-spatial]\nmin-spacial = 4\n")
    write(project / "m.yaml", CLEAN)
    result = run("check", "m.yaml")
    assert result.exit_code == 2
    assert "min-spacial" in result.output and "did you mean 'min-spatial'" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_unknown_code_on_the_command_line_exits_2(project):
    write(project / "m.yaml", CLEAN)
    result = run("check", "--select", "PRM3O1", "m.yaml")
    assert result.exit_code == 2 and "PRM3O1" in result.output


def test_rule_options_come_from_the_configuration(project):
    write(project / "m.yaml", TWO_DENSE)
    assert run("check", "--select", "PRM301", "m.yaml").exit_code == 1
    write(project / "paramlint.toml", "[rules.PRM301]\nmin-spatial = 65\n")
    assert run("check", "--select", "PRM301", "m.yaml").exit_code == 0


def test_explicit_config_file_is_used(project):
    write(project / "m.yaml", TWO_DENSE)
    write(project / "ci" / "lenient.toml", 'ignore = ["PRM3"]\n')
    assert run("check", "--config", "ci/lenient.toml", "m.yaml").exit_code == 0
    assert run("check", "--config", "ci/missing.toml", "m.yaml").exit_code == 2


def test_configured_paths_and_exclude_drive_a_bare_check(project):
    write(project / "paramlint.toml", 'paths = ["models"]\nexclude = ["generated"]\n')
    write(project / "models" / "ok.yaml", CLEAN)
    write(project / "models" / "generated" / "bad.yaml", TWO_DENSE)
    write(project / "elsewhere" / "bad.yaml", TWO_DENSE)
    result = run("check", "-f", "json")
    assert [Path(m["path"]).name for m in json.loads(result.output)["models"]] == ["ok.yaml"]
    assert result.exit_code == 0


def test_config_is_found_from_a_subfolder(project, monkeypatch):
    write(project / "pyproject.toml", '[tool.paramlint]\nignore = ["PRM3"]\n')
    write(project / "sub" / "m.yaml", TWO_DENSE)
    monkeypatch.chdir(project / "sub")
    assert run("check", "m.yaml").exit_code == 0


# ------------------------------------------------------------------ exit status

def test_fail_on_and_exit_zero(project):
    write(project / "m.yaml", TWO_DENSE)
    assert run("check", "m.yaml").exit_code == 1
    assert run("check", "--fail-on", "error", "m.yaml").exit_code == 0
    assert run("check", "--exit-zero", "m.yaml").exit_code == 0
    write(project / "paramlint.toml", 'fail-on = "error"\n')
    assert run("check", "m.yaml").exit_code == 0
    assert run("check", "--fail-on", "warning", "m.yaml").exit_code == 1


def test_a_file_that_cannot_be_loaded_fails_the_run(project):
    write(project / "bad.yaml", "input: [3]\nlayers: [\n")
    write(project / "ok.yaml", CLEAN)
    result = run("check", "-f", "json", "bad.yaml", "ok.yaml")
    assert result.exit_code == 1
    assert [code for _, code, _ in findings_json(result)] == ["PRM001"]


def test_quiet_prints_nothing_but_keeps_the_status(project):
    write(project / "m.yaml", TWO_DENSE)
    result = run("check", "--quiet", "m.yaml")
    assert result.exit_code == 1 and result.output.strip() == ""


# ------------------------------------------------------------------ formats

def test_every_check_format_renders_the_same_findings(project):
    write(project / "m.yaml", TWO_DENSE)
    args = ("check", "--select", "PRM301", "m.yaml")
    sarif = json.loads(run(*args, "-f", "sarif").output)
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"]
            for r in sarif["runs"][0]["results"]] == [4, 5]
    github = run(*args, "-f", "github").output.splitlines()
    assert [ln.split(",")[1] for ln in github] == ["line=4", "line=5"]
    gitlab = json.loads(run(*args, "-f", "gitlab").output)
    assert [i["location"]["lines"]["begin"] for i in gitlab] == [4, 5]
    junit = ET.fromstring(run(*args, "-f", "junit").output)
    assert len(junit.findall(".//failure")) == 2


def test_report_markdown_has_the_layer_table(project):
    result = run("report", "--format", "markdown", FIXTURES / "alexnet.yaml")
    assert result.exit_code == 0
    assert "## alexnet" in result.output
    assert "| conv1 | conv2d | [96, 55, 55] | 34,944 | 105,415,200 | 105,705,600 | 3025× |" in result.output
    assert "| Parameters | 62,378,344 |" in result.output


# ------------------------------------------------------------------ cache

def test_a_warm_cache_reads_none_of_200_files(project, monkeypatch):
    for i in range(200):
        write(project / "zoo" / f"m{i:03}.yaml", TWO_DENSE if i % 2 else CLEAN)
    cold = run("check", "-f", "json", "zoo")
    assert len(json.loads(cold.output)["models"]) == 200

    calls = []
    real = paramlint.loaders.Loader.loader

    def counting(self):
        def load(path):
            calls.append(path)
            return real(self)(path)
        return load

    monkeypatch.setattr(paramlint.loaders.Loader, "loader", counting)
    warm = run("check", "-f", "json", "zoo")
    assert calls == []
    assert warm.output == cold.output and warm.exit_code == cold.exit_code == 1

    # Touching one file's content re-reads exactly that file.
    (project / "zoo" / "m001.yaml").write_text("# edited\n" + TWO_DENSE)
    run("check", "zoo")
    assert calls == [os.path.join("zoo", "m001.yaml")]
    # And --no-cache reads them all again.
    calls.clear()
    run("check", "--no-cache", "--select", "PRM301", "zoo/m000.yaml", "zoo/m002.yaml")
    assert len(calls) == 2


def test_cached_results_are_still_silenced_by_new_noqa_and_config(project):
    write(project / "m.yaml", TWO_DENSE)
    assert run("check", "--select", "PRM301", "m.yaml").exit_code == 1
    write(project / "paramlint.toml", '[per-layer-ignores]\n"fc*" = ["PRM301"]\n')
    assert run("check", "--select", "PRM301", "m.yaml").exit_code == 0


def test_cache_dir_option_and_default_location(project):
    write(project / "m.yaml", CLEAN)
    run("check", "m.yaml")
    assert (project / ".paramlint_cache" / "CACHEDIR.TAG").is_file()
    run("check", "--cache-dir", "elsewhere", "m.yaml")
    assert (project / "elsewhere" / ".gitignore").read_text().splitlines()[-1] == "*"


# ------------------------------------------------------------------ pre-commit

@pytest.mark.precommit
def test_pre_commit_try_repo_runs_the_hook(tmp_path):
    """The hook as a user gets it: pre-commit builds a venv and pip-installs
    this repository (from the package index pip is configured with)."""
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    assert Path(pre_commit).exists(), "pre-commit is installed by the test extra"
    assert (REPO / ".pre-commit-hooks.yaml").is_file()
    user = tmp_path / "user-repo"
    user.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=user, check=True)
    shutil.copy(FIXTURES / "alexnet.yaml", user / "model.yaml")
    write(user / "clean.yaml", CLEAN)
    write(user / "notes.txt", "not a model\n")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    env.pop("PRE_COMMIT", None)

    def try_repo(*files):
        return subprocess.run([pre_commit, "try-repo", str(REPO), "paramlint", "--files", *files],
                              cwd=user, env=env, capture_output=True, text=True)

    failing = try_repo("model.yaml", "notes.txt")
    out = failing.stdout + failing.stderr
    assert failing.returncode == 1, out
    assert "model.yaml:19:5: PRM301" in out and "notes.txt" not in out.split("paramlint...")[-1]
    passing = try_repo("clean.yaml")
    assert passing.returncode == 0, passing.stdout + passing.stderr
