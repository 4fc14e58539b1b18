"""JSON from files paramlint did not write, parsed with limits.

``json.loads`` has no size or depth limit of its own: a header of
gigabytes, ``[[[[...]]]]`` a million deep, or a 100,000-digit integer are
each a few bytes of intent. The size is checked before parsing, integers
past Python's digit limit and floats are refused by their parse hooks (a
``ValueError`` rather than minutes of arithmetic), and the depth is checked
by a scan of the brackets outside strings before anything is built.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: deepest nesting of arrays and objects accepted
MAX_DEPTH = 64
#: longest integer literal accepted (a shape or an offset has at most 20 digits)
MAX_INT_DIGITS = 40

_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class JsonError(ValueError):
    """The text is not JSON paramlint will read; ``line`` and ``column`` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _depth_ok(data: bytes, limit: int) -> tuple[int, int] | None:
    """None when nesting stays within ``limit``, else the offset where it goes past (and the depth)."""
    depth = 0
    for found in _STRING_OR_BRACKET.finditer(data):
        token = found.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return found.start(), depth
        elif token in (b"]", b"}"):
            depth -= 1
    return None


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def loads(data: bytes, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse UTF-8 JSON of at most ``max_bytes``; raises only ``JsonError``."""
    if len(data) > max_bytes:
        raise JsonError(f"the JSON is {len(data):,} bytes, over the {max_bytes:,}-byte limit")
    deep = _depth_ok(data, max_depth)
    if deep is not None:
        raise JsonError(f"nested more than {max_depth} levels deep", *_position(data, deep[0]))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonError(f"not UTF-8 (byte 0x{data[exc.start]:02x})", *_position(data, exc.start)) from None
    try:
        return json.loads(text, parse_int=_int, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonError(f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except (ValueError, RecursionError) as exc:
        raise JsonError(f"not valid JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
