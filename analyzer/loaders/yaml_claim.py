"""Is this YAML file a paramlint architecture file? A text scan, not a parse.

A file is one when its top level says so: a ``paramlint:`` key, or a
``layers`` key beside ``input`` or ``inputs`` (cli-and-rules.md, "Which
files are models"). Everything else (workflows, compose files, Hydra
configs, an empty file) is not ours and is skipped without a finding.

The scan reads top-level keys line by line (a key at column 0 followed by
a colon) instead of parsing, for two reasons: it costs microseconds and no
``import yaml``, and it still recognises a file whose rest is broken, so
that a syntax error further down becomes a PRM001 with its line and column
instead of a silent skip. A document written in flow style (``{input: ...,
layers: [...]}``, JSON) is scanned for the same keys anywhere in it.
"""

from __future__ import annotations

import re

from . import HEAD_BYTES

#: Read at most this much of a file while looking for its top-level keys;
#: the YAML loader refuses larger files anyway.
SCAN_LIMIT = 10 * 1024 * 1024

_TOP_KEY = re.compile(rb"""^(["']?)(paramlint|layers|inputs?)\1[ \t]*:(?:[ \t\r]|$)""", re.M)
_FLOW_KEY = re.compile(rb"""(?:^|[{,\s])(["']?)(paramlint|layers|inputs?)\1[ \t]*:""", re.M)
_FIRST = re.compile(rb"^(?:---[ \t]*)?([^\s#%-])", re.M)


def keys_in(text: bytes) -> set[str]:
    """The architecture keys found at the top level of ``text``."""
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    first = _FIRST.search(text)
    flow = first is not None and first.group(1) in (b"{", b"[")
    pattern = _FLOW_KEY if flow else _TOP_KEY
    return {m.group(2).decode() for m in pattern.finditer(text)}


def says_architecture(keys: set[str]) -> bool:
    return "paramlint" in keys or ("layers" in keys and bool(keys & {"input", "inputs"}))


def claims(path: str, head: bytes) -> bool:
    """Claim ``path`` when its top-level keys make it an architecture file.

    ``head`` is the start of the file; only when it is cut short and has
    found one of the keys but not the other is the rest read, as far as ``SCAN_LIMIT``
    (an architecture whose ``input`` follows thousands of layer lines).
    """
    keys = keys_in(head)
    if says_architecture(keys) or len(head) < HEAD_BYTES or not keys:
        return says_architecture(keys)
    try:
        with open(path, "rb") as handle:
            rest = handle.read(SCAN_LIMIT)
    except OSError:
        return False
    return says_architecture(keys_in(rest))
