"""The digest the cache keys files by: streamed, never the whole file in memory."""

from __future__ import annotations

import os

from paramlint.support import digest as digest_mod
from paramlint.support.digest import file_digest


def test_file_digest_streams_in_chunks(tmp_path, monkeypatch):
    big = tmp_path / "model.onnx"
    big.write_bytes(os.urandom(3 * digest_mod.CHUNK + 5))
    reads = []
    real_open = open

    class Spy:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def read(self, size=-1):
            reads.append(size)
            return self.handle.read(size)

    monkeypatch.setattr(digest_mod, "open", lambda p, m: Spy(real_open(p, m)), raising=False)
    import hashlib
    assert file_digest(big) == hashlib.sha256(big.read_bytes()).hexdigest()
    assert reads and all(size == digest_mod.CHUNK for size in reads)
    assert len(reads) == 5  # 3 full chunks, the tail, the empty read
