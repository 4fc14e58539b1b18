"""Reading a safetensors file's header and nothing else.

A safetensors file is an 8-byte little-endian header length ``N``, ``N``
bytes of JSON naming every tensor (dtype, shape, byte offsets into the data
that follows), then the data. Only the first ``8 + N`` bytes are read,
whatever the file's size, so a 140 GB shard costs what its header costs
and a header-only file (the data cut off, as a fixture or a partial
download) reads the same. ``N`` is bounded before anything is allocated
(100 MB, as the safetensors crate bounds it) and the JSON is parsed with
limits (support/bounded_json.py).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from paramlint.ir.errors import LoadError, Location
from paramlint.support.bounded_json import JsonError, loads

#: the safetensors crate's own bound on the header
MAX_HEADER = 100 * 1000 * 1000
#: tensors in one file above which it is refused (a 405B model's largest shard holds a few hundred)
MAX_TENSORS = 1_000_000
#: dims of one tensor above which it is refused
MAX_RANK = 16

#: bits per element of each safetensors dtype, and the IR's name for it
DTYPES: dict[str, tuple[int, str]] = {
    "BOOL": (8, "bool"), "U8": (8, "uint8"), "I8": (8, "int8"),
    "F8_E5M2": (8, "float8e5m2"), "F8_E4M3": (8, "float8e4m3fn"), "F8_E8M0": (8, "float8e8m0"),
    "I16": (16, "int16"), "U16": (16, "uint16"), "F16": (16, "float16"), "BF16": (16, "bfloat16"),
    "I32": (32, "int32"), "U32": (32, "uint32"), "F32": (32, "float32"),
    "F64": (64, "float64"), "I64": (64, "int64"), "U64": (64, "uint64"),
    "F4": (4, "float4e2m1"), "F6_E2M3": (6, "float6e2m3"), "F6_E3M2": (6, "float6e3m2"),
}


@dataclass(frozen=True)
class Tensor:
    """One tensor of the header, as stored."""

    name: str
    dtype: str  # the safetensors name ("BF16")
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Header:
    tensors: list[Tensor]
    metadata: dict[str, str]
    header_bytes: int
    data_bytes: int  # what the offsets say the data holds
    file_bytes: int


def _open(path: str) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise LoadError("no such file", Location(path)) from None
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}", Location(path)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LoadError("is not a regular file", Location(path))
    return fd


def _read_exact(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_header(path: str) -> Header:
    """The header of the safetensors file at ``path``; raises only ``LoadError``."""
    where = Location(path)
    fd = _open(path)
    try:
        size = os.fstat(fd).st_size
        prefix = _read_exact(fd, 8)
        if len(prefix) < 8:
            raise LoadError(f"truncated safetensors file: {len(prefix)} bytes, the header length alone is 8", where)
        length = int.from_bytes(prefix, "little")
        if length > MAX_HEADER:
            raise LoadError(f"safetensors header length {length:,} is over the {MAX_HEADER:,}-byte limit "
                            "(not a safetensors file, or a hostile one)", where)
        if length > size - 8:
            raise LoadError(f"truncated safetensors header: it says {length:,} bytes, the file holds "
                            f"{max(size - 8, 0):,} after the length", where)
        raw = _read_exact(fd, length)
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}", where) from None
    finally:
        os.close(fd)
    if len(raw) < length:
        raise LoadError(f"truncated safetensors header: read {len(raw):,} of {length:,} bytes", where)
    try:
        doc = loads(raw.rstrip(b" "), MAX_HEADER)  # the format pads the header with spaces
    except JsonError as exc:
        raise LoadError(f"safetensors header: {exc.message}", where) from None
    return _parse(doc, path, 8 + length, size)


def _parse(doc: object, path: str, header_bytes: int, file_bytes: int) -> Header:
    where = Location(path)
    if not isinstance(doc, dict):
        raise LoadError("safetensors header: must be a JSON object of tensors", where)
    if len(doc) > MAX_TENSORS:
        raise LoadError(f"safetensors header names {len(doc):,} tensors, over the {MAX_TENSORS:,} limit", where)
    metadata: dict[str, str] = {}
    tensors: list[Tensor] = []
    for name, entry in doc.items():
        if name == "__metadata__":
            if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
                raise LoadError("safetensors header: '__metadata__' must map strings to strings", where)
            metadata = entry
            continue
        tensors.append(_tensor(name, entry, where))
    tensors.sort(key=lambda t: t.start)
    end = 0
    for tensor in tensors:
        if tensor.start != end:
            raise LoadError(f"safetensors header: tensor '{tensor.name}' starts at byte {tensor.start:,} "
                            f"of the data, not {end:,} (overlapping or with a gap)", where)
        end = tensor.end
    return Header(tensors, metadata, header_bytes, end, file_bytes)


def _tensor(name: str, entry: object, where: Location) -> Tensor:
    def bad(why: str) -> LoadError:
        return LoadError(f"safetensors header: tensor '{name}': {why}", where)

    if not isinstance(entry, dict):
        raise bad("must be an object with dtype, shape and data_offsets")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise bad(f"unknown dtype {str(dtype)[:40]!r}")
    if (not isinstance(shape, list) or len(shape) > MAX_RANK
            or not all(type(d) is int and 0 <= d < 1 << 62 for d in shape)):
        raise bad(f"shape must be a list of at most {MAX_RANK} non-negative integers")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(type(o) is int and 0 <= o < 1 << 62 for o in offsets) or offsets[0] > offsets[1]):
        raise bad("data_offsets must be [start, end] with 0 <= start <= end")
    tensor = Tensor(name, dtype, tuple(shape), offsets[0], offsets[1])
    bits = DTYPES[dtype][0]
    expected = (tensor.elements * bits + 7) // 8
    if tensor.nbytes != expected:
        raise bad(f"{tensor.nbytes:,} bytes of data for {tensor.elements:,} {dtype} elements "
                  f"({expected:,} expected)")
    return tensor
