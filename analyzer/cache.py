"""A content-hash cache of per-file results.

An entry is keyed by the file's path and content hash, paramlint's version
and a fingerprint of everything else that changes results (selected rules,
their options, plugin versions). It stores the FileReport as the engine
made it, before suppressions, so noqa/ignores/baselines never need to be in
the key. Entries are written atomically (temp file + ``os.replace``): a
concurrent run or a Ctrl-C never leaves a half entry under a real name,
and a corrupt or unreadable entry is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from . import __version__
from .atomic import atomic_write_text
from .results import FileReport

CHUNK = 1 << 20  # 1 MiB
DEFAULT_DIRNAME = ".paramlint_cache"
ENTRY_FORMAT = 1
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by paramlint.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n"
)


def file_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks (ONNX files are big)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


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
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_fingerprint(modules: list[str]) -> str:
    """Size and mtime of every ``.py`` file of the given imported packages.

    The version number does not change while someone edits a rule in a
    checkout (an editable install); this does, so the cache never serves a
    result computed by older code. A few dozen ``stat`` calls.
    """
    import sys

    seen: list[tuple[str, int, int]] = []
    folders = set()
    for name in sorted(set(modules)):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if not file:
            continue
        folder = os.path.dirname(file) if hasattr(module, "__path__") else None
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
    return hashlib.sha256(repr(seen).encode("utf-8")).hexdigest()


def default_cache_dir(config_source: Path | None, cwd: Path) -> Path:
    """``.paramlint_cache`` beside the configuration file, or in ``cwd``."""
    base = Path(config_source).resolve().parent if config_source else Path(cwd)
    return base / DEFAULT_DIRNAME


class Cache:
    """``get``/``put`` FileReports by content. Disabled: every get misses."""

    def __init__(self, folder: Path, enabled: bool = True) -> None:
        self.folder = Path(folder)
        self.enabled = enabled
        self.hits = 0
        self.misses = 0
        self._prepared = False

    def key(self, path: str, file_digest: str, fingerprint: str) -> str:
        # The path (as given, and absolute) is part of the key: a report
        # names its file, so two copies of one model, or one file named from
        # two folders, get an entry each.
        text = "\0".join((str(ENTRY_FORMAT), __version__, fingerprint, path,
                          os.path.normcase(os.path.abspath(path)), file_digest))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, path: str, file_digest: str, fingerprint: str) -> FileReport | None:
        if not self.enabled:
            return None
        key = self.key(path, file_digest, fingerprint)
        try:
            data = json.loads(self._entry(key).read_text(encoding="utf-8"))
            if data.get("key") != key or data.get("format") != ENTRY_FORMAT:
                raise ValueError("stale entry")
            report = FileReport.from_dict(data["report"])
        except Exception:  # missing, truncated, corrupt, unreadable: a miss
            self.misses += 1
            return None
        self.hits += 1
        return report

    def _prepare(self) -> None:
        if self._prepared:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tag = self.folder / "CACHEDIR.TAG"
        if not tag.exists():
            atomic_write_text(tag, CACHEDIR_TAG, durable=False)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            atomic_write_text(ignore, "# Created by paramlint automatically.\n*\n", durable=False)
        self._prepared = True

    def put(self, path: str, file_digest: str, fingerprint: str, report: FileReport) -> bool:
        """Store a report; False (and no exception) if the cache can't be written."""
        if not self.enabled:
            return False
        key = self.key(path, file_digest, fingerprint)
        try:
            self._prepare()
            entry = self._entry(key)
            entry.parent.mkdir(exist_ok=True)
            text = json.dumps({"format": ENTRY_FORMAT, "key": key, "report": report.to_dict()},
                              separators=(",", ":"))  # keep key order: output is identical
            atomic_write_text(entry, text, durable=False)
        except (OSError, TypeError, ValueError):
            return False
        return True
