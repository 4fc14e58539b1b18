"""A run survives its worst file, its worst rule, and Ctrl-C (CLI end to end).

* One bad file among many never stops the others; the exit status and the
  summary still count it (serial and parallel paths).
* A rule that raises becomes a finding of that file naming the rule; the
  other rules and files go on.
* Exit 2 only when paramlint cannot do its job (bad command line, bad
  configuration, unusable baseline); a broken model file is 1.
* A path given on the command line that does not exist is a PRM001 for
  that path saying so (like a file that cannot be read), never a crash or
  an exit 2: pre-commit passes deleted files' names in some setups, and
  one typo must not hide the other files' findings.
* Ctrl-C during `check --write-baseline` leaves no half-written baseline
  and nothing in the cache folder that the next run chokes on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from hostile_helpers import FIXTURES
from test_plugins import make_distribution

GOOD = ["lenet5.yaml", "alexnet.yaml", "vgg16.yaml", "resnet18.yaml"]
SUMMARY = re.compile(r"Found (\d+) findings? \(.*\) in (\d+) of (\d+) files?\.")


def paramlint(*args, cwd, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "paramlint", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def zoo(folder: Path, copies: int = 1) -> list[Path]:
    """Good fixtures (``copies`` of each), a broken model file of every kind,
    and YAML files that are not models (which a run skips without a finding)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(copies):
        for name in GOOD:
            dst = folder / f"{i:02d}_{name}"
            shutil.copy(FIXTURES / name, dst)
            files.append(dst)
    bad = {
        "bad_syntax.yaml": (FIXTURES / "broken_syntax.yaml").read_bytes(),
        "bad_field.yaml": (FIXTURES / "broken_field.yaml").read_bytes(),
        "binary.yml": b"paramlint: 1\n" + b"\x00\xff\xfe\x00" * 10,
        "garbage.onnx": b"\x0a\xff\xff\xff\xff\x0f" + b"junk" * 20,
        "empty.onnx": b"",
    }
    for name, blob in bad.items():
        (folder / name).write_bytes(blob)
        files.append(folder / name)
    for name, blob in NOT_MODELS.items():
        (folder / name).write_bytes(blob)
    return files


NOT_MODELS = {"empty.yaml": b"", "binary_data.yml": b"\x00\xff\xfe\x00" * 10,
              "compose.yaml": b"services:\n  web:\n    image: nginx\n"}


BAD_NAMES = {"bad_syntax.yaml", "bad_field.yaml", "binary.yml", "garbage.onnx", "empty.onnx"}


