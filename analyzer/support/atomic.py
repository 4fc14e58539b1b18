"""File I/O that cannot hang, exhaust memory or destroy.

Writes: a reader, a concurrent run or Ctrl-C never sees one half done, and
only a regular file (or nothing) is ever replaced. Reads of paramlint's own
files (baseline, cache entries, memos): regular files only, opened without
blocking, bounded in size.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotRegularFile(OSError):
    """The path exists and is a device, a FIFO, a socket or a folder."""


def _umask() -> int:
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_replaceable(path: str | Path) -> None:
    """Raise ``NotRegularFile`` unless ``path`` is missing or a regular file
    (a symlink is judged by its target). As root, ``os.replace`` onto
    /dev/null would swap the machine's /dev/null for a regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError:
        return  # the write itself will say why
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(f"{path} is {_kind(st.st_mode)}, not a regular file: refusing to replace it")


def atomic_write_text(path: str | Path, text: str, durable: bool = True) -> None:
    """Write via a temp file in the same folder and ``os.replace``.

    A reader sees the old file or the new one, never half of one, even if
    the writer is interrupted. Only a regular file is replaced; the new
    file's permissions follow the umask, as ``open`` would give them.
    """
    import tempfile  # not at import: a warm cached run never writes

    path = Path(path)
    check_replaceable(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.",
                               suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        check_replaceable(path)  # nothing put a device there meanwhile
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_regular(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Opened without blocking (a FIFO never waits for a writer), refused
    unless regular (``/dev/zero`` never ends), refused past ``limit``:
    ``NotRegularFile`` or ``OSError``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(f"{path} is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise OSError(f"{path} is {st.st_size:,} bytes, over the {limit:,}-byte limit")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise OSError(f"{path} grew past the {limit:,}-byte limit while read")
        return data
    finally:
        os.close(fd)
