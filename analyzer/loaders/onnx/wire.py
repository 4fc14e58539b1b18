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
from .protowire import (
    LEN,
    VARINT,
    WireError,
    encode_varint,
    iter_fields,
    read_varint,
    select_fields,
    skip_scalar_run,
    wire_type_name,
)

if TYPE_CHECKING:  # onnx is imported on first use, not when this module is
    import onnx

__all__ = ["read_model", "payload_dropped", "MAX_GRAPH_DEPTH", "MAX_NODES", "MAX_STRUCTURE_BYTES",
           "PAYLOAD_FIELDS"]

#: How deep subgraphs (If/Loop/Scan bodies, graph attributes) may nest.
#: onnx's own protobuf parser (upb, 100 message levels) stops at 32.
MAX_GRAPH_DEPTH = 32
#: Nodes a model may hold, in all its graphs and functions as stored, and
#: after its local functions are inlined (docs/limits.md: real exports
#: hold a few hundred to a few tens of thousands).
MAX_NODES = 500_000
#: Bytes of everything but weight payloads (names, attributes, doc
#: strings...): what is copied, parsed and kept in memory. A 50,000-node
#: graph is ~5 MB of it (docs/limits.md).
MAX_STRUCTURE_BYTES = 256 << 20

# Message kinds, and for each one the fields that hold a message of a kind
# that can (transitively) hold a TensorProto. Numbers are onnx.proto's
# (checked against onnx-ml.proto of onnx 1.23).
_MODEL, _GRAPH, _NODE, _ATTRIBUTE, _TENSOR, _SPARSE, _FUNCTION, _TRAINING = range(8)

_KIND_NAMES = {
    _MODEL: "ModelProto",
    _GRAPH: "GraphProto",
    _NODE: "NodeProto",
    _ATTRIBUTE: "AttributeProto",
    _TENSOR: "TensorProto",
    _SPARSE: "SparseTensorProto",
    _FUNCTION: "FunctionProto",
    _TRAINING: "TrainingInfoProto",
}

_CHILDREN: dict[int, dict[int, int]] = {
    # graph, training_info, functions
    _MODEL: {7: _GRAPH, 20: _TRAINING, 25: _FUNCTION},
    # initialization, algorithm
    _TRAINING: {1: _GRAPH, 2: _GRAPH},
    # node, initializer, sparse_initializer
    _GRAPH: {1: _NODE, 5: _TENSOR, 15: _SPARSE},
    # attribute
    _NODE: {5: _ATTRIBUTE},
    # t, g, tensors, graphs, sparse_tensor, sparse_tensors
    _ATTRIBUTE: {5: _TENSOR, 6: _GRAPH, 10: _TENSOR, 11: _GRAPH, 22: _SPARSE, 23: _SPARSE},
    # values, indices
    _SPARSE: {1: _TENSOR, 2: _TENSOR},
    # node, attribute_proto (default values of attributes)
    _FUNCTION: {7: _NODE, 11: _ATTRIBUTE},
}

#: TensorProto fields that hold values: float_data, int32_data, string_data,
#: int64_data, raw_data, double_data, uint64_data.
PAYLOAD_FIELDS = frozenset({4, 5, 6, 7, 9, 10, 11})

# The wire type of every ModelProto field: a protobuf that is not a model
# (a TensorProto, a GraphProto...) nearly always disagrees on one of them.
_MODEL_WIRE_TYPES = {
    1: VARINT,  # ir_version
    2: LEN,  # producer_name
    3: LEN,  # producer_version
    4: LEN,  # domain
    5: VARINT,  # model_version
    6: LEN,  # doc_string
    7: LEN,  # graph
    8: LEN,  # opset_import
    14: LEN,  # metadata_props
    20: LEN,  # training_info
    25: LEN,  # functions
    26: LEN,  # configuration
}


class _BadModel(ValueError):
    """A structural problem found by the walk (not a wire-format one)."""


