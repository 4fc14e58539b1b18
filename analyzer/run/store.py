"""The cache's storage: one SQLite database (stdlib ``sqlite3``) per cache folder.

Why a database and not a file per entry: a fresh cache of 1,000 small
files cost +75% on a run when every entry was its own file (a temp file,
a rename, a folder per prefix); here a run writes everything it learnt in
one transaction at its end. SQLite gives the rest: a reader sees a
transaction whole or not at all, two runs writing at once take turns (the
second waits, ``BUSY_TIMEOUT``), and a run killed mid-write leaves a
journal that the next opener rolls back.

What this module promises its caller (cache.Cache):

- never an exception: every read that fails is a miss (``None``), every
  write that fails is ``False``;
- nothing is created on a read; the first write creates the database;
- only a regular file is opened (never a FIFO, a device or a symlink: a
  planted ``cache.db -> /dev/zero`` must not hang a run);
- the schema is checked on open: a database with other tables, views or
  triggers, or another ``user_version``, is not read, and the next write
  empties it; a database SQLite calls corrupt ("not a database",
  "malformed") is replaced by a new empty one. A damaged cache costs one
  cold run, never a traceback.

``synchronous=OFF``: a run killed in any way leaves the database whole (the
journal is written before the pages), only a power cut can damage it, and
then it is rebuilt.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Iterable

DB_NAME = "cache.db"
#: Bumped whenever the tables change; another value is an empty cache.
FORMAT = 2
#: Seconds a run waits for another run's write transaction to end.
BUSY_TIMEOUT = 10.0
SCHEMA = (
    ("table", "entries", "CREATE TABLE entries (key TEXT PRIMARY KEY, path TEXT NOT NULL, "
                         "head BLOB NOT NULL, findings BLOB NOT NULL, document BLOB NOT NULL)"),
    ("index", "sqlite_autoindex_entries_1", None),
    ("table", "stats", "CREATE TABLE stats (path TEXT PRIMARY KEY, sig TEXT NOT NULL, "
                       "digest TEXT NOT NULL)"),
    ("index", "sqlite_autoindex_stats_1", None),
    ("table", "memos", "CREATE TABLE memos (name TEXT PRIMARY KEY, data BLOB NOT NULL)"),
    ("index", "sqlite_autoindex_memos_1", None),
)
_SIDE_FILES = ("-journal", "-wal", "-shm")
#: SQLite's primary result codes that mean the file is damaged.
_CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB


class Damaged(Exception):
    """The database is not paramlint's cache as this version writes it."""


