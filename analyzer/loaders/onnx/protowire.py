"""A minimal, defensive reader of the protobuf wire format.

Only what a field-level scan needs: read a varint, step over one field by
its wire type and length prefix, encode a varint. It never loops over the
bytes of a payload, only over fields, and it checks every length against
the end of the enclosing message, so hostile bytes give a ``WireError``
(with the byte offset) instead of an ``IndexError`` or a huge allocation.

``buf`` is anything indexable by int that returns an int and has a length:
``bytes``, ``bytearray``, ``mmap.mmap``, ``memoryview``. Reading an
``mmap`` this way touches only the pages that hold the fields visited.

Wire format reference: https://protobuf.dev/programming-guides/encoding/
"""

from __future__ import annotations

import re
from typing import Iterator

VARINT = 0
I64 = 1
LEN = 2
SGROUP = 3
EGROUP = 4
I32 = 5

#: A varint holds at most 64 bits: 10 bytes of 7 bits.
MAX_VARINT_BYTES = 10

_WIRE_NAMES = {
    VARINT: "varint",
    I64: "fixed64",
    LEN: "length-delimited",
    SGROUP: "group start",
    EGROUP: "group end",
    I32: "fixed32",
}


def wire_type_name(wire_type: int) -> str:
    return _WIRE_NAMES.get(wire_type, f"invalid wire type {wire_type}")


