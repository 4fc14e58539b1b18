"""``ConfigError`` and the message helpers that loading (config.py) and
rule validation (config_rules.py) share: did-you-mean suggestions, type
names, the check of an array of strings.

Its own module so that both can raise the same error without importing
each other; ``paramlint.cli`` recognises the error by this module.
"""

from __future__ import annotations

from typing import Any, Iterable


class ConfigError(Exception):
    """The configuration is unusable; the message says where and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close, else ``""``."""
    import difflib  # only when there is a mistake to explain

    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def _string_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        raise ConfigError(f"{where}: expected an array of strings, got a string "
                          f"(write [{value!r}])".replace("'", '"'))
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected an array of strings, got {_type_name(value)}")
    for item in value:
        if not isinstance(item, str):
            raise ConfigError(f"{where}: expected an array of strings, "
                              f"found {_type_name(item)} {item!r}")
    return list(value)
