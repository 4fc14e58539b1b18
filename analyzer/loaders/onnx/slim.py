"""The wire walk that drops weight payloads: the slim bytes of an .onnx file.

Walks the protobuf wire format over the messages that can hold a
``TensorProto`` and copies every other field byte for byte; a tensor
payload over ``keep_bytes`` is dropped, everything else about the tensor is
kept. Pure bytes in, bytes out: wire.py reads the file and parses the
result.
"""

from __future__ import annotations

from .protowire import (
    LEN,
    VARINT,
    encode_varint,
    iter_fields,
    read_varint,
    select_fields,
    skip_scalar_run,
    wire_type_name,
)

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
