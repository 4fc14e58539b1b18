"""Which files a run reads: paths given, folders walked by extension."""

from __future__ import annotations

import os
from typing import Callable, Iterable

from paramlint.ir.escape import text
from paramlint.loaders import suffixes

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "node_modules",
                       ".paramlint_cache", ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


def _virtualenv(folder: str) -> bool:
    """A virtual environment under any name (``.venv-ci``, ``env311``): it
    holds installed packages' test models (onnx ships hundreds), never the
    project's own."""
    return os.path.isfile(os.path.join(folder, "pyvenv.cfg"))


class OutsideProject(ValueError):
    """A folder inside the project that a symlink takes out of it."""


def collect(paths: Iterable[str], excluded: Callable[[str], bool] = lambda path: False,
            project: str | None = None) -> list[str]:
    """Files to analyse, in a stable order, each once.

    A file named explicitly is read whatever its extension (an unknown one
    becomes a load error), as flake8 does; inside folders only known
    extensions are picked up. ``excluded`` applies to both, because
    pre-commit names every changed file. A folder inside ``project`` (the
    configuration's folder) must stay inside it once symlinks are resolved
    (``OutsideProject`` otherwise): ``models -> /`` committed in a pull
    request would have the walk read the machine.
    """
    known = suffixes()
    out: dict[str, None] = {}
    for path in paths:
        if os.path.isdir(path):
            if project is not None:
                check_inside(path, project)
            inside = _inside(path)
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                                 and not _virtualenv(os.path.join(root, d))
                                 and not excluded(os.path.join(root, d)))
                for name in sorted(files):
                    full = os.path.join(root, name)
                    if name.lower().endswith(known) and not excluded(full) and inside(full):
                        out[os.path.normpath(full)] = None
        elif not excluded(path):
            out[os.path.normpath(path)] = None
    return list(out)


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top if top.endswith(os.sep) else top + os.sep)


def check_inside(folder: str, project: str) -> None:
    """``OutsideProject`` if ``folder``, named inside ``project``, leaves it
    through a symlink (the folder itself or any component above it). A
    folder named outside the project (an absolute path typed by the user)
    is the user's choice and is walked."""
    if not _under(os.path.abspath(folder), os.path.abspath(project)):
        return
    if not _under(os.path.realpath(folder), os.path.realpath(project)):
        raise OutsideProject(f"{text(folder)}: a symlink takes this folder out of the project "
                             f"({text(os.path.realpath(folder))}); not walked")


def _inside(folder: str) -> Callable[[str], bool]:
    """Whether a file found in ``folder`` stays in it once symlinks are resolved.

    A folder walk never follows a symlink out of the tree it walks: in a
    pull request, ``models/key.yaml -> ~/.ssh/id_ed25519`` would otherwise
    be read, and a device or a secret is a symlink away. (A symlink named
    on the command line is the user's choice, and is read.)
    """
    top = os.path.realpath(folder)
    prefix = top if top.endswith(os.sep) else top + os.sep

    def inside(path: str) -> bool:
        # os.walk does not enter symlinked folders, so only the file itself
        # can be a link (one lstat for the common, plain file).
        return not os.path.islink(path) or os.path.realpath(path).startswith(prefix)

    return inside
