"""Path globs of the configuration: flake8/ruff-style matching of a file
against ``exclude`` and ``per-file-ignores`` patterns, relative to the
configuration's folder.

Apart from loading and rule selection: file collection (run) and
suppressions (suppress.py) use it, with a Config only as the base folder
and the patterns.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config


def relative_posix(path: str | os.PathLike[str], base: Path) -> str:
    """``path`` relative to ``base`` with forward slashes, if under it."""
    absolute = Path(os.path.abspath(path))
    try:
        rel = absolute.relative_to(Path(os.path.abspath(base)))
    except ValueError:
        return PurePosixPath(Path(path).as_posix()).as_posix()
    return rel.as_posix()


def glob_matches(pattern: str, path: str | os.PathLike[str], base: Path,
                 components: bool = False) -> bool:
    """flake8/ruff-style path glob: relative path, or basename for bare names.

    ``pattern`` is matched (fnmatch, ``*`` crossing folders) against the
    path relative to ``base``, and against it as a folder prefix
    (``"legacy"`` matches ``legacy/a.yaml``); a pattern without a ``/`` also
    matches the file's name alone, so ``"*_legacy.yaml"`` works at any
    depth, and with ``components`` any folder name on the way (for
    ``exclude``: ``".venv"`` anywhere).
    """
    pattern = pattern.replace("\\", "/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    rel = relative_posix(path, base)
    if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.rstrip("/") + "/*"):
        return True
    bare = pattern.rstrip("/")
    if "/" not in bare:
        parts = rel.split("/")
        if not components:
            parts = parts[-1:]
        return any(fnmatch.fnmatchcase(part, bare) for part in parts)
    return False


def excluded(path: str | os.PathLike[str], config: Config) -> bool:
    """Does an ``exclude`` glob match this file or folder (or a parent)?"""
    return any(glob_matches(p, path, config.base, components=True) for p in config.exclude)
