"""Model files that changed since a git revision, and their old contents.

``paramlint diff --base REV`` is what a CI job runs on a pull request: every
model file that differs between ``REV`` and the working tree (added,
deleted, renamed and untracked ones included), the old side read from git's
object store without a checkout. Only ``git`` itself is run; its output is
read with ``-z`` so no file name is ever parsed as anything but a name.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


class GitError(Exception):
    """git could not answer (not a repository, an unknown revision...)."""


@dataclass(frozen=True)
class Change:
    """One changed file, paths relative to the repository root (``/``)."""

    status: str  # "modified" | "added" | "deleted"
    old: str | None
    new: str | None


def _git(args: list[str], cwd: Path, stdout=subprocess.PIPE) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, timeout=120)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} did not answer in 120 s") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return proc.stdout or b""


def repo_root(cwd: Path) -> Path:
    out = _git(["rev-parse", "--show-toplevel"], cwd)
    return Path(os.fsdecode(out.rstrip(b"\n")))


def resolve(rev: str, cwd: Path) -> str:
    """The commit a revision names, or GitError naming it."""
    if rev.startswith("-"):
        raise GitError(f"not a revision: {rev!r}")
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd).decode().strip()
    except GitError:
        raise GitError(f"unknown revision {rev!r}") from None


def changed(rev: str, root: Path, pathspecs: list[str], suffixes: tuple[str, ...]) -> list[Change]:
    """Files ending in ``suffixes`` that differ between ``rev`` and the
    working tree under ``pathspecs`` (all of the repository when empty)."""
    commit = resolve(rev, root)
    specs = ["--", *pathspecs] if pathspecs else []
    raw = _git(["diff", "--name-status", "-z", "-M", "--no-ext-diff", commit, *specs], root)
    fields = [os.fsdecode(f) for f in raw.split(b"\0") if f]
    out: list[Change] = []
    i = 0
    while i < len(fields):
        code = fields[i][:1]
        if code in ("R", "C"):
            old, new = fields[i + 1], fields[i + 2]
            i += 3
            if code == "C":
                out.append(Change("added", None, new))
            else:
                out.append(Change("modified", old, new))
            continue
        path = fields[i + 1]
        i += 2
        status = {"A": "added", "D": "deleted"}.get(code, "modified")
        out.append(Change(status, None if status == "added" else path,
                          None if status == "deleted" else path))
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z", *specs], root)
    for name in untracked.split(b"\0"):
        if name:
            out.append(Change("added", None, os.fsdecode(name)))
    keep = [c for c in out if (c.new or c.old or "").lower().endswith(suffixes)
            or (c.old or "").lower().endswith(suffixes)]
    return sorted(keep, key=lambda c: c.new or c.old or "")


def export_blob(rev: str, path: str, root: Path, dest: Path) -> None:
    """Write the file ``path`` as it is at ``rev`` to ``dest``, streamed
    (a model with embedded weights can be large)."""
    commit = resolve(rev, root)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as out:
        _git(["cat-file", "blob", f"{commit}:{path}"], root, stdout=out)
