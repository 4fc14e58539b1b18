"""Runs loaders and rules over files and collects one FileReport each.

Everything that can go wrong inside one file stays inside that file's
report: a load failure becomes a failed model, a crashing rule becomes a
finding naming the rule. Only the caller decides exit statuses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

from . import loaders
from .errors import LoadError, Location
from .files import read_head
from .gc_pause import cyclic_gc_paused
from .results import FileReport
from .rule import Finding, Rule, RuleContext

if TYPE_CHECKING:  # the IR is built only when a file is analysed (not on a warm run)
    from .ir import Model

@dataclass
class Settings:
    """What the configuration decides about a run, in picklable form."""

    enabled: frozenset[str] | None = None  # None: every rule
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def is_enabled(self, code: str) -> bool:
        return self.enabled is None or code in self.enabled


class ResultCache(Protocol):
    def get(self, path: str) -> FileReport | None: ...
    def put(self, path: str, report: FileReport) -> None: ...


class NotAModel(Exception):
    """No loader claims the file: it is skipped without a finding."""


def identify(path: str) -> loaders.Loader:
    """The loader that claims ``path``, from the first bytes of the vetted file.

    Raises ``LoadError`` when the file cannot be a model of any format
    (missing, unreadable, not a regular file, an extension no loader
    reads: the user named it, so they hear why), ``NotAModel`` when it
    can be read but no loader claims it.
    """
    if not os.path.lexists(path):
        loader = loaders.standing_in(path)
        if loader is None:
            raise LoadError("no such file", Location(path))
        return loader
    if not loaders.candidates(path):
        raise LoadError(f"no loader for files ending in {os.path.splitext(path)[1] or '(none)'!r}"
                        f" (paramlint reads {', '.join(loaders.suffixes())})", Location(path))
    loader = loaders.claim(path, read_head(path, loaders.HEAD_BYTES))
    if loader is None:
        raise NotAModel(path)
    return loader


def load_model(path: str, loader: loaders.Loader | None = None) -> Model:
    """Load one file with ``loader`` (by default: the claimer); never raises.

    Asked for a file no loader claims, it lets the first loader for its
    extension try and say what is wrong: a caller that names one file to
    load wants the reason, while ``analyze`` skips such files before.
    """
    fmt = loader.format if loader is not None else os.path.splitext(path)[1].lstrip(".").lower()
    fmt = "yaml" if fmt == "yml" else fmt
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        if loader is None:
            try:
                loader = identify(path)
            except NotAModel:
                loader = loaders.candidates(path)[0]
            fmt = loader.format
        return loader.loader()(path)
    except LoadError as exc:
        error = exc
    except RecursionError:
        error = LoadError("structure nested too deeply to read", Location(path))
    except MemoryError:
        error = LoadError("out of memory while reading", Location(path))
    except Exception as exc:  # a loader bug must not cost the other files
        error = LoadError(f"internal error while loading: {type(exc).__name__}: {exc}",
                          Location(path), internal=True)
    if error.location is None:
        error.location = Location(path)
    from .ir import Model

    return Model(path=path, format=fmt, name=name, error=error)


def run_rules(model: Model, rules: Iterable[Rule], settings: Settings) -> tuple[list[Finding], dict[str, Any]]:
    findings: list[Finding] = []
    metrics: dict[str, Any] = {}
    for rule in rules:
        enabled = settings.is_enabled(rule.code)
        if not enabled and rule.metrics is None:
            continue
        if model.failed and not rule.on_failed:
            continue
        options = {**rule.defaults(), **settings.options.get(rule.code, {})}
        ctx = RuleContext(rule, model, options)
        try:
            if rule.metrics is not None:
                metrics.update(rule.metrics(model, ctx))
            if enabled:
                findings.extend(rule.check(model, ctx))
        except Exception as exc:
            findings.append(Finding(
                code=rule.code, rule=rule.name, severity="error", path=model.path,
                message=f"internal error in rule {rule.code} ({rule.name}): {type(exc).__name__}: {exc}",
                extra={"internal_error": True}))
    return findings, metrics


def analyze_file(path: str, settings: Settings, rules: list[Rule] | None = None,
                 loader: str | None = None) -> FileReport:
    """Load one file (with the named loader, else the claimer) and run the rules on it."""
    return report_of(load_model(path, loaders.by_name(loader) if loader else None), settings, rules)


def report_of(model: Model, settings: Settings, rules: list[Rule] | None = None) -> FileReport:
    """Run the rules on a loaded (or failed) model: its FileReport."""
    # Imported here: a run whose files are all cache hits needs neither the
    # rules nor the report builder (nor counting).
    from .plugins import discover
    from .report import build_document

    if rules is None:
        rules = discover().rules
    # paused while passes, rules and the document allocate; what the file
    # made (the loader's frozen objects too) then joins the oldest generation
    with cyclic_gc_paused(keep_frozen=False):
        findings, metrics = run_rules(model, rules, settings)
        document = build_document(model, metrics.get("counts"))
    findings.sort(key=lambda f: (f.line or 0, f.node_index or 0, f.code))
    return FileReport(path=model.path, document=document, findings=findings)


def default_jobs(paths: list[str]) -> int:
    """Worker processes for these files when the user did not say: as many
    as are predicted to win from the files' sizes and the cores (workers.py)."""
    if len(paths) < 3:
        return 1  # the parent analyses the first file itself: no pool to share the rest
    from .workers import choose

    return choose(paths)


