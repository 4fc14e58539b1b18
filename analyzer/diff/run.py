"""One ``paramlint diff`` run: the two sides analysed, then compared.

Both sides go through the same run as ``check`` (configuration, rules,
suppressions), so a finding the diff calls new is one ``check`` would
report. The old side of ``--base REV`` is exported from git into a
temporary folder and reported under its repository path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

from .compare import ModelDiff, diff_reports
from paramlint.run.runner import Run, analyze_paths


def _reports(run: Run) -> dict[str, Any]:
    return {r.path: r for r in run.reports}


def diff_files(old: str, new: str, *, depth: int, options: dict[str, Any]) -> tuple[list[ModelDiff], Run]:
    """``paramlint diff OLD NEW``: one model against another, any formats."""
    for path in (old, new):
        if not os.path.isfile(path):
            raise FileNotFoundError(path)
    run = analyze_paths([old, new], **options)
    found = _reports(run)
    a, b = found.get(os.path.normpath(old)), found.get(os.path.normpath(new))
    if a is None and b is None:
        return [], run
    return [diff_reports(a, b, path=new if b else old, depth=depth)], run


def _export_old_side(rev: str, changes, root: Path, tmp: Path, shown) -> dict[str, str]:
    """Each old side's blob in a folder of its own under ``tmp`` (named by
    its place in the list, so no path from git is ever joined), keeping the
    file name the loaders claim by. The labels map each copy to its path
    in the repository."""
    from . import gitrev

    labels: dict[str, str] = {}
    for n, c in enumerate(changes):
        if c.old and c.old_blob:
            folder = tmp / str(n)
            folder.mkdir(mode=0o700)
            dest = folder / gitrev.safe_path(c.old).rsplit("/", 1)[-1]
            gitrev.export_blob(c.old_blob, root, dest)
            labels[os.path.normpath(str(dest))] = shown(c.old)
    return labels


@contextlib.contextmanager
def _removed_on_sigterm(tmp: Path):
    """SIGTERM (what a CI timeout sends) removes ``tmp`` and then ends the
    process by that signal, as SIGINT's KeyboardInterrupt does through the
    ``finally`` that removes it. Only the main thread can set a handler;
    elsewhere the default stays."""
    def on_term(signum, frame):
        shutil.rmtree(tmp, ignore_errors=True)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def diff_base(rev: str, paths: list[str], *, depth: int, options: dict[str, Any]
              ) -> tuple[list[ModelDiff], Run | None]:
    """``paramlint diff --base REV [PATH...]``: every changed model file."""
    from paramlint import loaders
    from . import gitrev

    cwd = Path.cwd()
    root = gitrev.repo_root(cwd)
    specs = [os.path.relpath(os.path.abspath(p), root) for p in paths]
    changes = gitrev.changed(rev, root, specs, loaders.suffixes())
    if not changes:
        return [], None

    def shown(repo_path: str) -> str:
        """A repository path as the user would type it from cwd."""
        return os.path.relpath(root / repo_path, cwd)

    new_paths = [shown(c.new) for c in changes if c.new]
    tmp = Path(tempfile.mkdtemp(prefix="paramlint-diff-"))
    try:
        with _removed_on_sigterm(tmp):
            labels = _export_old_side(rev, changes, root, tmp, shown)
            new_run = analyze_paths(new_paths, **options) if new_paths else None
            old_run = (analyze_paths(list(labels), **{**options, "no_cache": True}, labels=labels)
                       if labels else None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    new_found = _reports(new_run) if new_run else {}
    old_found = _reports(old_run) if old_run else {}
    diffs = []
    for c in changes:
        a = old_found.get(shown(c.old)) if c.old else None
        b = new_found.get(os.path.normpath(shown(c.new))) if c.new else None
        if a is None and b is None:
            continue  # not a model on either side (a YAML file that is not an architecture)
        diffs.append(diff_reports(a, b, path=shown(c.new or c.old), depth=depth))
    return diffs, new_run or old_run
