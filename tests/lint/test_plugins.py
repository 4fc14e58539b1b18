"""Rules arrive through the paramlint.rules entry points, third-party ones included."""

import subprocess
import sys
import textwrap

import pytest

from paramlint.lint import plugins


def make_distribution(root, name, module_source, entry_points):
    """A throwaway installed distribution: a module and its .dist-info on sys.path."""
    (root / f"{name}.py").write_text(textwrap.dedent(module_source))
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[paramlint.rules]\n{lines}\n")
    return root


PLUGIN = """
from paramlint.lint.rule import Rule

def check(model, ctx):
    for layer in model.layers:
        if layer.op == "dense":
            yield ctx.finding(f"dense layer {layer.name} spotted", layer=layer)

RULE = Rule(code="ACME001", name="no-dense", severity="warning",
            summary="spots dense layers", check=check)
BAD = Rule(code="acme", name="Bad Name", severity="loud", summary="x", check=check)
DUP = Rule(code="PRM301", name="dense-again", severity="info", summary="x", check=check)
"""


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    make_distribution(tmp_path, "acme_rules", PLUGIN, {
        "no-dense": "acme_rules:RULE",
        "bad": "acme_rules:BAD",
        "dup": "acme_rules:DUP",
        "missing": "acme_rules_gone:RULE",
    })
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    plugins.discover(refresh=True)


def test_builtin_rules_come_through_entry_points():
    codes = [r.code for r in plugins.discover(refresh=True).rules]
    for code in ("PRM001", "PRM002", "PRM101", "PRM201", "PRM202", "PRM301", "PRM302", "PRM401"):
        assert code in codes


def test_third_party_rule_is_discovered_and_broken_ones_are_named(plugin_path):
    registry = plugins.discover(refresh=True)
    assert "ACME001" in registry.by_code()
    errors = {e.plugin: e.message for e in registry.errors}
    assert "cannot be imported: ModuleNotFoundError" in errors["missing"]
    assert "bad code 'acme'" in errors["bad"] and "bad severity 'loud'" in errors["bad"]
    assert "already used by" in errors["dup"]
    assert registry.by_code()["PRM301"].name == "dense-on-large-spatial"


def test_third_party_findings_reach_the_command_line(plugin_path, tmp_path):
    model = tmp_path / "m.yaml"
    model.write_text("input: [8]\nlayers:\n  - {name: fc, type: dense, units: 4}\n")
    env_path = f"{plugin_path}"
    proc = subprocess.run([sys.executable, "-m", "paramlint", "check", str(model)],
                          capture_output=True, text=True, env={"PYTHONPATH": env_path, "PATH": ""})
    assert "ACME001 [warning] dense layer fc spotted" in proc.stdout
    assert "plugin 'missing' (acme_rules)" in proc.stderr
    assert proc.returncode == 2, "a broken plugin means paramlint could not do all of its job"
