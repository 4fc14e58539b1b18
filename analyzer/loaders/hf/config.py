"""Reading a ``config.json`` safely, and the fields a family reads from it.

The file is at most 4 MB (a config with a thousand labels is 40 KB),
parsed with depth and number limits (support/bounded_json.py). ``Config``
hands out fields by name, checking each as it is read (a positive integer,
a boolean), and remembers which it read: an unknown ``model_type`` is
reported with them, and an error names the field and where the file says
``model_type``.
"""

from __future__ import annotations

import re
from typing import Any

from paramlint.ir.model import LoadError, Location
from paramlint.support.atomic import NotRegularFile, read_regular
from paramlint.support.bounded_json import JsonError, loads

MAX_BYTES = 4 * 1024 * 1024
_MISSING = object()
_KEY = re.compile(rb'"model_type"\s*:')


class Config:
    """One config.json (or its ``text_config``), read field by field."""

    def __init__(self, path: str, data: dict, line: int, column: int, prefix: str = "") -> None:
        self.path, self.data, self.line, self.column, self.prefix = path, data, line, column, prefix
        self.read: dict[str, Any] = {}

    def error(self, message: str) -> LoadError:
        return LoadError(message, Location(self.path, self.line, self.column))

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        value = self.data.get(key)
        if value is None:
            if default is _MISSING:
                raise self.error(f"config.json: missing '{self.prefix}{key}', which "
                                 f"{self.data.get('model_type', 'this model')!s:.40} needs")
            return default
        self.read[self.prefix + key] = value
        return value

    def int(self, key: str, default: Any = _MISSING, minimum: int = 1) -> int:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value > 1 << 40:
            raise self.error(f"config.json: '{self.prefix}{key}' must be an integer of at least {minimum}, "
                             f"got {str(value)[:40]!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.error(f"config.json: '{self.prefix}{key}' must be true or false, got {str(value)[:40]!r}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"config.json: '{self.prefix}{key}' must be a number, got {str(value)[:40]!r}")
        return float(value)

    def sub(self, key: str) -> "Config":
        value = self.raw(key)
        if not isinstance(value, dict):
            raise self.error(f"config.json: '{self.prefix}{key}' must be an object")
        inner = Config(self.path, value, self.line, self.column, f"{self.prefix}{key}.")
        inner.read = self.read
        return inner


def read_config(path: str) -> Config:
    """The config at ``path``; raises only ``LoadError``."""
    try:
        raw = read_regular(path, MAX_BYTES)
    except NotRegularFile:
        raise LoadError("is not a regular file", Location(path)) from None
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}", Location(path)) from None
    try:
        data = loads(raw, MAX_BYTES)
    except JsonError as exc:
        raise LoadError(f"config.json: {exc.message}", Location(path, exc.line, exc.column)) from None
    if not isinstance(data, dict):
        raise LoadError("config.json: the top level must be an object with a 'model_type'", Location(path, 1, 1))
    found = _KEY.search(raw)
    line = column = 1
    if found:
        line = raw.count(b"\n", 0, found.start()) + 1
        column = found.start() - (raw.rfind(b"\n", 0, found.start()) + 1) + 1
    return Config(path, data, line, column)
