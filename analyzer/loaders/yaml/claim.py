"""Is this YAML file a paramlint architecture file? A text scan, not a parse.

A file is one when its top level says so: a ``paramlint:`` key, or a
``layers`` list (of layer mappings) beside ``input`` or ``inputs``
(cli-and-rules.md, "Which files are models"; a list of numbers, as a
Hydra ResNet config's ``layers: [3, 4, 6, 3]``, is not one). Everything else (workflows, compose files, Hydra
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

from paramlint.loaders import HEAD_BYTES, keys_not_reached

#: Read at most this much of a file while looking for its top-level keys;
#: the YAML loader refuses larger files anyway.
SCAN_LIMIT = 10 * 1024 * 1024

_TOP_KEY = re.compile(rb"""^(["']?)(paramlint|layers|inputs?)\1[ \t]*:(?:[ \t\r]|$)""", re.M)
_FLOW_KEY = re.compile(rb"""(?:^|[{,\s])(["']?)(paramlint|layers|inputs?)\1[ \t]*:""", re.M)
_FIRST = re.compile(rb"^(?:---[ \t]*)?([^\s#%-])", re.M)


_GAP = re.compile(rb"(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*")
_FLOW_GAP = re.compile(rb"\[(?:\s|#[^\n]*)*")
_ITEM = re.compile(rb"-[ \t]+(?:&\S+[ \t]+)?")
_MAPPING_KEY = re.compile(rb"""(?:["']?[\w@.-]+["']?|<<)[ \t]*:(?:[ \t\r\n]|$)""")


def layer_list_follows(text: bytes, pos: int) -> bool:
    """Does the value after ``layers:`` at ``pos`` start a list of layers?

    A list whose first item is a mapping (``- {type: ...}``, ``- type:``,
    ``[{...``), an empty or unfinished list, an alias or a tag: yes. A
    scalar or a list of scalars (Hydra's ``layers: [3, 4, 6, 3]`` for a
    ResNet, ``layers: 18``): no. Only the first item is looked at, so a
    file broken further down is still claimed.
    """
    rest = text[pos:pos + 4096]
    i = _GAP.match(rest).end()
    token = rest[i:i + 1]
    if token in (b"", b"*", b"&", b"!"):
        return True
    if token == b"[":
        after = rest[i + _FLOW_GAP.match(rest, i).end() - i:]
        return after[:1] in (b"{", b"]", b"", b"*", b"&")
    if token == b"-":
        if rest[i + 1:i + 2] in (b"\n", b"\r", b""):
            return True  # "-" alone: the item's mapping starts on the next line
        item = _ITEM.match(rest, i)
        if item is None:
            return False
        after = rest[item.end():]
        return after[:1] in (b"{", b"*", b"") or bool(_MAPPING_KEY.match(after))
    return False


def keys_in(text: bytes) -> set[str]:
    """The architecture keys found at the top level of ``text``; ``layers``
    only when a list of layers follows it."""
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    first = _FIRST.search(text)
    flow = first is not None and first.group(1) in (b"{", b"[")
    pattern = _FLOW_KEY if flow else _TOP_KEY
    return {m.group(2).decode() for m in pattern.finditer(text)
            if m.group(2) != b"layers" or layer_list_follows(text, m.end())}


def says_architecture(keys: set[str]) -> bool:
    return "paramlint" in keys or ("layers" in keys and bool(keys & {"input", "inputs"}))


def claims(path: str, head: bytes) -> bool:
    """Claim ``path`` when its top-level keys make it an architecture file.

    ``head`` is the start of the file; only when it is cut short and has
    found one of the keys but not the other is the rest read, as far as ``SCAN_LIMIT``
    (an architecture whose ``input`` follows thousands of layer lines).
    """
    keys = keys_in(head)
    if says_architecture(keys) or len(head) < HEAD_BYTES or (not keys and not keys_not_reached(head)):
        return says_architecture(keys)
    try:
        with open(path, "rb") as handle:
            rest = handle.read(SCAN_LIMIT)
    except OSError:
        return False
    return says_architecture(keys_in(rest))
