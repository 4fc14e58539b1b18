"""Is this a safetensors checkpoint? From the file's name and first bytes only.

A ``.safetensors`` file is one when its first 8 bytes are a header length
and a ``{`` follows, unless an index beside it names it: a shard is read
through its index, once, rather than as one model per shard. An index is a
``*.safetensors.index.json`` with a ``weight_map``.
"""

from __future__ import annotations

import os
import re
import stat

INDEX_SUFFIX = ".safetensors.index.json"
#: the shard names transformers writes: model-00001-of-00004.safetensors
_SHARD = re.compile(r"-\d{5}-of-\d{5}\.safetensors$", re.IGNORECASE)


def _indexed(path: str) -> bool:
    """A sibling index exists and names this file (a text scan of the index's first bytes)."""
    folder = os.path.dirname(path) or "."
    try:
        names = [n for n in os.listdir(folder) if n.lower().endswith(INDEX_SUFFIX)]
    except OSError:
        return False
    if not names:
        return False
    base = os.path.basename(path)
    if _SHARD.search(base):
        return True
    target = b'"' + base.encode("utf-8", "replace") + b'"'
    for name in names:
        if target in _head(os.path.join(folder, name)):
            return True
    return False


def _head(path: str) -> bytes:
    """The first MB of a regular file, opened without blocking (a FIFO named like an index)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return b""
    try:
        return os.read(fd, 1 << 20) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError:
        return b""
    finally:
        os.close(fd)


def claims(path: str, head: bytes) -> bool:
    lower = path.lower()
    if lower.endswith(INDEX_SUFFIX):
        return b'"weight_map"' in head
    if not lower.endswith(".safetensors"):
        return False
    # a truncated or hostile file is still claimed (its loader says what is wrong)
    return not _indexed(path)
