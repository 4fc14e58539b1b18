"""A bounded reader of a GGUF file's header, metadata and tensor infos.

Why not the ``gguf`` package: its reader imports numpy (about 0.1-0.2 s and
20 MB before reading a byte) and memory-maps the whole file, building numpy
views of every metadata array (a vocabulary of 150,000 strings is 150,000
small arrays); paramlint needs a few dozen integers and the tensor infos,
from files it does not trust. This reader reads the header sequentially,
bounds every count and length before it allocates anything, skips the
vocabulary's strings without keeping them, and never reads tensor data.
docs/gguf.md has the measured comparison.
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from paramlint.ir.errors import LoadError, Location

MAGIC = b"GGUF"
VERSIONS = (2, 3)
MAX_TENSORS = 1_000_000
MAX_KEYS = 100_000
MAX_STRING = 16 * 1024 * 1024      # a chat template is kilobytes; a key or a tensor name far less
MAX_ARRAY = 10_000_000              # a vocabulary: 256,000 entries
MAX_KEPT_ARRAY = 4096               # longer arrays are skipped, their length kept
MAX_DIMS = 8                        # ggml's GGML_MAX_DIMS is 4
MAX_METADATA_BYTES = 512 * 1024 * 1024
DEFAULT_ALIGNMENT = 32

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9


class _Bad(Exception):
    pass


@dataclass
class TensorInfo:
    name: str
    dims: tuple[int, ...]   # ggml order: dims[0] is the fastest-varying (a row's length)
    type_id: int
    offset: int


@dataclass
class Gguf:
    version: int
    metadata: dict[str, Any]
    #: arrays too long to keep (the vocabulary): key -> (item type, length)
    skipped: dict[str, tuple[int, int]]
    tensors: list[TensorInfo] = field(default_factory=list)
    data_start: int = 0
    file_bytes: int = 0


class _Stream:
    """Reads exactly what is asked or fails; counts what metadata costs."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle, self.size, self.spent = handle, size, 0

    def take(self, n: int, what: str) -> bytes:
        if n > self.size - self.handle.tell():
            raise _Bad(f"truncated GGUF file: {what} needs {n:,} bytes past byte {self.handle.tell():,} "
                       f"of {self.size:,}")
        data = self.handle.read(n)
        if len(data) != n:
            raise _Bad(f"truncated GGUF file while reading {what}")
        return data

    def skip(self, n: int, what: str) -> None:
        if n > self.size - self.handle.tell():
            raise _Bad(f"truncated GGUF file: {what} needs {n:,} bytes past byte {self.handle.tell():,}")
        self.handle.seek(n, os.SEEK_CUR)

    def unpack(self, fmt: str, what: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))[0]

    def count(self, limit: int, what: str) -> int:
        n = self.unpack("<Q", what)
        if n > limit:
            raise _Bad(f"{what} is {n:,}, over the limit of {limit:,}")
        return n

    def string(self, what: str, keep: bool = True) -> str | None:
        n = self.count(MAX_STRING, f"the length of {what}")
        self.spent += n
        if self.spent > MAX_METADATA_BYTES:
            raise _Bad(f"the metadata is over {MAX_METADATA_BYTES:,} bytes")
        if not keep:
            self.skip(n, what)
            return None
        return self.take(n, what).decode("utf-8", "replace")


def _value(stream: _Stream, kind: int, key: str, depth: int = 0) -> tuple[Any, tuple[int, int] | None]:
    """A metadata value, or (None, (item type, length)) for an array too long to keep."""
    if kind in _SCALARS:
        return stream.unpack(_SCALARS[kind], f"the value of '{key}'"), None
    if kind == STRING:
        return stream.string(f"the value of '{key}'"), None
    if kind != ARRAY:
        raise _Bad(f"metadata key '{key}' has unknown value type {kind}")
    if depth:
        raise _Bad(f"metadata key '{key}' nests arrays in arrays")
    item = stream.unpack("<I", f"the item type of '{key}'")
    n = stream.count(MAX_ARRAY, f"the length of '{key}'")
    keep = n <= MAX_KEPT_ARRAY
    if item in _SCALARS:
        size = struct.calcsize(_SCALARS[item])
        if not keep:
            stream.skip(n * size, f"the items of '{key}'")
            return None, (item, n)
        fmt = "<" + _SCALARS[item][1] * n
        return list(struct.unpack(fmt, stream.take(n * size, f"the items of '{key}'"))), None
    if item == STRING:
        values = [stream.string(f"an item of '{key}'", keep) for _ in range(n)]
        return (values, None) if keep else (None, (item, n))
    raise _Bad(f"metadata key '{key}' is an array of unsupported type {item}")


def _open(path: str) -> tuple[BinaryIO, int]:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise LoadError("no such file", Location(path)) from None
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}", Location(path)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise LoadError("is not a regular file", Location(path))
    return os.fdopen(fd, "rb", buffering=1 << 16), info.st_size


def read(path: str) -> Gguf:
    """The header, metadata and tensor infos of a GGUF file; raises only ``LoadError``."""
    handle, size = _open(path)
    try:
        with handle:
            return _read(_Stream(handle, size))
    except _Bad as exc:
        raise LoadError(str(exc), Location(path)) from None
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}", Location(path)) from None


def _read(stream: _Stream) -> Gguf:
    magic = stream.handle.read(4)
    if magic != MAGIC:
        raise _Bad(f"not a GGUF file: it starts with {magic!r}, not b'GGUF'")
    version = stream.unpack("<I", "the version")
    if version not in VERSIONS:
        raise _Bad(f"unsupported GGUF version {version} (paramlint reads versions 2 and 3)")
    n_tensors = stream.count(MAX_TENSORS, "the tensor count")
    n_keys = stream.count(MAX_KEYS, "the metadata key count")
    metadata: dict[str, Any] = {}
    skipped: dict[str, tuple[int, int]] = {}
    for _ in range(n_keys):
        key = stream.string("a metadata key")
        kind = stream.unpack("<I", f"the value type of '{key}'")
        value, long = _value(stream, kind, key)
        if long is not None:
            skipped[key] = long
        else:
            metadata[key] = value
    tensors = []
    for _ in range(n_tensors):
        name = stream.string("a tensor name")
        rank = stream.unpack("<I", f"the rank of tensor '{name}'")
        if rank > MAX_DIMS:
            raise _Bad(f"tensor '{name}' has {rank} dimensions, over the limit of {MAX_DIMS}")
        dims = struct.unpack(f"<{rank}Q", stream.take(8 * rank, f"the dimensions of '{name}'"))
        if any(d >= 1 << 62 for d in dims):
            raise _Bad(f"tensor '{name}' has a dimension past any real tensor")
        type_id = stream.unpack("<I", f"the type of '{name}'")
        offset = stream.unpack("<Q", f"the offset of '{name}'")
        tensors.append(TensorInfo(name, tuple(dims), type_id, offset))
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise _Bad(f"general.alignment must be a power of two, got {alignment!r}")
    here = stream.handle.tell()
    start = here + (-here % alignment)
    return Gguf(version, metadata, skipped, tensors, start, stream.size)