class _Slimmer:
    def __init__(self, buf, keep_bytes: int) -> None:
        self.buf = buf
        self.keep_bytes = keep_bytes
        self.has_graph = False
        self.has_opset = False
        self.has_functions = False
        self.nodes = 0

    def message(self, start: int, end: int, kind: int, depth: int) -> tuple[list, int] | None:
        """Rewrite the message at ``buf[start:end]``.

        Returns None when it is unchanged, else ``(chunks, length)``.
        ``depth`` counts the graphs enclosing this message.
        """
        if kind == _TENSOR:
            return self.tensor(start, end)
        if kind == _GRAPH:
            depth += 1
            if depth > MAX_GRAPH_DEPTH:
                raise _BadModel(f"subgraphs nested more than {MAX_GRAPH_DEPTH} deep")
        children = _CHILDREN[kind]
        if kind == _MODEL:
            fields = list(iter_fields(self.buf, start, end))
            for number, wire_type, field_start, _vs, _ve in fields:
                self.check_model_field(number, wire_type, field_start)
                if number == 8:
                    self.has_opset = True
                elif number == 25:
                    self.has_functions = True
        else:
            fields = select_fields(self.buf, start, end, children)
            if not fields:  # most nodes and attributes: nothing to rewrite
                return None
            if kind == _GRAPH or kind == _FUNCTION:
                node_field = 1 if kind == _GRAPH else 7
                self.nodes += sum(1 for f in fields if f[0] == node_field)
                if self.nodes > MAX_NODES:
                    raise _BadModel(f"the model holds more than {MAX_NODES:,} nodes "
                                    f"(paramlint's limit; see docs/limits.md)")
        chunks: list = []
        length = 0
        run_start = start  # start of the pending unchanged run
        changed = False
        for number, wire_type, field_start, value_start, value_end in fields:
            child = children.get(number)
            if child is None:
                continue
            if wire_type != LEN:
                raise _BadModel(
                    f"field {number} of {_KIND_NAMES[kind]} at byte {field_start} is "
                    f"{wire_type_name(wire_type)}, expected a message"
                )
            if kind == _MODEL and number == 7:
                self.has_graph = True
            if value_end - value_start <= self.keep_bytes and (
                    child == _TENSOR
                    or child == _NODE and not _may_hold_graph(self.buf, value_start, value_end)):
                continue  # too small to hold a payload worth dropping: copied as it is
            sub = self.message(value_start, value_end, child, depth)
            if sub is None:
                continue
            changed = True
            if field_start > run_start:
                chunks.append((run_start, field_start))
                length += field_start - run_start
            # The tag, then the new length prefix, then the new content.
            tag_end = _tag_end(self.buf, field_start)
            sub_chunks, sub_length = sub
            prefix = encode_varint(sub_length)
            chunks.append((field_start, tag_end))
            chunks.append(prefix)
            chunks.extend(sub_chunks)
            length += (tag_end - field_start) + len(prefix) + sub_length
            run_start = value_end
        if not changed:
            return None
        if end > run_start:
            chunks.append((run_start, end))
            length += end - run_start
        return chunks, length

    def tensor(self, start: int, end: int) -> tuple[list, int] | None:
        if _scan_tensor(self.buf, start, end, None) <= self.keep_bytes:
            return None
        # The fields kept (dims, data_type, name...) are a few bytes: copy
        # them, so that a hostile tensor of many tiny fields costs its size
        # in memory, not a list entry per field.
        kept = bytearray()
        _scan_tensor(self.buf, start, end, kept)
        return [bytes(kept)], len(kept)

    def check_model_field(self, number: int, wire_type: int, field_start: int) -> None:
        expected = _MODEL_WIRE_TYPES.get(number)
        if expected is not None and wire_type != expected:
            raise _BadModel(
                f"not an ONNX model: ModelProto field {number} at byte {field_start} is "
                f"{wire_type_name(wire_type)}, expected {wire_type_name(expected)}"
            )


