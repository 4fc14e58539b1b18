"""Plain data as a marked YAML document, for documents another loader writes.

A Hugging Face config.json is read into format 2 layers by building the
same marked document a YAML file gives, so the format 2 builder checks and
sizes it exactly as it does a file.
"""

from __future__ import annotations

from typing import Any

from .source import Mark, MarkedMap, MarkedSeq


def from_plain(value: Any, mark: Mark) -> Any:
    """Plain data as a composed document, every node at ``mark``.

    For documents another loader writes (a Hugging Face config.json read
    into format 2 layers): the format 2 builder then checks and sizes them
    exactly as it does a file, and its errors point at ``mark``.
    """
    if isinstance(value, dict):
        out = MarkedMap(mark)
        for key, item in value.items():
            out[key] = from_plain(item, mark)
            out.key_marks[key] = out.value_marks[key] = mark
        return out
    if isinstance(value, (list, tuple)):
        seq = MarkedSeq(mark)
        for item in value:
            seq.append(from_plain(item, mark))
            seq.item_marks.append(mark)
        return seq
    return value
