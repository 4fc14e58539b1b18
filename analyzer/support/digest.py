"""sha256 digests without paying for hashlib on small inputs.

Shared by the cache (file contents, configuration) and the plugin registry
(its identity), so it sits below both.
"""

from __future__ import annotations

import os
import stat
import sys

CHUNK = 1 << 20  # 1 MiB
#: Once this many bytes are to be hashed (one big file, or many small ones
#: in a run), OpenSSL does it (hashlib, ~1.7 GB/s here, 3 ms to import);
#: before, the interpreter's built-in sha256 (~300 MB/s, free to import):
#: 40 exports of 320 kB took ~40 ms built in. The digests are the same.
OPENSSL_FROM = 1 << 20
_hashed = 0  # bytes hashed by this process so far


def sha256_factory(big: bool = False):
    """A sha256 constructor without importing hashlib for small inputs.

    hashlib loads OpenSSL (3 ms of every run's start-up); the built-in
    ``_sha256`` (3.11; ``_sha2`` from 3.12) computes the same digest.
    """
    hashlib = sys.modules.get("hashlib")
    if hashlib is None and not big:
        try:
            from _sha256 import sha256
            return sha256
        except ImportError:
            try:
                from _sha2 import sha256
                return sha256
            except ImportError:
                pass
    import hashlib

    return hashlib.sha256


def file_digest(path: str | os.PathLike[str], size: int | None = None) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks (ONNX files are big)."""
    global _hashed
    if size is None:
        try:
            size = os.stat(path).st_size
        except OSError:
            size = OPENSSL_FROM
    _hashed += size
    digest = sha256_factory(big=_hashed >= OPENSSL_FROM)()
    # Opened without blocking and checked: the engine vetted the path, but
    # a FIFO or a device swapped in since must not hang or flood the hash.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
