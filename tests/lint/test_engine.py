"""The engine keeps every failure inside its own file's report."""

import os

from paramlint.lint import engine
from paramlint.lint.engine import Settings, run_rules
from paramlint.run import pool
from paramlint.run.pool import analyze
from paramlint.ir.model import LoadError, Location
from paramlint.lint.rule import Rule

from ir_helpers import ModelBuilder


def crashing_rule():
    def check(model, ctx):
        raise ZeroDivisionError("boom")
        yield  # pragma: no cover

    return Rule(code="XYZ999", name="crashes", severity="warning", summary="crashes", check=check)


def test_rule_that_crashes_becomes_a_finding_naming_it():
    model = ModelBuilder().model
    found, _ = run_rules(model, [crashing_rule()], Settings())
    (f,) = found
    assert f.code == "XYZ999" and f.severity == "error"
    assert "internal error in rule XYZ999 (crashes)" in f.message and "boom" in f.message


def test_disabled_rule_does_not_run():
    found, _ = run_rules(ModelBuilder().model, [crashing_rule()], Settings(enabled=frozenset({"PRM301"})))
    assert found == []


def test_loader_bug_becomes_a_load_error_of_that_file(monkeypatch, tmp_path):
    def broken_loader(path):
        raise KeyError("oops")

    monkeypatch.setattr(engine.loaders.Loader, "loader", lambda self: broken_loader)
    path = tmp_path / "m.yaml"
    path.write_text("paramlint: 1\nlayers: []")
    model = engine.load_model(str(path))
    assert model.failed and "internal error while loading: KeyError" in model.error.message
    assert model.error.internal


def test_missing_path_is_a_load_error_saying_so(tmp_path):
    model = engine.load_model(str(tmp_path / "gone"))
    assert model.failed and model.error.message == "no such file"


def test_unknown_extension_is_a_load_error(tmp_path):
    path = tmp_path / "model.txt"
    path.write_text("x")
    model = engine.load_model(str(path))
    assert model.failed and "no loader" in model.error.message


def test_one_failed_file_does_not_stop_the_others(monkeypatch, tmp_path):
    good = ModelBuilder("good").model

    def loader(path):
        if "bad" in path:
            raise LoadError("broken on purpose", Location(path, line=3, column=1))
        return good

    monkeypatch.setattr(engine.loaders.Loader, "loader", lambda self: loader)
    paths = [str(tmp_path / "bad.yaml"), str(tmp_path / "good.yaml")]
    for path in paths:
        with open(path, "w") as handle:
            handle.write("paramlint: 1\n")
    reports = analyze(paths, Settings(), jobs=1)
    assert [r.failed for r in reports] == [True, False]
    (f,) = [f for f in reports[0].findings if f.code == "PRM001"]
    assert (f.line, f.column, f.message) == (3, 1, "broken on purpose")


def test_cache_hits_skip_analysis(monkeypatch):
    class DictCache(dict):
        def get(self, path):
            return dict.get(self, path)

        def put(self, path, report):
            self[path] = report

    calls = []

    def analyze_one(path, settings):
        calls.append(path)
        return engine.FileReport(path=path, document={"path": path})

    monkeypatch.setattr(pool, "screen", lambda paths: dict.fromkeys(paths, "paramlint-yaml"))
    cache = DictCache()
    analyze(["a.yaml", "b.yaml"], Settings(), cache=cache, analyze_one=analyze_one)
    second = analyze(["a.yaml", "b.yaml"], Settings(), cache=cache, analyze_one=analyze_one)
    assert calls == ["a.yaml", "b.yaml"]
    assert [r.path for r in second] == ["a.yaml", "b.yaml"]


def test_default_jobs_asks_the_worker_model(monkeypatch):
    from paramlint.run import workers

    monkeypatch.setattr(workers, "cores", lambda: 4)
    monkeypatch.setattr(workers, "busy", lambda: 0)
    monkeypatch.setattr(workers, "_size", lambda path: 200_000)
    assert pool.default_jobs([f"m{i}.yaml" for i in range(2)]) == 1
    assert pool.default_jobs([f"m{i}.onnx" for i in range(100)]) == 4
