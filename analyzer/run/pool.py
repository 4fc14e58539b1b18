"""Many files through the engine: which are models, the cache, and worker processes.

``analyze`` is what a run calls: it screens the paths (a file no loader
claims is not a model), takes what the cache has, and analyses the rest
with ``paramlint.lint.engine.analyze_file``, in a pool of worker processes
when the cost model (workers.py) predicts that many win. A worker that
dies costs only the file it was on.
"""

from __future__ import annotations

import os
from typing import Callable

from paramlint.ir.errors import LoadError, Location
from paramlint.lint.engine import NotAModel, ResultCache, Settings, analyze_file, identify, report_of
from paramlint.lint.results import FileReport


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

    from paramlint.support.isolate import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


#: Said of the one file a worker was analysing when it died.
WORKER_DIED = "paramlint's worker process died while analysing this file"


def _died(path: str, settings: Settings) -> FileReport:
    name, suffix = os.path.splitext(os.path.basename(path))
    fmt = suffix.lstrip(".").lower()
    from paramlint.ir.model import Model

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
