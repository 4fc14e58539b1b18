"""Fingerprints of what changes results besides a file's content: the
configuration (selected rules, their options, plugin versions) and the code
itself (size and mtime of every ``.py`` file of the rule packages).

Apart from the cache (cache.py) because they are computed before any entry
is read, and a warm run computes them without the cache's own imports.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from paramlint.support.digest import sha256_factory


def config_fingerprint(selected: list[str] | tuple[str, ...] = (),
                       options: dict[str, dict[str, Any]] | None = None,
                       plugins: dict[str, str] | None = None,
                       **extra: Any) -> str:
    """A stable hash of the configuration that affects results.

    ``selected``: the enabled rule codes; ``options``: each rule's
    effective options; ``plugins``: distribution name -> version of every
    plugin providing rules. ``extra`` for anything else that matters.
    """
    payload = {
        "selected": sorted(selected),
        "options": options or {},
        "plugins": plugins or {},
        "extra": extra,
    }
    text = json.dumps(payload, sort_keys=True, default=repr, separators=(",", ":"))
    return sha256_factory()(text.encode("utf-8")).hexdigest()


def _module_file(name: str) -> tuple[str | None, bool]:
    """(file, is a package) of a top-level module, imported or not.

    An imported module answers from ``sys.modules``; one that is not is
    located by its spec, which for a top-level name imports nothing.
    """
    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__file__", None), hasattr(module, "__path__")
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None, False
    if spec is None or not spec.has_location:
        return None, False
    return spec.origin, spec.submodule_search_locations is not None


def code_fingerprint(modules: list[str]) -> str:
    """Size and mtime of every ``.py`` file of the given top-level packages.

    The version number does not change while someone edits a rule in a
    checkout (an editable install); this does, so the cache never serves a
    result computed by older code. A few dozen ``stat`` calls. The packages
    need not be imported (a warm run does not import the rules).
    """
    seen: list[tuple[str, int, int]] = []
    folders = set()
    for name in sorted(set(modules)):
        file, package = _module_file(name)
        if not file:
            continue
        folder = os.path.dirname(file) if package else None
        if folder is None:
            try:
                st = os.stat(file)
            except OSError:
                continue
            seen.append((file, st.st_mtime_ns, st.st_size))
        else:
            folders.add(folder)
    for folder in sorted(folders):
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for fname in sorted(files):
                if fname.endswith(".py"):
                    full = os.path.join(root, fname)
                    try:
                        st = os.stat(full)
                    except OSError:
                        continue
                    seen.append((full, st.st_mtime_ns, st.st_size))
    return sha256_factory()(repr(seen).encode("utf-8")).hexdigest()
