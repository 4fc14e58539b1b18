"""Read an .onnx file without reading its weights.

``read_model`` memory-maps the file and walks the protobuf wire format over
the messages that can hold a ``TensorProto`` (the graph, its nodes'
attributes, subgraphs, functions, training graphs, sparse tensors). Every
other field is copied byte for byte. A tensor whose payload (``raw_data``
and the repeated ``*_data`` fields) is larger than ``keep_bytes`` loses
that payload and keeps everything else: ``dims``, ``data_type``, ``name``,
``external_data``, ``data_location``, ``doc_string``... The slim bytes,
usually a few kilobytes, are then parsed with ``onnx.ModelProto``.

A tensor whose payload was dropped has no value field at all; use
``payload_dropped`` to tell it apart. Nothing a model names is ever opened:
``external_data`` entries are copied as they are, never resolved.

See docs/onnx-reading.md.
"""

from __future__ import annotations

import mmap
import os
import stat
from typing import TYPE_CHECKING, NamedTuple

from paramlint.ir.model import LoadError, Location
from paramlint.support.isolate import ChildFailed, JobError, call
from .protowire import WireError
from .slim import (MAX_GRAPH_DEPTH, MAX_NODES, MAX_STRUCTURE_BYTES, PAYLOAD_FIELDS, _BadModel,
                   slim_answer)

if TYPE_CHECKING:  # onnx is imported on first use, not when this module is
    import onnx

__all__ = ["read_model", "payload_dropped", "MAX_GRAPH_DEPTH", "MAX_NODES", "MAX_STRUCTURE_BYTES",
           "PAYLOAD_FIELDS"]


def payload_dropped(tensor: "onnx.TensorProto") -> bool:
    """Whether ``read_model`` dropped this tensor's values.

    True for a tensor stored in the file (not ``EXTERNAL``) that declares
    elements but holds no value field: the values were not read. Such a
    tensor is what ``read_model`` leaves of a large one; a well-formed ONNX
    file has none of its own.
    """
    if tensor.data_location == 1:  # TensorProto.EXTERNAL
        return False
    if (
        tensor.raw_data
        or tensor.float_data
        or tensor.int32_data
        or tensor.string_data
        or tensor.int64_data
        or tensor.double_data
        or tensor.uint64_data
    ):
        return False
    elements = 1
    for d in tensor.dims:
        elements *= d
    return elements != 0


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class Slim(NamedTuple):
    """What ``read_slim`` read: the slim bytes, and what the walk saw of them."""

    data: bytes
    has_functions: bool  # model-local functions (the loader inlines them)
    nodes: int  # nodes counted in all graphs and functions


def read_model(path: str, keep_bytes: int = 4096) -> "onnx.ModelProto":
    """Slim ModelProto: every TensorProto payload larger than keep_bytes dropped,
    dims/data_type/name kept (``read_slim``, parsed)."""
    return parse(read_slim(path, keep_bytes).data, Location(os.fspath(path)))


def read_slim(path: str, keep_bytes: int = 4096) -> Slim:
    """The file's bytes with every TensorProto payload larger than keep_bytes
    dropped, dims/data_type/name kept.

    The file is memory-mapped and walked in the supervised child process
    (analyzer/isolate.py): a file truncated while it is mapped raises
    SIGBUS, which no process survives; the child's death is this file's
    LoadError. Only the slim bytes come back.
    """
    if isinstance(keep_bytes, bool) or not isinstance(keep_bytes, int) or keep_bytes < 0:
        raise ValueError(f"keep_bytes must be a non-negative int, not {keep_bytes!r}")
    path = os.fspath(path)
    where = Location(str(path))
    # Vetted here first (a regular file, readable by us): the child's
    # answer then only ever concerns the bytes.
    fd = _open_checked(path)
    try:
        size = os.fstat(fd).st_size
        if size <= IN_MEMORY_BYTES:  # read, not mapped: no SIGBUS, no round trip
            data = _read_fd(fd, size)
    finally:
        os.close(fd)
    try:
        if size <= IN_MEMORY_BYTES:
            answer = slim_job_bytes(data, keep_bytes)
        else:
            answer = call("paramlint.loaders.onnx.wire:slim_job",
                          keep_bytes.to_bytes(8, "big") + os.fsencode(path),
                          timeout=READ_SECONDS + size / READ_BYTES_PER_SECOND)
    except JobError as exc:
        raise LoadError(str(exc), where) from None
    except ChildFailed as exc:
        what = str(exc)
        if "SIGBUS" in what:
            what += ": the file was truncated or changed while it was read"
        raise LoadError(f"reading the ONNX file {what}", where) from None
    flags, nodes = answer[0], int.from_bytes(answer[1:9], "big")
    return Slim(answer[9:], bool(flags & 1), nodes)