def _regular_or_missing(path: str) -> bool:
    """Whether ``path`` is absent or a regular file (a symlink is neither)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode)


def _corrupt(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    text = str(exc).lower()  # Python 3.10: no error codes on exceptions
    return "not a database" in text or "malformed" in text or "corrupt" in text


class Store:
    """Reads and batched writes of one cache folder's database."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = str(self.folder / DB_NAME)
        self._conn: Any = None  # a sqlite3.Connection once opened
        self._usable: bool | None = None  # schema checked and ours

    # ------------------------------------------------------------- opening

    def _safe_files(self) -> bool:
        return all(_regular_or_missing(self.path + suffix) for suffix in ("", *_SIDE_FILES))

    def _connect(self):
        import sqlite3

        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA trusted_schema=OFF")
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _check_schema(self, conn) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != FORMAT or not _ours(conn):
            raise Damaged(f"not paramlint's cache format {FORMAT}")

    def _reader(self):
        """The open connection, or None when there is nothing (usable) to read."""
        if self._usable is not None:
            return self._conn if self._usable else None
        self._usable = False
        try:
            if not os.path.exists(self.path) or not self._safe_files():
                return None
            self._conn = self._connect()
            self._check_schema(self._conn)
        except Exception:  # damaged, locked past the timeout, unreadable, not ours
            return None
        self._usable = True
        return self._conn

    # --------------------------------------------------------------- reads

    def _one(self, sql: str, args: tuple) -> tuple | None:
        conn = self._reader()
        if conn is None:
            return None
        try:
            return conn.execute(sql, args).fetchone()
        except Exception:  # corrupt page, I/O error, a lock held past the timeout
            return None

    def entry(self, key: str, limit: int, documents: bool) -> tuple | None:
        """(path, head, findings, document or None) of an entry of at most ``limit`` bytes."""
        column = "document" if documents else "NULL"
        return self._one(f"SELECT path, head, findings, {column} FROM entries WHERE key = ? "
                         "AND length(head) + length(findings) + length(document) <= ?",
                         (key, limit))

    def stat(self, path: str) -> tuple[str, str] | None:
        """(signature, digest) remembered for an absolute path."""
        return self._one("SELECT sig, digest FROM stats WHERE path = ?", (path,))

    def memo(self, name: str, limit: int) -> bytes | None:
        row = self._one("SELECT data FROM memos WHERE name = ? AND length(data) <= ?",
                        (name, limit))
        return row[0] if row is not None else None

    # -------------------------------------------------------------- writes

    def write(self, entries: Iterable[tuple[str, str, bytes, bytes, bytes]],
              stats: Iterable[tuple[str, str, str]], memos: Iterable[tuple[str, bytes]],
              stat_limit: int) -> bool:
        """Everything in one transaction; False if it could not be written."""
        entries, stats, memos = list(entries), list(stats), list(memos)
        if not (entries or stats or memos):
            return True
        for attempt in (1, 2):
            try:
                conn = self._writer()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    created = self._ensure_schema(conn)
                    conn.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
                                     entries)
                    conn.executemany("INSERT OR REPLACE INTO stats VALUES (?, ?, ?)", stats)
                    conn.executemany("INSERT OR REPLACE INTO memos VALUES (?, ?)", memos)
                    if stats:  # the newest rows have the highest rowids
                        conn.execute("DELETE FROM stats WHERE rowid <= "
                                     "(SELECT max(rowid) FROM stats) - ?", (stat_limit,))
                    conn.execute("COMMIT")
                except BaseException:
                    try:
                        conn.execute("ROLLBACK")
                    except Exception:
                        pass
                    raise
                self._usable = True
                if created:
                    _remove_legacy(self.folder)
                return True
            except Exception as exc:
                self.close()
                if attempt == 1 and (isinstance(exc, Damaged) or _corrupt(exc)):
                    if self._replace_with_empty():
                        continue
                return False
        return False

    def _writer(self):
        if self._conn is not None and self._usable:
            return self._conn
        self.close()
        if not self._safe_files():
            raise OSError(f"{self.path} or its journal is not a regular file")
        self._conn = self._connect()
        return self._conn

    def _ensure_schema(self, conn) -> bool:
        """Inside the write transaction: create the tables in a new database,
        empty one whose schema is not this version's. True if it made them."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == FORMAT and _ours(conn):
            return False
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        if rows:  # someone else's tables, an older format: emptied, not read
            kinds = {"trigger": 0, "view": 1, "index": 2, "table": 3}
            for kind, name, _sql in sorted(rows, key=lambda r: kinds.get(r[0], 4)):
                if kind in kinds and not name.startswith("sqlite_"):
                    quoted = '"' + name.replace('"', '""') + '"'
                    conn.execute(f"DROP {kind.upper()} IF EXISTS {quoted}")
        for kind, _name, sql in SCHEMA:
            if kind == "table":
                conn.execute(sql)
        conn.execute(f"PRAGMA user_version = {FORMAT}")
        return True

    def _replace_with_empty(self) -> bool:
        """Swap a damaged database for an empty one (made aside, then renamed)."""
        import tempfile

        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{DB_NAME}.", suffix=".tmp")
            os.close(fd)
            try:
                for suffix in _SIDE_FILES:  # a stale journal must not be replayed on the new file
                    side = self.path + suffix
                    if os.path.lexists(side) and _regular_or_missing(side):
                        os.unlink(side)
                if not _regular_or_missing(self.path):
                    raise OSError(f"{self.path} is not a regular file")
                os.replace(tmp, self.path)  # an empty file is an empty database
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            return False
        self._usable = None
        return True

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
        self._conn = None
        self._usable = None


def _ours(conn) -> bool:
    """Whether the database holds exactly this version's tables (no view, no trigger)."""
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    return len(rows) == len(SCHEMA) and set(rows) == set(SCHEMA)


def _remove_legacy(folder: Path) -> None:
    """Delete the per-file entries and memos of paramlint before the database.

    Only paramlint's own names (two-hex-digit folders of ``<sha256>.json``,
    ``stat-memo``, ``registry-memo`` and their temp files), only in the
    cache's own folder; anything else stays. Best effort, once: it runs
    when the database is created.
    """
    hexdigits = set("0123456789abcdef")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        full = folder / name
        if name in ("stat-memo", "registry-memo") or (
                name.startswith((".stat-memo.", ".registry-memo.")) and name.endswith(".tmp")):
            try:
                if _regular_or_missing(str(full)):
                    os.unlink(full)
            except OSError:
                pass
        elif len(name) == 2 and set(name) <= hexdigits and full.is_dir() and not full.is_symlink():
            try:
                inner = os.listdir(full)
            except OSError:
                continue
            for entry in inner:
                stem = entry.lstrip(".").split(".json")[0]
                if len(stem) == 64 and set(stem) <= hexdigits and entry.startswith((name, "." + name)):
                    try:
                        if _regular_or_missing(str(full / entry)):
                            os.unlink(full / entry)
                    except OSError:
                        pass
            try:
                os.rmdir(full)
            except OSError:
                pass
