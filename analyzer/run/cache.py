"""A content-hash cache of per-file results.

An entry is keyed by the file's path and content hash, paramlint's version
and a fingerprint of everything else that changes results (selected rules,
their options, plugin versions: fingerprint.py). It stores the FileReport as
the engine made it, before suppressions, so noqa/ignores/baselines never
need to be in the key. Entries live in one SQLite database per cache folder (store.py),
written in one transaction per run: a concurrent run or a Ctrl-C never
leaves half an entry, and a corrupt, unreadable or tampered entry (or
database) is a miss, never an error. An entry's findings and its document
(the layers) are stored apart, so that ``check`` reads findings without
decoding every layer of every model.

Two memos beside the entries save a warm run work that would give the same
answer: the ``stats`` table maps a file's stat (path, size, mtime, ctime,
inode, device) to its content digest, as git's index does, so an unchanged
500 MB model is not hashed again; the ``registry`` memo holds the installed
rules' metadata (codes, names, options) keyed by the plugins' entry points
and the size+mtime of their code, so a run whose files are all cache hits
never imports the rules (nor yaml, nor the loaders).
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

from paramlint import __version__
from paramlint.lint.results import FileReport
from paramlint.support.atomic import read_regular
from paramlint.support.digest import file_digest, sha256_factory

REGISTRY_MEMO = "registry"
MEMO_FORMAT = 1
MEMO_LIMIT = 20_000  # stat-memo entries kept (newest first), ~2 MB
#: A file modified this recently (before it was hashed) is not memoised: a
#: later write within the file system's timestamp granularity could keep
#: size and mtime (git's "racily clean" problem). Covers 2 s FAT/HFS+ stamps.
RACY_NS = 2_000_000_000
DEFAULT_DIRNAME = ".paramlint_cache"
#: An entry holds one file's report (a 50,000-layer model: ~20 MB).
MAX_ENTRY_BYTES = 256 << 20
#: Reports held in memory before a write mid-run.
FLUSH_BYTES = 64 << 20
#: What a report's document keeps when only findings are wanted.
HEAD_KEYS = ("path", "format", "name", "error")
MAX_MEMO_BYTES = 64 << 20
ENTRY_FORMAT = 2
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by paramlint.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n"
)


def _owned(folder: Path) -> bool:
    """Whether ``folder`` is a cache paramlint made (its CACHEDIR.TAG says so)."""
    try:
        head = read_regular(folder / "CACHEDIR.TAG", 4096)
    except OSError:
        return False
    return head.startswith(CACHEDIR_TAG.encode("ascii")[:60]) and b"paramlint" in head


def own_folder(folder: Path) -> Path:
    """The folder the cache lives in: ``folder`` itself when it is missing,
    empty or already paramlint's cache, else ``folder/.paramlint_cache``.

    The cache writes a ``.gitignore`` of ``*`` and a ``CACHEDIR.TAG`` in
    its folder: in a folder of the user's own (``--cache-dir .``) git would
    stop showing new files and backups would skip the folder.
    """
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return folder
    except OSError:
        return folder  # not a folder or unreadable: every access fails, a miss
    with entries:
        holds_files = any(True for _ in entries)
    if not holds_files or _owned(folder):
        return folder
    return folder / DEFAULT_DIRNAME


def valid_report(report: FileReport) -> bool:
    """Whether a report read back has the types a fresh one has.

    A cache entry is JSON anyone can edit: one that parses but holds a
    string where a count belongs would crash an output format later.
    """
    from paramlint.lint.rule import Finding

    doc = report.document
    if not isinstance(doc, dict) or not isinstance(report.findings, list):
        return False
    for f in report.findings:
        if not isinstance(f, Finding) or not all(isinstance(getattr(f, k), str) for k in
                                                 ("code", "rule", "severity", "path", "message")):
            return False
        if f.severity not in ("info", "warning", "error"):
            return False
        if not isinstance(f.extra, dict):
            return False
        for k in ("line", "column", "node_index"):
            v = getattr(f, k, None)
            if v is not None and (type(v) is not int):
                return False
        if getattr(f, "layer", None) is not None and not isinstance(f.layer, str):
            return False
    totals = doc.get("totals")
    if totals is not None and not isinstance(totals, dict):
        return False
    for key in ("params", "trainable", "non_trainable", "per_use_params", "tied_savings"):
        v = (totals or {}).get(key)
        if v is not None and type(v) is not int:
            return False
    layers = doc.get("layers", [])
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        return False
    for layer in layers:
        for key in ("name", "op"):
            if not isinstance(layer.get(key), str):
                return False
        for key in ("params", "trainable", "non_trainable"):
            v = layer.get(key)
            if v is not None and type(v) is not int:
                return False
        if not isinstance(layer.get("shared_with", []), list):
            return False
    error = doc.get("error")
    return error is None or isinstance(error, str)


def default_cache_dir(config_source: Path | None, cwd: Path) -> Path:
    """``.paramlint_cache`` beside the configuration file, or in ``cwd``."""
    base = Path(config_source).resolve().parent if config_source else Path(cwd)
    return base / DEFAULT_DIRNAME


class Cache:
    """``get``/``put`` FileReports by content. Disabled: every get misses.

    Reads go to the folder's database (store.Store) one query at a time;
    writes are held in memory and written by ``flush`` in one transaction
    (also whenever ``FLUSH_BYTES`` are pending, so a huge run's memory
    stays bounded).
    """

    def __init__(self, folder: Path, enabled: bool = True) -> None:
        self.folder = own_folder(Path(folder))
        self.enabled = enabled
        self._prepared = False
        self._store: Any = None
        self._entries: dict[str, tuple[tuple, FileReport]] = {}
        self._pending_bytes = 0
        self._new_stats: dict[str, tuple[str, str, str]] = {}
        self._memos: dict[str, bytes] = {}

    @property
    def store(self):
        if self._store is None:
            from .store import Store

            self._store = Store(self.folder)
        return self._store

    def key(self, path: str, file_digest: str, fingerprint: str) -> str:
        # The path (as given, and absolute) is part of the key: a report
        # names its file, so two copies of one model, or one file named from
        # two folders, get an entry each.
        text = "\0".join((str(ENTRY_FORMAT), __version__, fingerprint, path,
                          os.path.normcase(os.path.abspath(path)), file_digest))
        return sha256_factory()(text.encode("utf-8")).hexdigest()

    def get(self, path: str, file_digest: str, fingerprint: str,
            documents: bool = True) -> FileReport | None:
        """The cached report, or None. ``documents=False``: the report's
        document is only its head (path, format, name, error), for outputs
        that print findings alone; the layers are then never decoded."""
        if not self.enabled:
            return None
        key = self.key(path, file_digest, fingerprint)
        pending = self._entries.get(key)
        if pending is not None:
            return pending[1]
        try:
            row = self.store.entry(key, MAX_ENTRY_BYTES, documents)
            if row is None or row[0] != path:
                return None
            head = json.loads(row[1])
            document = json.loads(row[3]) if documents else head
            from paramlint.lint.rule import Finding

            findings = [Finding(**f) for f in json.loads(row[2])]
            report = FileReport(path=path, document=document, findings=findings)
            if not (isinstance(head, dict) and head.get("path") == path
                    and valid_report(report)):
                return None
        except Exception:  # corrupt, truncated, unreadable, tampered: a miss
            return None
        return report

    def _prepare(self) -> None:
        if self._prepared:
            return
        from paramlint.support.atomic import atomic_write_text

        self.folder.mkdir(parents=True, exist_ok=True)
        if not _owned(self.folder) and any(os.scandir(self.folder)):
            raise OSError(f"{self.folder} holds files that are not paramlint's")
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            atomic_write_text(ignore, "# Created by paramlint automatically.\n*\n", durable=False)
        tag = self.folder / "CACHEDIR.TAG"  # last: it marks the folder as paramlint's
        if not tag.exists():
            atomic_write_text(tag, CACHEDIR_TAG, durable=False)
        self._prepared = True

    def put(self, path: str, file_digest: str, fingerprint: str, report: FileReport) -> bool:
        """Remember a report until ``flush``; False (and no exception) if the
        cache folder cannot be made or the report cannot be stored."""
        if not self.enabled:
            return False
        key = self.key(path, file_digest, fingerprint)
        try:
            self._prepare()
            document = report.document
            head = {k: document.get(k) for k in HEAD_KEYS if k in document}
            row = (key, path, _dumps(head), _dumps([f.as_dict() for f in report.findings]),
                   _dumps(document))
        except (OSError, TypeError, ValueError, RecursionError):
            return False
        self._entries[key] = (row, report)
        self._pending_bytes += len(row[4])
        if self._pending_bytes > FLUSH_BYTES:
            self.flush()
        return True

    def flush(self) -> bool:
        """Write what this run learnt (entries, hashes, the registry) in one
        transaction. Never raises; False if the cache could not be written."""
        if not self.enabled or not (self._entries or self._new_stats or self._memos):
            return True
        try:
            self._prepare()
        except OSError:
            ok = False
        else:
            ok = self.store.write([row for row, _ in self._entries.values()],
                                  self._new_stats.values(), self._memos.items(), MEMO_LIMIT)
        self._entries, self._new_stats, self._memos = {}, {}, {}
        self._pending_bytes = 0
        if self._store is not None:
            self._store.close()
        return ok

    save_memos = flush

    # ------------------------------------------------------------ stat memo

    def digest(self, path: str, st: os.stat_result) -> str:
        """The file's sha256, from the stat memo when its stat is unchanged.

        Like git's index: a file whose absolute path, size, mtime, ctime,
        inode and device are what they were when it was last hashed is
        taken to have the same content. See docs/linter-decisions.md.
        """
        if not self.enabled:
            return file_digest(path, st.st_size)
        name = os.path.abspath(path)
        sig = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"
        known = self._new_stats.get(name)
        if known is None:
            row = self.store.stat(name)
            known = (name, *row) if row is not None else None
        if known is not None and known[1] == sig and isinstance(known[2], str) \
                and len(known[2]) == 64:
            return known[2]
        started = time.time_ns()
        digest = file_digest(path, st.st_size)
        if started - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_NS:
            try:
                after = os.stat(path)
            except OSError:
                return digest
            if (after.st_size, after.st_mtime_ns, after.st_ctime_ns, after.st_ino,
                    after.st_dev) == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino,
                                      st.st_dev):  # not changed while we read it
                self._new_stats[name] = (name, sig, digest)
        return digest

    # -------------------------------------------------------- registry memo

    def registry(self, identity: str) -> dict[str, Any] | None:
        """The rules' metadata remembered for these plugins, or None."""
        if not self.enabled:
            return None
        raw = self._memos.get(REGISTRY_MEMO) or self.store.memo(REGISTRY_MEMO, MAX_MEMO_BYTES)
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("format") != MEMO_FORMAT \
                or data.get("identity") != identity:
            return None
        registry = data.get("registry")
        return registry if isinstance(registry, dict) else None

    def remember_registry(self, identity: str, registry: dict[str, Any]) -> None:
        """Held until ``flush``, with the entries."""
        if not self.enabled:
            return
        try:
            self._memos[REGISTRY_MEMO] = _dumps({"format": MEMO_FORMAT, "identity": identity,
                                                 "registry": registry})
        except (TypeError, ValueError):
            pass


def _dumps(value: Any) -> bytes:
    # Key order kept: a cached report prints exactly as a fresh one. A
    # report is a tree: without the cycle check, 2 MB of documents (40
    # exports) encode in 28 ms instead of 37; a cycle would be a
    # RecursionError, which put treats as a report it cannot store.
    return json.dumps(value, separators=(",", ":"), check_circular=False).encode("utf-8")
