"""Which files a run reads: paths given, folders walked by extension."""

from __future__ import annotations

import os
from typing import Callable, Iterable

from .loaders import suffixes

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "node_modules",
                       ".paramlint_cache", ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


def collect(paths: Iterable[str], excluded: Callable[[str], bool] = lambda path: False) -> list[str]:
    """Files to analyse, in a stable order, each once.

    A file named explicitly is read whatever its extension (an unknown one
    becomes a load error), as flake8 does; inside folders only known
    extensions are picked up. ``excluded`` applies to both, because
    pre-commit names every changed file.
    """
    known = suffixes()
    out: dict[str, None] = {}
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                                 and not excluded(os.path.join(root, d)))
                for name in sorted(files):
                    full = os.path.join(root, name)
                    if name.lower().endswith(known) and not excluded(full):
                        out[os.path.normpath(full)] = None
        elif not excluded(path):
            out[os.path.normpath(path)] = None
    return list(out)
