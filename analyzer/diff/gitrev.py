"""Model files that changed since a git revision, and their old contents.

``paramlint diff --base REV`` is what a CI job runs on a pull request: every
model file that differs between ``REV`` and the working tree (added,
deleted, renamed and untracked ones included), the old side read from git's
object store without a checkout. Only ``git`` itself is run; its output is
read with ``-z`` so no file name is ever parsed as anything but a name.

Everything git reports comes from the pull request, so none of it is
trusted (docs/limits.md, "diff --base"):

- a path with an empty, ``.`` or ``..`` component, or an absolute one (a
  tree built with ``git hash-object --literally`` can hold ``..``), stops
  the run before anything is written;
- only regular blobs (modes 100644 and 100755) are models on the old
  side: a symlink blob (120000) is a link, a gitlink (160000) a submodule;
- on the new side, a symlink is read only where it resolves inside the
  repository, the folder walk's rule; a submodule is skipped;
- git runs with the repository's configuration defused: no fsmonitor
  hook, no hooks, no clean filter, no external diff or textconv, no
  network (a partial clone's lazy fetch), no index written.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from paramlint.ir.escape import text as escaped

#: Modes of a regular file in a git tree; anything else is not a model.
_FILE_MODES = frozenset({"100644", "100755"})
_GITLINK = "160000"
_OBJECT_ID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
#: Configuration that makes git run nothing the repository names. Given
#: through GIT_CONFIG_COUNT (git 2.31+): it outranks every config file and
#: needs no quoting of a driver name.
_DEFUSED = (("core.fsmonitor", "false"), ("core.hooksPath", os.devnull),
            ("core.untrackedCache", "false"), ("diff.external", ""),
            ("protocol.allow", "never"), ("core.pager", "cat"))


class GitError(Exception):
    """git could not answer (not a repository, an unknown revision...)."""


@dataclass(frozen=True)
class Change:
    """One changed file, paths relative to the repository root (``/``).

    ``old_blob`` is the old side's object id: it is read by id, never by a
    path git would resolve again."""

    status: str  # "modified" | "added" | "deleted"
    old: str | None
    new: str | None
    old_blob: str | None = None


_defused_env: dict[str, dict[str, str]] = {}


def _environment(cwd: Path) -> dict[str, str]:
    """The environment git runs in: the repository's filter drivers and
    hooks defused (once per folder: it costs one ``git config``)."""
    key = str(cwd)
    if key not in _defused_env:
        pairs = list(_DEFUSED)
        for name in _filter_drivers(cwd):
            pairs += [(f"filter.{name}.clean", ""), (f"filter.{name}.smudge", ""),
                      (f"filter.{name}.process", ""), (f"filter.{name}.required", "false")]
        env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0",
                   GIT_NO_LAZY_FETCH="1", GIT_PAGER="cat")
        start = _count(env.get("GIT_CONFIG_COUNT"))
        for i, (name, value) in enumerate(pairs, start):
            env[f"GIT_CONFIG_KEY_{i}"] = name
            env[f"GIT_CONFIG_VALUE_{i}"] = value
        env["GIT_CONFIG_COUNT"] = str(start + len(pairs))
        _defused_env[key] = env
    return _defused_env[key]


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _filter_drivers(cwd: Path) -> list[str]:
    """The filter drivers any configuration defines (``filter.<name>.*``)."""
    proc = _run(["config", "-z", "--name-only", "--get-regexp", r"^filter\."], cwd,
                env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"}, check=False)
    names = set()
    for key in proc.stdout.split(b"\0"):
        key = os.fsdecode(key.strip())
        if key.count(".") >= 2:
            names.add(key[len("filter."):key.rindex(".")])
    return sorted(names)


def _run(args: list[str], cwd: Path, env: dict[str, str], stdout=subprocess.PIPE,
         check: bool = True) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(["git", "--no-optional-locks", *args], cwd=cwd, stdout=stdout,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120,
                              env=env)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} did not answer in 120 s") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]}: {escaped(message[-1]) if message else 'failed'}")
    return proc


def _git(args: list[str], cwd: Path, stdout=subprocess.PIPE) -> bytes:
    return _run(args, cwd, _environment(cwd), stdout=stdout).stdout or b""


def repo_root(cwd: Path) -> Path:
    out = _run(["rev-parse", "--show-toplevel"], cwd, {**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    return Path(os.fsdecode(out.stdout.rstrip(b"\n")))


def resolve(rev: str, cwd: Path) -> str:
    """The commit a revision names, or GitError naming it."""
    if rev.startswith("-"):
        raise GitError(f"not a revision: {escaped(rev)!r}")
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd).decode().strip()
    except GitError:
        raise GitError(f"unknown revision {escaped(rev)!r}") from None


def safe_path(path: str) -> str:
    """``path`` if it names a file inside the repository, else GitError.

    Checked before any join: ``tmp / "sub/../../x.yaml"`` is outside."""
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        raise GitError(f"git reports an unsafe path {escaped(path)!r} (an empty, '.' or '..' "
                       "component, or absolute); refusing to read this revision")
    return path


def _inside(root: Path, path: str) -> bool:
    """The folder walk's rule for a work-tree file: a symlink is read only
    when it resolves inside the repository."""
    full = root / path
    if not os.path.islink(full):
        return True
    top = os.path.realpath(root)
    return os.path.realpath(full).startswith(top.rstrip(os.sep) + os.sep)


def _raw_entries(raw: bytes):
    """``(old mode, new mode, old id, status, old path, new path)`` from
    ``git diff --raw -z``."""
    fields = raw.split(b"\0")
    i = 0
    while i < len(fields) and fields[i]:
        head = os.fsdecode(fields[i]).lstrip(":").split(" ")
        if len(head) != 5:
            raise GitError("git diff printed an unexpected line")
        old_mode, new_mode, old_id, _new_id, status = head
        if status[:1] in ("R", "C"):
            old, new = os.fsdecode(fields[i + 1]), os.fsdecode(fields[i + 2])
            i += 3
        else:
            old = new = os.fsdecode(fields[i + 1])
            i += 2
        yield old_mode, new_mode, old_id, status[:1], old, new


def changed(rev: str, root: Path, pathspecs: list[str], suffixes: tuple[str, ...]) -> list[Change]:
    """Files ending in ``suffixes`` that differ between ``rev`` and the
    working tree under ``pathspecs`` (all of the repository when empty)."""
    commit = resolve(rev, root)
    specs = ["--", *pathspecs] if pathspecs else []
    raw = _git(["diff", "--raw", "-z", "-M", "--no-ext-diff", "--no-textconv", "--no-abbrev",
                commit, *specs], root)
    out: list[Change] = []
    for old_mode, new_mode, old_id, code, old, new in _raw_entries(raw):
        safe_path(old), safe_path(new)
        if code == "C":  # a copy: the old file is still there, unchanged
            old_mode, old_id = "000000", ""
        before = old if old_mode in _FILE_MODES and _OBJECT_ID.fullmatch(old_id) else None
        after = (new if code != "D" and new_mode != _GITLINK and _inside(root, new)
                 and os.path.lexists(root / new) else None)
        out.append(_change(before, after, old_id if before else None))
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z", *specs], root)
    for name in untracked.split(b"\0"):
        path = os.fsdecode(name)
        if path and _inside(root, safe_path(path)):
            out.append(Change("added", None, path))
    keep = [c for c in out if (c.old is not None or c.new is not None)
            and ((c.new or "").lower().endswith(suffixes) or (c.old or "").lower().endswith(suffixes))]
    return sorted(keep, key=lambda c: c.new or c.old or "")


def _change(old: str | None, new: str | None, old_blob: str | None) -> Change:
    status = "modified" if old and new else "added" if new else "deleted"
    return Change(status, old, new, old_blob)


def export_blob(blob: str, root: Path, dest: Path) -> None:
    """Write the blob ``blob`` to ``dest``, a file that must not exist yet
    (``O_EXCL``, no symlink followed), streamed (a model with embedded
    weights can be large)."""
    if not _OBJECT_ID.fullmatch(blob):
        raise GitError(f"not an object id: {escaped(blob)!r}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(dest, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        _git(["cat-file", "blob", blob], root, stdout=out)
