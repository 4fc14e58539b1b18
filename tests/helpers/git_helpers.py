"""Building git repositories for ``diff --base`` tests, hostile ones too.

``literal_tree`` writes tree objects git's own porcelain refuses to make
(an entry named ``..``), as ``git hash-object -t tree --literally`` does:
a fetch from a hostile remote accepts them by default, so paramlint must
not trust the paths ``git diff`` prints.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}


def git(cwd: Path, *args: str, data: bytes | None = None) -> str:
    """Run git in ``cwd`` and return its stdout (stripped), failing loudly."""
    proc = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, input=data,
                          env={**os.environ, **IDENTITY})
    return proc.stdout.decode().strip()


def init(root: Path) -> Path:
    """An empty repository at ``root`` (made if missing)."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    return root


def commit_all(root: Path, message: str = "commit") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def blob(root: Path, content: bytes) -> str:
    return git(root, "hash-object", "-w", "--stdin", data=content)


def literal_tree(root: Path, entries: list[tuple[str, str, str]]) -> str:
    """A tree object of ``(mode, name, sha)`` entries, names unchecked."""
    body = b"".join(mode.encode() + b" " + os.fsencode(name) + b"\0" + bytes.fromhex(sha)
                    for mode, name, sha in entries)
    return git(root, "hash-object", "-t", "tree", "--literally", "-w", "--stdin", data=body)


def commit_tree(root: Path, tree: str, message: str = "literal") -> str:
    return git(root, "commit-tree", tree, "-m", message)