def _scan_tensor(buf, start: int, end: int, kept: bytearray | None) -> int:
    """The payload bytes of the TensorProto at ``buf[start:end]``; with
    ``kept``, every field that is not payload is appended to it.

    A run of unpacked payload scalars counts as one field, tags included.
    The common cases are inlined (a one-byte key, then a one-byte varint or
    a length prefix): a 50,000-node model has tens of thousands of tensors,
    and two generators per field cost more than the rest of the walk. Any
    other field goes through ``iter_fields``, with its checks and errors.
    """
    payload = 0
    pos = start
    while pos < end:
        field_start = pos
        key = buf[pos]
        if 8 <= key < 0x80:  # a one-byte key, field number 1-15
            number = key >> 3
            wire_type = key & 7
            pos += 1
            if wire_type == LEN:
                if pos < end:
                    length = buf[pos]
                    if length < 0x80:
                        value_start = pos + 1
                    else:
                        length, value_start = read_varint(buf, pos, end)
                    value_end = value_start + length
                    if value_end <= end:
                        if number in PAYLOAD_FIELDS:
                            payload += length
                        elif kept is not None:
                            kept += buf[field_start:value_end]
                        pos = value_end
                        continue
            elif wire_type == VARINT and number not in PAYLOAD_FIELDS:
                if pos < end and buf[pos] < 0x80:
                    pos += 1
                    if kept is not None:
                        kept += buf[field_start:pos]
                    continue
            pos = field_start  # the general case below, from the key
        number, wire_type, field_start, value_start, value_end = next(iter_fields(buf, pos, end))
        if wire_type != LEN and number in PAYLOAD_FIELDS:
            key_bytes = buf[field_start:value_start]
            value_start = field_start
            value_end = skip_scalar_run(buf, field_start, end, key_bytes, wire_type)
        if number in PAYLOAD_FIELDS:
            payload += value_end - value_start
        elif kept is not None:
            kept += buf[field_start:value_end]
        pos = value_end
    return payload


#: AttributeProto.type (field 20, a two-byte key) set to GRAPH (5) or GRAPHS
#: (10), as every writer encodes it: a node without either holds no subgraph
#: that the loader would read (one encoded otherwise is still counted and
#: depth-checked by onnx_graph.flatten).
GRAPH_TYPE_BYTES = (b"\xa0\x01\x05", b"\xa0\x01\x0a")


def _may_hold_graph(buf, start: int, end: int) -> bool:
    return any(buf.find(pattern, start, end) >= 0 for pattern in GRAPH_TYPE_BYTES)


def _tag_end(buf, pos: int) -> int:
    """Where the field key (tag varint) starting at ``pos`` ends."""
    # Already validated by iter_fields, so it terminates within 10 bytes.
    while buf[pos] >= 0x80:
        pos += 1
    return pos + 1


def _join(buf, chunks: list) -> bytes:
    with memoryview(buf) as view:
        return b"".join([c if type(c) is bytes else view[c[0] : c[1]] for c in chunks])


def slim_bytes(buf, keep_bytes: int = 4096) -> bytes:
    """The serialized ModelProto in ``buf`` with large tensor payloads dropped.

    ``buf`` is bytes, a bytearray or an mmap. Raises ``WireError`` for bytes
    that are not well-formed protobuf and ``ValueError`` for a protobuf that
    is not an ONNX model.
    """
    return _slim(buf, keep_bytes)[0]


def slim_answer(buf, keep_bytes: int = 4096) -> bytes:
    """``slim_bytes`` after a header of what the walk saw: a flags byte
    (1: model-local functions) and the node count (8 bytes), as the
    child's job answers (``read_slim`` decodes it)."""
    data, slimmer = _slim(buf, keep_bytes)
    return bytes((int(slimmer.has_functions),)) + slimmer.nodes.to_bytes(8, "big") + data


def _slim(buf, keep_bytes: int) -> tuple[bytes, "_Slimmer"]:
    slimmer = _Slimmer(buf, keep_bytes)
    result = slimmer.message(0, len(buf), _MODEL, 0)
    if not slimmer.has_graph:
        raise _BadModel("not an ONNX model: no graph")
    if not slimmer.has_opset:
        # onnx.proto: "All ModelProtos MUST have at least one entry" (and a
        # file cut right after its graph would otherwise pass for a model).
        raise _BadModel("not an ONNX model: no opset_import")
    length = len(buf) if result is None else result[1]
    if length > MAX_STRUCTURE_BYTES:
        raise _BadModel(f"the model's structure (all but weight values) is {length / 2**20:,.0f} MiB, "
                        f"over paramlint's limit of {MAX_STRUCTURE_BYTES >> 20} MiB "
                        f"(see docs/limits.md)")
    if result is None:
        return bytes(buf), slimmer
    chunks, length = result
    out = _join(buf, chunks)
    assert len(out) == length
    return out, slimmer


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