#: Files up to this size are read into memory and walked here; larger ones
#: are memory-mapped, and walked in the supervised child (a mapped file
#: truncated by someone else raises SIGBUS). Graph-only exports are a few
#: MB; the weights of a real model are far beyond this.
IN_MEMORY_BYTES = 16 << 20


def _read_fd(fd: int, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


#: Deadline of the slim read: a base plus the file's size at a slow disk's
#: speed (the walk reads only field headers, so this is far above need).
READ_SECONDS = 30.0
READ_BYTES_PER_SECOND = 20e6


def slim_job(payload: bytes) -> bytes:
    """The child's side of ``read_model``: keep_bytes (8 bytes) + path -> slim bytes."""
    keep_bytes = int.from_bytes(payload[:8], "big")
    return _errors_as_job_errors(_read, os.fsdecode(payload[8:]), keep_bytes)


def slim_job_bytes(data: bytes, keep_bytes: int) -> bytes:
    """``slim_answer`` with every error as a one-line ``JobError``."""
    if not data:
        raise JobError("not a valid ONNX file: empty file")
    return _errors_as_job_errors(slim_answer, data, keep_bytes)


def _errors_as_job_errors(func, *args) -> bytes:
    try:
        return func(*args)
    except LoadError as exc:
        raise JobError(exc.message) from None
    except WireError as exc:
        raise JobError(f"not a valid ONNX file (truncated or corrupt protobuf): {exc}") from None
    except _BadModel as exc:
        raise JobError(_one_line(exc)) from None
    except MemoryError:
        raise JobError("not enough memory to read the model") from None
    except RecursionError:
        raise JobError("model nested too deeply to read") from None
    except Exception as exc:  # the boundary: nothing else may escape
        reason = _one_line(exc) or type(exc).__name__
        raise JobError(f"cannot read ONNX model: {reason}") from None


def _open_checked(path: str) -> int:
    """An fd of ``path`` if it is a non-empty regular file, else LoadError."""
    where = Location(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise LoadError("no such file", where) from None
    except PermissionError:
        raise LoadError("permission denied", where) from None
    except OSError as exc:
        raise LoadError(f"cannot read file: {_one_line(exc.strerror or exc)}", where) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise LoadError(f"cannot read model: {kind}", where)
    # O_NONBLOCK: should the path turn into a FIFO after the stat, opening
    # it must not hang; fstat below refuses it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError:
        raise LoadError("permission denied", where) from None
    except OSError as exc:
        raise LoadError(f"cannot open file: {_one_line(exc.strerror or exc)}", where) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LoadError("cannot read model: not a regular file", where)
        if st.st_size == 0:
            raise LoadError("not a valid ONNX file: empty file", where)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read(path: str, keep_bytes: int) -> bytes:
    fd = _open_checked(path)
    try:
        try:
            mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError, OverflowError) as exc:
            raise LoadError(f"cannot map file: {_one_line(exc)}", Location(path)) from None
    finally:
        os.close(fd)
    try:
        return slim_answer(mm, keep_bytes)
    finally:
        mm.close()


def parse(data: bytes, where: Location) -> "onnx.ModelProto":
    """The ModelProto of slim bytes; a LoadError if protobuf refuses them."""
    from google.protobuf.message import DecodeError

    from .lean import proto

    try:
        model = proto().ModelProto.FromString(data)
    except MemoryError:
        raise LoadError("not enough memory to read the model", where) from None
    except DecodeError as exc:
        raise LoadError(f"not a valid ONNX file: {_one_line(exc)}", where) from None
    if not model.HasField("graph"):  # pragma: no cover - slim_bytes checks it
        raise LoadError("not an ONNX model: no graph", where)
    return model
