"""`paramlint diff`: what a change does to a model, and the growth gate."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from paramlint.cli.app import main
from paramlint.diff.compare import Budget

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

#: A 16-filter conv net on 32x32x3 with global pooling and a 10-way head:
#: conv 3*3*3*16 + 16 = 448, head 16*10 + 10 = 170.
SMALL = """\
name: small
input: [3, 32, 32]
layers:
  - {name: conv, type: conv2d, filters: 16, kernel: 3, padding: 1}
  - {type: relu}
  - {name: pool, type: global_avgpool}
  - {name: classifier, type: dense, units: 10}
"""
#: The same with a 256-unit hidden dense layer before the classifier:
#: hidden 16*256 + 256 = 4,352, head 256*10 + 10 = 2,570, so +6,752.
WIDER = SMALL.replace("  - {name: classifier", "  - {name: hidden, type: dense, units: 256}\n"
                                                "  - {type: relu}\n  - {name: classifier")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(*args, cwd: Path | None = None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, ["diff", "--no-cache", *[str(a) for a in args]])
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def pair(tmp_path):
    return write(tmp_path, "old.yaml", SMALL), write(tmp_path, "new.yaml", WIDER)


def test_added_hidden_layer_and_total_change_in_text(pair):
    result = run(*pair)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any(line.split()[:3] == ["params", "618", "->"] and "+6,752" in line for line in lines)
    added = [line for line in lines if line.strip().startswith("+ hidden")]
    assert len(added) == 1 and "4,352" in added[0]
    changed = [line for line in lines if line.strip().startswith("~ classifier")]
    assert len(changed) == 1 and "170" in changed[0] and "2,570" in changed[0]
    assert "1 unchanged layer (448 params)" in result.output


def test_added_hidden_layer_and_total_change_in_json(pair):
    doc = json.loads(run(*pair, "-f", "json").output)
    (model,) = doc["models"]
    assert model["totals"]["params"] == {"before": 618, "after": 7370, "delta": 6752,
                                         "percent": pytest.approx(100 * 6752 / 618, abs=1e-3)}
    by_name = {row["name"]: row for row in model["layers"]}
    assert by_name["hidden"]["status"] == "added"
    assert by_name["hidden"]["after"]["params"] == 4352
    assert by_name["classifier"]["status"] == "changed"
    assert by_name["classifier"]["delta"]["params"] == 2400
    assert model["unchanged_layers"] == 1 and model["unchanged_params"] == 448
    assert doc["passed"] is True


def test_added_hidden_layer_and_total_change_in_markdown(pair):
    text = run(*pair, "-f", "markdown").output
    assert "| params | 618 | 7,370 | **+6,752 (+1092.6%)** |" in text
    assert "`hidden`" in text and "| ➕ |" in text
    assert len(text) <= 65_536


def test_percent_budget_fails_the_change_and_names_the_layers_first(pair):
    result = run(*pair, "--max-increase", "5%")
    assert result.exit_code == 1
    fail = [line for line in result.output.splitlines() if "FAIL" in line]
    assert len(fail) == 1
    assert "+6,752" in fail[0] and "5%" in fail[0]
    assert fail[0].index("hidden +4,352") < fail[0].index("classifier +2,400")
    first_table_row = result.output.index("+ hidden")
    assert result.output.index("FAIL") < first_table_row


def test_absolute_budget_passes_the_change(pair):
    assert run(*pair, "--max-increase", "10000").exit_code == 0
    assert run(*pair, "--max-increase", "6751").exit_code == 1
    assert run(*pair, "--max-increase", "6752").exit_code == 0


def test_budget_from_pyproject(pair, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.paramlint]\nmax-increase = "5%"\n')
    assert run("old.yaml", "new.yaml", cwd=tmp_path).exit_code == 1
    (tmp_path / "pyproject.toml").write_text("[tool.paramlint]\nmax-increase = 10000\n")
    assert run("old.yaml", "new.yaml", cwd=tmp_path).exit_code == 0


def test_bad_budget_in_configuration_is_exit_2_naming_the_key(pair, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.paramlint]\nmax-increase = "lots"\n')
    result = run("old.yaml", "new.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "max-increase" in result.output


@pytest.mark.parametrize("text, value, percent", [("5%", 5.0, True), ("10000", 10000.0, False),
                                                  ("1,000,000", 1e6, False), (" 2.5 % ", 2.5, True)])
def test_budget_parses_counts_and_percentages(text, value, percent):
    assert Budget.parse(text) == Budget(value, percent)


@pytest.mark.parametrize("text", ["", "five", "-3", "5%%", "nan", "inf"])
def test_budget_refuses_what_is_not_a_count_or_percentage(text):
    with pytest.raises(ValueError):
        Budget.parse(text)


def test_percent_budget_does_not_apply_to_an_added_file():
    assert not Budget.parse("5%").exceeded(0, 1000)
    assert Budget.parse("500").exceeded(0, 1000)


def test_macs_budget_uses_the_macs_figure(pair):
    # MACs by hand: hidden 16*256 = 4,096; classifier 256*10 - 16*10 = +2,400
    doc = json.loads(run(*pair, "-f", "json").output)
    assert doc["models"][0]["totals"]["macs"]["delta"] == 4096 + 2400
    result = run(*pair, "--max-macs-increase", "6495")
    assert result.exit_code == 1 and "MACs grew by +6,496" in result.output
    assert run(*pair, "--max-macs-increase", "6496").exit_code == 0


def test_renamed_layers_match_by_structure(tmp_path):
    old = write(tmp_path, "a.yaml", SMALL)
    new = write(tmp_path, "b.yaml", SMALL.replace("name: conv", "name: stem")
                .replace("name: classifier", "name: head"))
    doc = json.loads(run(old, new, "-f", "json").output)
    (model,) = doc["models"]
    assert model["layers"] == []
    assert model["unchanged_layers"] == 2
    assert any("renamed" in note and "structure" in note for note in model["notes"])


def test_resized_layer_under_a_new_name_is_a_change_not_an_add_and_remove(tmp_path):
    old = write(tmp_path, "a.yaml", SMALL)
    new = write(tmp_path, "b.yaml", SMALL.replace("name: conv, type: conv2d, filters: 16",
                                                  "name: stem, type: conv2d, filters: 32"))
    (model,) = json.loads(run(old, new, "-f", "json").output)["models"]
    statuses = {row["name"]: row["status"] for row in model["layers"]}
    assert statuses["stem"] == "changed"
    stem = next(row for row in model["layers"] if row["name"] == "stem")
    assert stem["old_name"] == "conv"
    assert stem["delta"]["params"] == (3 * 9 * 32 + 32) - 448


def test_findings_that_appear_and_disappear(tmp_path):
    lenet = (FIXTURES / "lenet5.yaml").read_text()
    old = write(tmp_path, "a.yaml", lenet)
    new = write(tmp_path, "b.yaml", SMALL)
    (model,) = json.loads(run(old, new, "-f", "json").output)["models"]
    fixed = [f for f in model["findings"] if f["status"] == "fixed"]
    assert any(f["code"] == "PRM301" for f in fixed)
    assert all(f["status"] in ("new", "fixed") for f in model["findings"])


def test_fail_on_makes_new_findings_fail(tmp_path):
    old = write(tmp_path, "a.yaml", SMALL)
    new = write(tmp_path, "b.yaml", (FIXTURES / "alexnet.yaml").read_text())
    assert run(old, new).exit_code == 0
    assert run(old, new, "--fail-on", "warning").exit_code == 1


def test_identical_files_have_an_empty_diff(tmp_path):
    old = write(tmp_path, "a.yaml", SMALL)
    new = write(tmp_path, "b.yaml", SMALL)
    (model,) = json.loads(run(old, new, "-f", "json").output)["models"]
    assert model["layers"] == [] and model["findings"] == [] and model["modules"] == []
    assert model["totals"]["params"]["delta"] == 0


def test_two_files_or_base_are_required(tmp_path):
    result = run(write(tmp_path, "a.yaml", SMALL))
    assert result.exit_code == 2


# -- git -------------------------------------------------------------------

def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "models").mkdir(parents=True)
    git(root, "init", "-q")
    write(root / "models", "changed.yaml", SMALL)
    write(root / "models", "deleted.yaml", (FIXTURES / "lenet5.yaml").read_text())
    write(root, "README.md", "not a model\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    write(root / "models", "changed.yaml", WIDER)
    (root / "models" / "deleted.yaml").unlink()
    write(root / "models", "added.yaml", (FIXTURES / "alexnet.yaml").read_text())
    return root


def test_base_reports_a_modified_an_added_and_a_deleted_model(repo):
    doc = json.loads(run("--base", "HEAD", "-f", "json", cwd=repo).output)
    status = {m["path"]: m["status"] for m in doc["models"]}
    assert status == {os.path.join("models", "added.yaml"): "added",
                      os.path.join("models", "changed.yaml"): "modified",
                      os.path.join("models", "deleted.yaml"): "deleted"}
    by_path = {m["path"]: m for m in doc["models"]}
    assert by_path[os.path.join("models", "changed.yaml")]["totals"]["params"]["delta"] == 6752
    assert by_path[os.path.join("models", "deleted.yaml")]["totals"]["params"]["after"] == 0
    assert by_path[os.path.join("models", "added.yaml")]["totals"]["params"]["after"] == 62_378_344


def test_base_reads_the_old_side_from_git_not_the_work_tree(repo):
    # the old version exists only in git's object store
    assert not (repo / "models" / "deleted.yaml").exists()
    doc = json.loads(run("--base", "HEAD", "-f", "json", cwd=repo).output)
    deleted = next(m for m in doc["models"] if m["status"] == "deleted")
    assert deleted["totals"]["params"]["before"] == 61_706


def test_base_from_a_subfolder_with_a_path(repo):
    doc = json.loads(run("--base", "HEAD", "-f", "json", ".", cwd=repo / "models").output)
    assert sorted(m["path"] for m in doc["models"]) == ["added.yaml", "changed.yaml", "deleted.yaml"]


def test_base_with_nothing_changed(repo):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "next")
    result = run("--base", "HEAD", cwd=repo)
    assert result.exit_code == 0 and "No model files changed" in result.output


def test_unknown_revision_is_exit_2(repo):
    result = run("--base", "no-such-rev", cwd=repo)
    assert result.exit_code == 2 and "no-such-rev" in result.output


def test_outside_a_repository_is_exit_2(tmp_path):
    result = run("--base", "HEAD", cwd=tmp_path)
    assert result.exit_code == 2


def test_github_annotations_on_the_layers_that_grew_with_repository_paths(repo):
    out = run("--base", "HEAD", "-f", "github", cwd=repo / "models").output
    grew = [line for line in out.splitlines() if "models/changed.yaml" in line and "::warning" in line]
    assert len(grew) == 2  # hidden added, classifier grew
    assert all(line.startswith("::warning file=models/changed.yaml,line=") for line in grew)


def test_hostile_layer_names_break_no_output(tmp_path):
    evil = "x\\n::error file=README.md,line=1::injected\\x1b[2J"
    old = write(tmp_path, "a.yaml", SMALL)
    new = write(tmp_path, "b.yaml", SMALL.replace("name: classifier", f'name: "{evil}"'))
    for fmt in ("text", "markdown", "github", "json"):
        out = run(old, new, "-f", fmt).output
        assert "\x1b" not in out
        assert not any(line.startswith("::error") for line in out.splitlines()), fmt


# -- real exports ------------------------------------------------------------

EXPORTS = FIXTURES / "exports" / "torchvision"
DIFF_FIXTURES = FIXTURES / "diff"


def diff_json(old: Path, new: Path, *args: str) -> dict:
    (model,) = json.loads(run(old, new, "-f", "json", *args).output)["models"]
    return model


def test_resnet18_to_resnet50_trainable_change_equals_torchs():
    truth = json.loads((DIFF_FIXTURES / "truth.json").read_text())
    model = diff_json(DIFF_FIXTURES / "resnet18.bn.ts.onnx", DIFF_FIXTURES / "resnet50.bn.ts.onnx")
    expected = truth["resnet50"]["trainable"] - truth["resnet18"]["trainable"]
    assert expected == 13_867_520
    assert model["totals"]["trainable"]["delta"] == expected
    assert model["totals"]["non_trainable"]["delta"] == (truth["resnet50"]["bn_running_stats"]
                                                          - truth["resnet18"]["bn_running_stats"])


def test_resnet18_to_resnet50_module_table_shows_where():
    model = diff_json(DIFF_FIXTURES / "resnet18.bn.ts.onnx", DIFF_FIXTURES / "resnet50.bn.ts.onnx")
    modules = {m["module"]: m["delta"]["params"] for m in model["modules"]}
    assert set(modules) == {"layer1", "layer2", "layer3", "layer4", "fc"}
    # fc: 2048*1000+1000 - (512*1000+1000)
    assert modules["fc"] == 1_536_000
    assert sum(modules.values()) == model["totals"]["params"]["delta"]
    # layers are shown by module path, not the exporter's node names
    assert any(row["module"] == "layer1.0.conv3" and row["status"] == "added" for row in model["layers"])


def test_folded_batch_norms_are_named_as_an_exporter_difference():
    model = diff_json(DIFF_FIXTURES / "resnet18.bn.ts.onnx", EXPORTS / "resnet18.ts.onnx")
    assert model["layers"] == [] and model["modules"] == []
    (note,) = [n for n in model["notes"] if "batch normalizations" in n]
    assert "20 batch normalizations" in note


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2",
                                  "squeezenet1_0", "googlenet", "densenet121", "efficientnet_b0",
                                  "convnext_tiny", "resnext50_32x4d", "shufflenet_v2_x1_0",
                                  "vit_b_16"])
def test_torchscript_and_dynamo_exports_of_one_model_diff_empty(name):
    model = diff_json(EXPORTS / f"{name}.ts.onnx", EXPORTS / f"{name}.dynamo.onnx")
    assert model["layers"] == [], [row["name"] for row in model["layers"]][:5]
    assert model["totals"]["params"]["delta"] == 0
    assert model["unchanged_layers"] > 0
    assert any("renamed" in note for note in model["notes"])


def test_active_params_shown_only_where_a_mixture_of_experts_makes_them_differ(tmp_path, pair):
    assert "active params" not in run(*pair).output
    mixtral = (FIXTURES / "mixtral-8x7b.yaml").read_text()
    old = write(tmp_path, "m1.yaml", mixtral)
    new = write(tmp_path, "m2.yaml", mixtral.replace("top_k: 2", "top_k: 3"))
    model = diff_json(old, new)
    active = model["totals"]["active_params"]
    assert active["delta"] > 0 and model["totals"]["params"]["delta"] == 0
    assert "active params" in run(old, new).output