def _check_zoo(tmp_path, copies, jobs):
    files = zoo(tmp_path / "zoo", copies)
    proc = paramlint("check", "--no-cache", "--jobs", str(jobs), "-f", "json", "zoo", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    models = {Path(m["path"]).name: m for m in json.loads(proc.stdout)["models"]}
    assert set(models) == {f.name for f in files}
    for name, model in models.items():
        if name in BAD_NAMES:
            assert model["error"], name
            assert [f["code"] for f in model["findings"]] == ["PRM001"], name
        else:
            assert not model.get("error"), (name, model.get("error"))
            assert model["totals"]["params"] > 0
    text = paramlint("check", "--no-cache", "--jobs", str(jobs), "zoo", cwd=tmp_path)
    match = SUMMARY.search(text.stdout)
    assert match, text.stdout[-500:]
    assert int(match.group(3)) == len(files)
    prm001 = [ln for ln in text.stdout.splitlines() if " PRM001 " in ln]
    assert sorted(Path(ln.split(":")[0]).name for ln in prm001) == sorted(BAD_NAMES)


def test_bad_files_never_stop_the_others(tmp_path):
    _check_zoo(tmp_path, copies=1, jobs=1)  # 10 files, analysed in this process


def test_bad_files_never_stop_the_others_in_parallel(tmp_path):
    _check_zoo(tmp_path, copies=4, jobs=2)  # 22 files, spread over worker processes


CRASHING = """
from paramlint.lint.rule import Rule

def check(model, ctx):
    if any(layer.op == "dense" for layer in model.layers):
        raise ZeroDivisionError("boom in the plugin")
    return ()

RULE = Rule(code="CRASH001", name="crashes-on-dense", severity="warning",
            summary="raises on any model with a dense layer", check=check)
"""


def test_a_crashing_rule_becomes_a_finding_naming_it(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    make_distribution(plugins, "crash_rules", CRASHING, {"crash": "crash_rules:RULE"})
    work = tmp_path / "work"
    files = zoo(work, 1)
    env = {**os.environ, "PYTHONPATH": str(plugins)}
    proc = paramlint("check", "--no-cache", "-f", "json", ".", cwd=work, env=env)
    assert "Traceback" not in proc.stderr
    models = {Path(m["path"]).name: m for m in json.loads(proc.stdout)["models"]}
    assert set(models) == {f.name for f in files}
    for name in (f.name for f in files):
        codes = [f["code"] for f in models[name]["findings"]]
        if name in BAD_NAMES:
            assert codes == ["PRM001"], (name, codes)
            continue
        crash = [f for f in models[name]["findings"] if f["code"] == "CRASH001"]
        assert len(crash) == 1, (name, codes)
        assert "CRASH001" in crash[0]["message"] and "crashes-on-dense" in crash[0]["message"]
        assert "ZeroDivisionError: boom in the plugin" in crash[0]["message"]
        assert crash[0]["severity"] == "error"
        if "alexnet" in name or "vgg16" in name:  # the built-in rules still ran on it
            assert "PRM301" in codes, (name, codes)
    # A crashing rule is reported as an error finding of its file, and the
    # run exits 2: cli-and-rules.md lists "an internal error" under 2.
    assert proc.returncode == 2, proc.stderr


def test_exit_2_only_when_paramlint_cannot_do_its_job(tmp_path):
    model = tmp_path / "m.yaml"
    shutil.copy(FIXTURES / "lenet5.yaml", model)
    broken = tmp_path / "broken.yaml"
    shutil.copy(FIXTURES / "broken_syntax.yaml", broken)

    assert paramlint("check", "--no-cache", "--no-such-option", model, cwd=tmp_path).returncode == 2
    assert paramlint("check", "--no-cache", "-f", "yaml", model, cwd=tmp_path).returncode == 2
    assert paramlint("check", "--no-cache", "--fail-on", "fatal", model, cwd=tmp_path).returncode == 2
    assert paramlint("frobnicate", cwd=tmp_path).returncode == 2

    missing_config = paramlint("check", "--no-cache", "--config", tmp_path / "nope.toml", model, cwd=tmp_path)
    assert missing_config.returncode == 2 and "Traceback" not in missing_config.stderr

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(model, project / "m.yaml")
    (project / "pyproject.toml").write_text("[tool.paramlint]\nselekt = ['PRM301']\n")
    bad_key = paramlint("check", "--no-cache", "m.yaml", cwd=project)
    assert bad_key.returncode == 2 and "selekt" in bad_key.stderr and "Traceback" not in bad_key.stderr
    (project / "pyproject.toml").write_text("[tool.paramlint]\nselect = \n")
    bad_toml = paramlint("check", "--no-cache", "m.yaml", cwd=project)
    assert bad_toml.returncode == 2 and "Traceback" not in bad_toml.stderr
    (project / "pyproject.toml").write_text("[tool.paramlint.rules.dense-on-large-spatial]\nmin-spatial = 'big'\n")
    bad_option = paramlint("check", "--no-cache", "m.yaml", cwd=project)
    assert bad_option.returncode == 2 and "min-spatial" in bad_option.stderr

    corrupt = tmp_path / "baseline.json"
    corrupt.write_text('{"tool": "paramlint", "version": 1, "findings": [')
    bad_baseline = paramlint("check", "--no-cache", "--baseline", corrupt, model, cwd=tmp_path)
    assert bad_baseline.returncode == 2 and "Traceback" not in bad_baseline.stderr

    # a model that cannot be loaded is a finding, not a failure of paramlint
    only_broken = paramlint("check", "--no-cache", broken, cwd=tmp_path)
    assert only_broken.returncode == 1 and "PRM001" in only_broken.stdout


def test_a_missing_path_is_a_load_error_for_that_path(tmp_path):
    shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / "m.yaml")
    wanted = ["gone.yaml", "gone.onnx", "gone_folder", "gone_folder/", "no_suffix"]
    proc = paramlint("check", "--no-cache", "-f", "json", *wanted, "m.yaml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    models = {m["path"]: m for m in json.loads(proc.stdout)["models"]}
    assert not models["m.yaml"].get("error") and models["m.yaml"]["totals"]["params"] > 0
    for name in ("gone.yaml", "gone.onnx", "gone_folder", "no_suffix"):
        model = models[name]
        assert [f["code"] for f in model["findings"]] == ["PRM001"], name
        # it must say the path is not there, not that its suffix is unknown
        assert re.search(r"not found|no such file|does not exist", model["error"], re.I), (name, model["error"])


# ------------------------------------------------------------------ Ctrl-C


def _default_sigint() -> None:
    """In the child before exec: SIGINT back to its default disposition.

    A process started with SIGINT ignored (``nohup``, a shell's background
    job, some CI runners) passes SIG_IGN on to its children, and Python
    then installs no KeyboardInterrupt handler: the test's Ctrl-C would do
    nothing. A terminal user's paramlint starts with the default, so that
    is what the test gives it, however the test itself was started.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupted_run(work: Path, delay: float, baseline: Path, cache: Path) -> subprocess.CompletedProcess:
    proc = subprocess.Popen([sys.executable, "-m", "paramlint", "check", "--write-baseline", str(baseline),
                             "--jobs", "2", "--cache-dir", str(cache), "."], cwd=work, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            start_new_session=True, preexec_fn=_default_sigint)
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    except ProcessLookupError:
        pass  # already done
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"paramlint did not stop 60 s after Ctrl-C (delay {delay})\n{err[-2000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _assert_sound(baseline: Path, cache: Path):
    from paramlint.lint.baseline import load_baseline

    if baseline.exists():
        load_baseline(baseline)  # valid JSON and a valid baseline, or it raises
        json.loads(baseline.read_text())
    for entry in cache.rglob("*.json"):
        json.loads(entry.read_text())  # a real name always holds a whole entry


def test_ctrl_c_leaves_no_half_baseline_or_cache(tmp_path):
    work = tmp_path / "zoo"
    zoo(work, copies=12)  # ~50 files, the parallel path
    baseline = tmp_path / "baseline.json"
    cache = tmp_path / "cache"
    outcomes = []
    for delay in (0.05, 0.3, 0.6, 1.0, 1.5, 2.5):
        run = _interrupted_run(work, delay, baseline, cache)
        outcomes.append((delay, run.returncode, baseline.exists()))
        _assert_sound(baseline, cache)
        if run.returncode != 0:
            # interrupted: exit 130 (128 + SIGINT) with one line, no traceback,
            # and it must not claim a baseline it did not finish
            if "Fatal Python error: init_import_site" in run.stderr:
                continue  # Ctrl-C while the interpreter itself starts: CPython's exit, not ours
            if run.returncode == -signal.SIGINT:
                # the signal landed while the interpreter was shutting down after
                # the run had finished: killed by SIGINT, which a shell reports
                # as 130 too; whatever was written is whole (checked above)
                continue
            assert run.returncode == 130, (delay, run.returncode, run.stderr[-2000:])
            assert "Traceback" not in run.stderr and "paramlint: interrupted" in run.stderr
            assert "Wrote" not in run.stderr or baseline.exists()
        baseline.unlink(missing_ok=True)
    assert any(code == 130 for _, code, _ in outcomes), f"no run was interrupted: {outcomes}"

    # The next run neither chokes on what the interrupted ones left nor
    # trusts a half entry: same answers as a cold run without the cache.
    warm = paramlint("check", "-f", "json", "--cache-dir", cache, ".", cwd=work)
    cold = paramlint("check", "-f", "json", "--no-cache", ".", cwd=work)
    assert warm.returncode == cold.returncode == 1, warm.stderr
    assert "Traceback" not in warm.stderr
    assert json.loads(warm.stdout)["models"] == json.loads(cold.stdout)["models"]
    final = paramlint("check", "--write-baseline", baseline, "--cache-dir", cache, ".", cwd=work)
    assert final.returncode == 0, final.stderr
    _assert_sound(baseline, cache)
    assert paramlint("check", "--baseline", baseline, "--cache-dir", cache, ".", cwd=work).returncode == 0
