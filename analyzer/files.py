"""Which files a run reads: paths given, folders walked by extension."""

from __future__ import annotations

import fnmatch
import os
from typing import Iterable

from .loaders import suffixes

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "node_modules",
                       ".paramlint_cache", ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


def excluded(path: str, patterns: Iterable[str]) -> bool:
    """Match a path, or any of its parts, against exclude globs (ruff-style)."""
    norm = path.replace(os.sep, "/")
    if norm.startswith("./"):
        norm = norm[2:]
    parts = norm.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(norm, pattern) or any(fnmatch.fnmatch(p, pattern) for p in parts):
            return True
    return False


def collect(paths: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """Files to analyse, in a stable order, each once.

    A file named explicitly is read whatever its extension's loader (an
    unknown one becomes a load error), as flake8 does; inside folders only
    known extensions are picked up and ``exclude`` applies.
    """
    exclude = list(exclude)
    known = suffixes()
    out: dict[str, None] = {}
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                                 and not excluded(os.path.join(root, d), exclude))
                for name in sorted(files):
                    full = os.path.join(root, name)
                    if name.lower().endswith(known) and not excluded(full, exclude):
                        out[os.path.normpath(full)] = None
        elif not excluded(path, exclude):
            out[os.path.normpath(path)] = None
    return list(out)
