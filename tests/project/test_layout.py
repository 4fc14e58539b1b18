"""The package is laid out as the architecture it has, and imports flow one way.

docs/architecture.md draws the layers. Each concern is one subpackage; a
module may import only the concerns below its own. The checker below
walks every import statement of ``analyzer/`` and ``rules/`` (lazy ones
inside functions and ``TYPE_CHECKING`` blocks included, since a lazy
upward import is still an upward dependency) and reports each that goes
up. ``test_the_checker_catches_an_upward_import`` shows it failing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "analyzer"
RULES = REPO / "rules"

#: What each concern may import, besides itself and the package root
#: (``paramlint.__version__``). The order is the layering: nothing here
#: may name a concern that names it back.
ALLOWED: dict[str, set[str]] = {
    "ir": set(),
    "support": {"ir"},
    "analysis": {"ir"},
    "loaders": {"ir", "support"},
    "lint": {"ir", "support", "analysis", "loaders"},
    "run": {"ir", "support", "analysis", "loaders", "lint"},
    "diff": {"ir", "support", "analysis", "loaders", "lint", "run"},
    "formats": {"ir", "analysis", "lint", "diff"},
    "cli": {"ir", "support", "analysis", "loaders", "lint", "run", "diff", "formats"},
    # Rules see the public rule API and the analyses, nothing that runs them.
    "rules": {"ir", "analysis", "lint.rule"},
}
#: Old import paths kept for third-party plugins: each only re-exports its new home.
SHIMS = {"rule": "lint.rule", "counting": "analysis.counting", "ops": "analysis.ops",
         "graph": "analysis.graph"}
#: The most modules the top of analyzer/ may hold besides __init__ and __main__.
MAX_TOP_MODULES = 6
MAX_LINES = 400


def module_name(path: Path) -> str:
    """``analyzer/lint/engine.py`` -> ``paramlint.lint.engine``; rules/ is paramlint.rules."""
    if path.is_relative_to(RULES):
        parts = ["paramlint", "rules", *path.relative_to(RULES).with_suffix("").parts]
    else:
        parts = ["paramlint", *path.relative_to(CORE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, name: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module ``source`` imports, absolute, with its line: ``from X import y``
    counts as ``X.y`` (y may be a submodule; the concern is X's either way)."""
    package = name if is_package else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def concern(module: str) -> str | None:
    """``paramlint.lint.engine`` -> ``lint``; the package root -> None; not ours -> None."""
    parts = module.split(".")
    if parts[0] != "paramlint" or len(parts) < 2:
        return None
    return parts[1]


def allowed(importer: str, imported: str) -> bool:
    mine, theirs = concern(importer), concern(imported)
    if theirs is None or theirs == "__version__" or mine == theirs:
        return True
    if importer == f"paramlint.{mine}" and mine in SHIMS:  # a top-level shim re-exports its home
        return imported.startswith(f"paramlint.{SHIMS[mine]}.")
    rest = imported[len("paramlint."):]
    return any(rest == ok or rest.startswith(ok + ".") for ok in ALLOWED.get(mine, set()))


def upward_imports(source: str, name: str, is_package: bool = False) -> list[str]:
    return [f"{name}:{line} imports {target}" for line, target in imports_of(source, name, is_package)
            if not allowed(name, target)]


def package_files() -> list[Path]:
    return sorted(p for p in [*CORE.rglob("*.py"), *RULES.rglob("*.py")] if "__pycache__" not in p.parts)


def test_imports_flow_down():
    problems = []
    for path in package_files():
        name = module_name(path)
        if name == "paramlint.__main__":
            continue
        problems += upward_imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
    assert problems == []


@pytest.mark.parametrize("importer, source", [
    ("paramlint.ir.model", "from paramlint.analysis.counting import count\n"),
    ("paramlint.analysis.macs", "def f():\n    from paramlint.loaders.onnx import ops\n"),
    ("paramlint.loaders.yaml.loader", "from ...lint.rule import Finding\n"),
    ("paramlint.formats.report.text", "from paramlint.rules import counts\n"),
    ("paramlint.formats.report.html", "from paramlint.loaders import claim\n"),
    ("paramlint.lint.engine", "from paramlint.run import workers\n"),
    ("paramlint.rules.counts", "from paramlint.lint.engine import analyze_file\n"),
    ("paramlint.rules.counts", "from paramlint.formats.findings import text\n"),
])
def test_the_checker_catches_an_upward_import(importer, source):
    """The same checker, fed one upward import (absolute, relative and lazy
    forms), reports it: the test above would fail on such a change."""
    assert len(upward_imports(source, importer)) == 1


def test_the_checker_lets_a_downward_import_through():
    assert upward_imports("from paramlint.ir.model import Layer\nfrom paramlint import __version__\n",
                          "paramlint.formats.report.text") == []
    assert upward_imports("from paramlint.lint.rule import Rule\nfrom paramlint.analysis.by_op import layers_of\n",
                          "paramlint.rules.twins") == []


def test_the_top_of_analyzer_holds_subpackages_not_modules():
    top = sorted(p.name for p in CORE.glob("*.py") if p.name not in {"__init__.py", "__main__.py"})
    assert len(top) <= MAX_TOP_MODULES, top
    assert {p.stem for p in CORE.glob("*.py")} - {"__init__", "__main__"} <= set(SHIMS)


def test_every_loader_is_its_own_subpackage():
    """The registry may sit beside helpers the formats share (tensor names),
    but every registered loader reads its files from a subpackage of its own."""
    from paramlint.loaders import LOADERS

    loaders = CORE / "loaders"
    assert {"onnx", "yaml", "keras", "ultralytics"} <= {p.name for p in loaders.iterdir() if p.is_dir()}
    for loader in LOADERS:
        module = loader.load.partition(":")[0]
        assert module.count(".") >= 2, f"{loader.name} loads from {module}, not a subpackage of its own"


def test_no_module_over_400_lines():
    long = {str(p.relative_to(REPO)): n for p in package_files()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_subpackage_says_what_it_owns():
    for init in CORE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{init.relative_to(REPO)} needs a docstring saying what it owns"


def test_tests_mirror_the_package():
    tests = REPO / "tests"
    concerns = {p.name for p in CORE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert concerns | {"rules"} <= {p.name for p in tests.iterdir() if p.is_dir()}
    for loader in ("onnx", "yaml", "keras", "ultralytics"):
        assert (tests / "loaders" / loader).is_dir()
    assert sorted(p.name for p in tests.glob("test_*.py")) == []  # every test in its concern's folder


def test_the_old_plugin_import_paths_still_work():
    """A third-party rule written against the flat layout imports unchanged."""
    from paramlint import counting, graph, ops, rule
    from paramlint.analysis import counting as new_counting, graph as new_graph, ops as new_ops
    from paramlint.ir import Layer, Model
    from paramlint.ir.model import Layer as new_layer, Model as new_model
    from paramlint.lint import rule as new_rule

    assert (rule.Rule, rule.Option, rule.Finding) == (new_rule.Rule, new_rule.Option, new_rule.Finding)
    assert counting.count is new_counting.count and graph.graph is new_graph.graph
    assert ops.is_activation is new_ops.is_activation
    assert (Layer, Model) == (new_layer, new_model)
