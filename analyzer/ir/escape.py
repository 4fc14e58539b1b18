"""Making what a model file controls safe for each output, in one place.

Layer, node, graph and input names, file paths and the messages built
from them come from files paramlint did not write (a pull request from a
stranger, in CI). Printed raw, a name could clear a terminal (``ESC[2J``),
retitle it, reorder text with bidi overrides, break a JUnit file with a
character XML 1.0 forbids, break a markdown table with ``|``, or inject a
GitHub Actions workflow command: the runner runs any log line that starts
with ``::`` (after leading whitespace) and any line that holds ``##[``
(the legacy form, matched anywhere in a line).

Every output format calls these functions on model-controlled strings:

- ``text``: one line of visible text: every non-printable character (C0
  and C1 controls, ESC, NUL, bidi overrides and other format characters,
  line and paragraph separators, surrogates, unassigned code points) is
  written as its Python escape (``\\x1b``, ``\\u202e``); a leading ``::``
  and any ``##[`` are defused with a backslash; ``limit`` cuts it.
- ``name`` / ``message``: ``text`` with the lengths text outputs keep.
- ``log_lines``: the last guard over a whole line-oriented output.
- ``workflow_data`` / ``workflow_property``: GitHub workflow commands.
- ``xml``: JUnit (XML 1.0; ElementTree escapes the markup itself).
- ``markdown``: a table cell or inline text.

JSON outputs rely on ``json.dumps`` (which escapes every control
character) plus ``json_log``, and use ``text`` only for what people read
(SARIF and GitLab messages).
"""

from __future__ import annotations

import re
from typing import Any

#: Names longer than this are cut in the middle in text outputs.
NAME_LIMIT = 120
#: Messages longer than this are cut; any name-like run inside a message
#: (no spaces) longer than NAME_LIMIT is cut first.
MESSAGE_LIMIT = 1000
ELLIPSIS = "…"

_LONG_RUN = re.compile(r"\S{%d,}" % (NAME_LIMIT + 1))
#: Compiled on first use (xml): the class spans the whole of Unicode and
#: takes ~10 ms to compile, which every run that imports this module paid.
_XML_FORBIDDEN_PATTERN = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def _visible(ch: str) -> str:
    """A non-printable character as its Python escape: ``\x1b``, ``\u202e``."""
    return repr(ch)[1:-1]


def cut(value: str, limit: int) -> str:
    """``value`` in at most ``limit`` characters, cut in the middle (where
    dotted module paths differ least), with how much was left out."""
    if len(value) <= limit:
        return value
    note = ""
    for _ in range(3):  # the note's length depends on the number it shows
        note = f"{ELLIPSIS}({len(value) - (limit - len(note)):,} more){ELLIPSIS}"
    if limit <= len(note) + 2:
        return value[:max(limit - 1, 0)] + ELLIPSIS
    keep = limit - len(note)
    head = keep - keep // 3
    return value[:head] + note + value[len(value) - (keep - head):]


def text(value: Any, limit: int | None = None) -> str:
    """One line of visible, inert text (see the module docstring)."""
    out = "" if value is None else str(value)
    if not out.isprintable():
        out = "".join(ch if ch.isprintable() else _visible(ch) for ch in out)
    if "##[" in out:
        out = out.replace("##[", "##\\[")
    stripped = out.lstrip(" ")
    if stripped.startswith("::"):
        out = out[:len(out) - len(stripped)] + "\\" + stripped
    if limit is not None:
        out = cut(out, limit)
    return out


def name(value: Any) -> str:
    """A layer, node, graph or input name, or a path, for a text output."""
    return text(value, NAME_LIMIT)


def message(value: Any) -> str:
    """A finding's message for a text output: one line, names in it cut."""
    out = text(value)
    if len(out) > NAME_LIMIT:
        out = _LONG_RUN.sub(lambda m: cut(m.group(0), NAME_LIMIT), out)
    return cut(out, MESSAGE_LIMIT)


def log_lines(output: str) -> str:
    """The last guard over a line-oriented output that a CI log shows.

    Fields are escaped already; this catches a line that the layout itself
    made start with ``::`` or that holds ``##[``, whatever built it. Colour
    codes that paramlint adds on a terminal are left alone.
    """
    if "::" not in output and "##[" not in output:
        return output
    lines = output.split("\n")
    for i, line in enumerate(lines):
        if "##[" in line:
            line = line.replace("##[", "##\\[")
        stripped = line.lstrip()
        if stripped.startswith("::"):
            line = line[:len(line) - len(stripped)] + "\\" + stripped
        lines[i] = line
    return "\n".join(lines)


def json_log(output: str) -> str:
    """A JSON document that a CI log may show: ``##[`` inside strings is
    written ``\\u0023#[``, which decodes to the same text (programs read
    names exactly) but is not a legacy workflow command in the log. JSON
    strings hold no raw control character or line break (json.dumps)."""
    return output.replace("##[", "\\u0023#[") if "##[" in output else output


def workflow_data(value: Any) -> str:
    """The message of a GitHub workflow command (after the second ``::``)."""
    return text(value, MESSAGE_LIMIT).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(value: Any) -> str:
    """A property value of a GitHub workflow command (``file=``, ``title=``)."""
    return workflow_data(value).replace(":", "%3A").replace(",", "%2C")


def xml(value: Any) -> str:
    """Text for an XML 1.0 attribute or element (JUnit).

    ``text`` already leaves nothing XML 1.0 forbids; the filter stays as
    the guarantee the format depends on.
    """
    return re.sub(_XML_FORBIDDEN_PATTERN, "", text(value))


_MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: Backslash-escaped: what ends a cell (|), opens code (`), emphasises
#: (* ~, and _ at a word's edge), a backslash, and a ] that would close a
#: link's text ("](" or "][").
_MARKDOWN_ACTIVE = re.compile(r"[\\`*~|&<>]|\](?=[(\[])|(?<!\w)_|_(?!\w)")


def markdown(value: Any, limit: int | None = None) -> str:
    """Text for a markdown table cell or inline text: inert and one line.

    Markup is backslash-escaped (a ``|`` cannot end a cell, a backtick
    cannot open code, a name cannot become a link), and ``&``, ``<`` and
    ``>`` become entities, so no HTML tag or entity from a model reaches
    the page. Shapes such as ``[96, 55, 55]`` and names such as
    ``layer_1`` read as they are.
    """
    out = text(value, limit)
    return _MARKDOWN_ACTIVE.sub(lambda m: _MARKDOWN_ENTITIES.get(m.group(0), "\\" + m.group(0)), out)
