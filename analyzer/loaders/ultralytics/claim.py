"""Is this YAML file an Ultralytics model YAML? A text scan, not a parse.

It is one when ``backbone`` and ``head`` are top-level keys (at column 0,
followed by a colon), as in every Ultralytics model file. The scan imports
nothing and still claims a file that is broken further down, so its error
is reported with line and column rather than skipped.
"""

from __future__ import annotations

import os
import re

from paramlint.loaders import HEAD_BYTES, keys_not_reached

SCAN_LIMIT = 10 * 1024 * 1024
_TOP_KEY = re.compile(rb"""^(["']?)(backbone|head)\1[ \t]*:(?:[ \t\r]|$)""", re.M)


def _keys(text: bytes) -> set[bytes]:
    return {m.group(2) for m in _TOP_KEY.finditer(text)}


def claims(path: str, head: bytes) -> bool:
    """Claim ``path`` when ``backbone`` and ``head`` are among its top-level keys."""
    keys = _keys(head)
    if len(keys) == 2 or len(head) < HEAD_BYTES or (not keys and not keys_not_reached(head)):
        return len(keys) == 2
    try:  # a long backbone pushed 'head' past the first bytes
        with open(path, "rb") as handle:
            return len(_keys(handle.read(SCAN_LIMIT))) == 2
    except OSError:
        return False


SCALE_IN_NAME = re.compile(r"yolo(e-)?v?\d+([nslmx])")


def scale_from_name(path: str) -> str | None:
    """The scale letter Ultralytics reads from a file name (``yolov8n.yaml`` -> ``n``)."""
    found = SCALE_IN_NAME.search(os.path.splitext(os.path.basename(path))[0])
    return found.group(2) if found else None


def unified_path(path: str) -> str:
    """The file Ultralytics reads for a scaled name: ``yolov8n.yaml`` -> ``yolov8.yaml``."""
    head, tail = os.path.split(path)
    return os.path.join(head, re.sub(r"(\d+)([nslmx])(.+)?$", r"\1\3", tail))


def stands_for(path: str) -> str | None:
    """The file a missing scaled name is read from, as Ultralytics' yaml_model_load does."""
    target = unified_path(path)
    return target if scale_from_name(path) and target != path else None