def _worker(args: tuple[str, Settings, str | None]) -> FileReport:
    path, settings, loader = args
    return analyze_file(path, settings, loader=loader)


def screen(paths: list[str]) -> dict[str, str | None]:
    """The model files among ``paths``, each with the name of its claiming loader.

    A file no loader claims is left out (not a model, no finding); a file
    that cannot be read at all stays in with no loader, so that loading it
    reports why (PRM001).
    """
    out: dict[str, str | None] = {}
    for path in paths:
        try:
            out[path] = identify(path).name
        except NotAModel:
            continue
        except LoadError:
            out[path] = None
    return out


def _init_worker(parent: int) -> None:
    """A worker leaves Ctrl-C to its parent and dies with it."""
    import signal

    from .isolate import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


#: Said of the one file a worker was analysing when it died.
WORKER_DIED = "paramlint's worker process died while analysing this file"


def _died(path: str, settings: Settings) -> FileReport:
    name, suffix = os.path.splitext(os.path.basename(path))
    fmt = suffix.lstrip(".").lower()
    from .ir import Model

    model = Model(path=path, format="yaml" if fmt == "yml" else fmt, name=name,
                  error=LoadError(WORKER_DIED, Location(path)))
    return report_of(model, settings)


def _pool(workers: int):
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                               initargs=(os.getpid(),))


def _stop(pool) -> None:
    """Shut a pool down now: pending work cancelled, workers killed."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.kill()
        except Exception:
            pass
    for process in processes:
        try:
            process.join(5)
        except Exception:
            pass


def _parallel(todo: list[tuple[str, Settings, str | None]], workers: int) -> list[FileReport]:
    """``analyze_file`` of every path in worker processes.

    A worker that dies (a signal, the kernel's OOM killer) breaks the whole
    pool; the files not finished are then run one at a time in a pool of
    one, so that a death costs exactly the file it happened on.
    """
    from concurrent.futures.process import BrokenProcessPool

    done: list[FileReport] = []
    chunk = max(1, len(todo) // (workers * 4))
    pool = _pool(workers)
    try:
        for report in pool.map(_worker, todo, chunksize=chunk):
            done.append(report)
    except BrokenProcessPool:
        pass
    finally:
        _stop(pool)
    single = None
    try:
        for args in todo[len(done):]:
            if single is None:
                single = _pool(1)
            try:
                done.append(single.submit(_worker, args).result())
            except BrokenProcessPool:
                _stop(single)
                single = None
                done.append(_died(args[0], args[1]))
    finally:
        if single is not None:
            _stop(single)
    return done


def analyze(
    paths: list[str],
    settings: Settings,
    cache: ResultCache | None = None,
    jobs: int | None = None,
    analyze_one: Callable[[str, Settings], FileReport] = analyze_file,
) -> list[FileReport]:
    """Analyse the model files among ``paths`` in order, from the cache where it can,
    in parallel when many. Files that no loader claims are not models: no report."""
    claimed = screen(paths)
    paths = list(claimed)
    results: dict[str, FileReport] = {}
    todo = []
    for path in paths:
        hit = cache.get(path) if cache is not None and claimed[path] else None
        if hit is not None:
            results[path] = hit
        else:
            todo.append(path)
    workers = jobs if jobs is not None else default_jobs(todo)
    if workers > 1 and len(todo) > 2 and analyze_one is analyze_file:
        # The first file analysed here, before the workers start: what it
        # imports (onnx, the rules, the report builder) is then inherited by
        # every forked worker instead of being imported again in each one.
        first = analyze_file(todo[0], settings, loader=claimed[todo[0]])
        fresh = [first] + _parallel([(p, settings, claimed[p]) for p in todo[1:]], workers)
    elif analyze_one is analyze_file:
        fresh = [analyze_file(p, settings, loader=claimed[p]) for p in todo]
    else:
        fresh = [analyze_one(p, settings) for p in todo]
    for path, report in zip(todo, fresh):
        results[path] = report
        if cache is not None:
            cache.put(path, report)
    return [results[p] for p in paths]