class WireError(ValueError):
    """The bytes are not well-formed protobuf; ``offset`` is where it broke."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} at byte {offset}")
        self.reason = reason
        self.offset = offset


def read_varint(buf, pos: int, end: int) -> tuple[int, int]:
    """Decode the varint at ``pos`` (not reading past ``end``).

    Returns ``(value, next_pos)``. Raises ``WireError`` if it runs past
    ``end`` or is longer than 10 bytes.
    """
    if pos >= end:
        raise WireError("truncated varint", pos)
    b = buf[pos]
    if b < 0x80:  # the common case: one byte
        return b, pos + 1
    value = b & 0x7F
    shift = 7
    i = pos + 1
    limit = min(end, pos + MAX_VARINT_BYTES)
    while i < limit:
        b = buf[i]
        value |= (b & 0x7F) << shift
        i += 1
        if b < 0x80:
            return value, i
        shift += 7
    if i >= end and i - pos < MAX_VARINT_BYTES:
        raise WireError("truncated varint", pos)
    raise WireError(f"varint longer than {MAX_VARINT_BYTES} bytes", pos)


def encode_varint(value: int) -> bytes:
    """The varint encoding of a non-negative int below 2**64."""
    if value < 0 or value >= 1 << 64:
        raise ValueError(f"varint out of range: {value}")
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _bad_number(number: int, field_start: int) -> WireError:
    if number == 0:
        return WireError("field number 0", field_start)
    return WireError(f"field number {number} out of range", field_start)


def _overrun(length: int, pos: int) -> WireError:
    return WireError(f"length prefix ({length} bytes) runs past the end of its message", pos)


def iter_fields(buf, start: int, end: int) -> Iterator[tuple[int, int, int, int, int]]:
    """The fields of the message that occupies ``buf[start:end]``.

    Yields ``(field_number, wire_type, field_start, value_start, value_end)``:
    the field spans ``buf[field_start:value_end]``; for a length-delimited
    field, ``buf[value_start:value_end]`` is its content (without the length
    prefix); for the other wire types it is the encoded value. The next
    field starts at ``value_end``.

    Groups (wire types 3 and 4) are refused: proto2 groups are deprecated
    and no field of the messages this package reads is one. Wire types 6
    and 7 do not exist. Field number 0 is invalid.
    """
    pos = start
    while pos < end:
        field_start = pos
        key, pos = read_varint(buf, pos, end)
        field_number = key >> 3
        wire_type = key & 7
        if field_number == 0 or field_number >= 1 << 29:
            raise _bad_number(field_number, field_start)
        if wire_type == LEN:
            length, value_start = read_varint(buf, pos, end)
            value_end = value_start + length
            if value_end > end:
                raise _overrun(length, pos)
        elif wire_type == VARINT:
            value_start = pos
            _, value_end = read_varint(buf, pos, end)
        elif wire_type == I64:
            value_start = pos
            value_end = pos + 8
            if value_end > end:
                raise WireError("truncated fixed64 value", pos)
        elif wire_type == I32:
            value_start = pos
            value_end = pos + 4
            if value_end > end:
                raise WireError("truncated fixed32 value", pos)
        elif wire_type in (SGROUP, EGROUP):
            raise WireError(
                f"unexpected {wire_type_name(wire_type)} (wire type {wire_type}) "
                f"in field {field_number}",
                field_start,
            )
        else:
            raise WireError(f"invalid wire type {wire_type} in field {field_number}", field_start)
        yield field_number, wire_type, field_start, value_start, value_end
        pos = value_end


def select_fields(
    buf, start: int, end: int, wanted
) -> list[tuple[int, int, int, int, int]]:
    """The fields of ``buf[start:end]`` whose number is in ``wanted``.

    Same tuples as ``iter_fields`` and the same checks on every field,
    wanted or not; it is ``iter_fields`` with the one- and two-byte varints
    inlined (keys of fields 16 and up, such as AttributeProto.type, and the
    lengths of nodes and tensors take two), for the hot loop over a graph's
    nodes (about twice as fast).
    """
    out = []
    append = out.append
    pos = start
    while pos < end:
        field_start = pos
        key = buf[pos]
        if key < 0x80:
            pos += 1
        elif pos + 1 < end and buf[pos + 1] < 0x80:  # read_varint's two-byte case
            key = (key & 0x7F) | (buf[pos + 1] << 7)
            pos += 2
        else:
            key, pos = read_varint(buf, pos, end)
        wire_type = key & 7
        if wire_type == LEN:
            if pos < end and buf[pos] < 0x80:
                length = buf[pos]
                value_start = pos + 1
            elif pos + 1 < end and buf[pos + 1] < 0x80:
                length = (buf[pos] & 0x7F) | (buf[pos + 1] << 7)
                value_start = pos + 2
            else:
                length, value_start = read_varint(buf, pos, end)
            value_end = value_start + length
            if value_end > end:
                raise _overrun(length, pos)
        elif wire_type == VARINT:
            value_start = pos
            if pos < end and buf[pos] < 0x80:
                value_end = pos + 1
            else:
                _, value_end = read_varint(buf, pos, end)
        else:
            # Rare in the messages walked: let the general code check it.
            number, wire_type, field_start, value_start, value_end = next(
                iter_fields(buf, field_start, end)
            )
            if number in wanted:
                append((number, wire_type, field_start, value_start, value_end))
            pos = value_end
            continue
        number = key >> 3
        if number == 0 or number >= 1 << 29:
            raise _bad_number(number, field_start)
        if number in wanted:
            append((number, wire_type, field_start, value_start, value_end))
        pos = value_end
    return out


#: Elements checked per step when skipping a run, to bound the temporaries.
_RUN_STEP = 1 << 16
_VARINT_RUNS: dict[bytes, re.Pattern] = {}


def skip_scalar_run(buf, pos: int, end: int, key: bytes, wire_type: int) -> int:
    """Where a run of unpacked repeated scalars starting at ``pos`` ends.

    A run is consecutive fields that all start with the same ``key`` (field
    number and wire type) and hold one scalar each: what a writer emits for
    a repeated number field without ``packed``. ONNX writers pack them, but
    a reader must accept both, and stepping over a 500 MB run field by field
    in Python would take minutes. Fixed-width runs are checked with strided
    slices, varint runs with a regular expression, both in C, a bounded
    number of elements at a time. The first element at ``pos`` is assumed
    well-formed (``iter_fields`` checked it); anything after the run is left
    for the caller to check.
    """
    if wire_type in (I32, I64) and len(key) == 1:
        stride = 1 + (4 if wire_type == I32 else 8)
        while True:
            n = min((end - pos) // stride, _RUN_STEP)
            if n == 0:
                return pos
            tags = buf[pos : pos + n * stride : stride]
            same = n - len(tags.lstrip(key))
            pos += same * stride
            if same < n:
                return pos
    if wire_type == VARINT:
        pattern = _VARINT_RUNS.get(key)
        if pattern is None:
            element = re.escape(key) + rb"[\x80-\xff]{0,9}[\x00-\x7f]"
            pattern = re.compile(b"(?:" + element + b"){0,%d}" % _RUN_STEP, re.DOTALL)
            _VARINT_RUNS[key] = pattern
        while True:
            match = pattern.match(buf, pos, end)
            step_end = match.end()
            del match
            if step_end == pos:
                return pos
            pos = step_end
    # Anything else: one field at a time.
    width = len(key)
    while pos + width <= end and buf[pos : pos + width] == key:
        _, _, _, _, value_end = next(iter_fields(buf, pos, end))
        pos = value_end
    return pos
