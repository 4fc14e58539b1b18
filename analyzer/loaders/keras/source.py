"""Reading a Keras model config: ``model.to_json()`` text, or ``config.json`` in a ``.keras`` zip.

Only the architecture is read: a ``.keras`` archive's weights file is
never opened. Both reads are bounded (file size, member size, entries),
and the zip member is taken by its exact top-level name, so an archive's
paths cannot point anywhere else. Errors carry a line and column.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import stat
import zipfile
from typing import Any

from paramlint.ir.model import LoadError, Location


MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
CONFIG_MEMBER = "config.json"

def _vet(path: str) -> os.stat_result:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}", Location(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise LoadError("is not a regular file", Location(path))
    return info


def read_config(path: str) -> tuple[Any, str]:
    """The parsed model config and the JSON text it came from."""
    info = _vet(path)
    if path.lower().endswith(".keras"):
        data = _from_zip(path)
    else:
        if info.st_size > MAX_JSON_BYTES:
            raise LoadError(f"file is too large: {info.st_size:,} bytes, the limit is {MAX_JSON_BYTES:,}",
                            Location(path))
        with open(path, "rb") as handle:
            data = handle.read(MAX_JSON_BYTES + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}",
                        Location(path)) from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise LoadError(f"JSON syntax error: {exc.msg}", Location(path, exc.lineno, exc.colno)) from None
    except RecursionError:
        raise LoadError("JSON nested too deeply to read", Location(path)) from None


def _from_zip(path: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise LoadError(f"the archive holds {len(entries):,} entries; a .keras file holds a few",
                                Location(path))
            member = next((e for e in entries if e.filename == CONFIG_MEMBER), None)
            if member is None:
                raise LoadError(f"no {CONFIG_MEMBER} in the archive: not a Keras 3 .keras file", Location(path))
            if member.file_size > MAX_JSON_BYTES:
                raise LoadError(f"{CONFIG_MEMBER} is {member.file_size:,} bytes, the limit is {MAX_JSON_BYTES:,}",
                                Location(path))
            with archive.open(member) as handle:
                data = handle.read(MAX_JSON_BYTES + 1)
            if len(data) > MAX_JSON_BYTES:
                raise LoadError(f"{CONFIG_MEMBER} inflates past {MAX_JSON_BYTES:,} bytes", Location(path))
            return data
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise LoadError(f"not a readable .keras archive: {exc}", Location(path)) from None
    except OSError as exc:
        raise LoadError(f"cannot read the archive: {exc.strerror or exc}", Location(path)) from None


class Locator:
    """Line and column of each layer's first ``"name": "..."`` in the JSON text, indexed once."""

    _NAME = re.compile(r'"name"\s*:\s*("(?:[^"\\]|\\.)*")')

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.first: dict[str, int] = {}
        for found in self._NAME.finditer(text):
            try:
                name = json.loads(found.group(1))
            except ValueError:
                continue
            self.first.setdefault(name, found.start())
        self.lines = [m.start() for m in re.finditer("\n", text)]

    def __call__(self, name: str) -> Location:
        start = self.first.get(name) if isinstance(name, str) else None
        if start is None:
            return Location(self.path)
        line = bisect.bisect_left(self.lines, start)
        column = start - (self.lines[line - 1] + 1 if line else 0) + 1
        return Location(self.path, line + 1, column)
