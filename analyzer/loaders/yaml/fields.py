"""Field checking for YAML layers: one value at a time, with its mark.

Every check returns the normalised value (ints as ints, per-dimension
fields as tuples) or raises ``YamlError`` at the value's mark with a
message like ``conv2d 'conv3': field 'filters' must be a positive integer,
got '256x'``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .source import Mark, MarkedMap, MarkedSeq, YamlError

Shape = tuple  # tuple[int, ...], without batch, channels first


#: Longest excerpt of a file's text a message quotes: enough to find the
#: value, too little to carry a secret into a CI log when a file that is
#: not a model (a key, a .env) is read as one.
EXCERPT = 32


def show(value: Any) -> str:
    """A value as the user wrote it, for messages: short and one line."""
    text = _show(value)
    return text if len(text) <= EXCERPT + 2 else text[:EXCERPT] + "..."


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if "'" not in value else '"' + value + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value[:8]) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in list(value.items())[:8]) + "}"
    return str(value)


def did_you_mean(word: Any, choices: list[str]) -> str:
    if not isinstance(word, str):
        return ""
    import difflib  # only for a mistake to explain (1.5 ms with heapq)

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class Ctx:
    """One layer being checked: its type, name, mapping and input shapes."""

    kind: str
    name: str
    spec: MarkedMap
    in_shapes: list[Shape] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def in_shape(self) -> Shape:
        return self.in_shapes[0]

    def error(self, message: str, key: str | None = None, mark: Mark | None = None) -> YamlError:
        where = mark or (self.spec.mark_of(key) if key is not None else self.spec.mark)
        return YamlError(f"{self.kind} '{self.name}': {message}", where)

    def bad(self, key: str, expected: str, value: Any, mark: Mark | None = None) -> YamlError:
        return self.error(f"field '{key}' must be {expected}, got {show(value)}", key, mark)


Check = Callable[[Ctx, str, Any], Any]


@dataclass(frozen=True)
class Field:
    """A layer field: its check, and its default (``REQUIRED`` if none)."""

    check: Check
    default: Any = None


REQUIRED = object()


# ------------------------------------------------------------- value checks


def pos_int(ctx: Ctx, key: str, value: Any) -> int:
    if not is_int(value) or value < 1:
        raise ctx.bad(key, "a positive integer", value)
    return value


def any_int(ctx: Ctx, key: str, value: Any) -> int:
    if not is_int(value):
        raise ctx.bad(key, "an integer", value)
    return value


def nonneg_int(ctx: Ctx, key: str, value: Any) -> int:
    if not is_int(value) or value < 0:
        raise ctx.bad(key, "a non-negative integer", value)
    return value


def boolean(ctx: Ctx, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ctx.bad(key, "true or false", value)
    return value


def number(ctx: Ctx, key: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.bad(key, "a number", value)
    return value


def one_of(*choices: str) -> Check:
    """A string from ``choices``; a near miss gets a did-you-mean."""

    def check(ctx: Ctx, key: str, value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            words = ", ".join(f"'{c}'" for c in choices)
            hint = did_you_mean(value, list(choices))
            raise ctx.error(f"field '{key}' must be one of {words}, got {show(value)}{hint}", key)
        return value

    return check


def per_dim(ctx: Ctx, key: str, value: Any, rank: int, minimum: int) -> tuple[int, ...]:
    """An int for every spatial dimension, or a list of ``rank`` ints."""
    word = "positive integer" if minimum >= 1 else "non-negative integer"
    expected = f"a {word} or a list of {rank} {word}s"
    if is_int(value):
        if value < minimum:
            raise ctx.bad(key, expected, value)
        return (value,) * rank
    if isinstance(value, list):
        if len(value) != rank:
            raise ctx.bad(key, expected, value)
        for index, item in enumerate(value):
            if not is_int(item) or item < minimum:
                mark = value.mark_of(index) if isinstance(value, MarkedSeq) else None
                raise ctx.bad(key, expected, value, mark)
        return tuple(value)
    raise ctx.bad(key, expected, value)


def pos_dims(rank: int) -> Check:
    return lambda ctx, key, value: per_dim(ctx, key, value, rank, 1)


def nonneg_dims(rank: int) -> Check:
    return lambda ctx, key, value: per_dim(ctx, key, value, rank, 0)


def padding(rank: int, modes: bool = True) -> Check:
    """``padding``: ints per dimension, or ``same`` / ``valid`` when ``modes``."""

    def check(ctx: Ctx, key: str, value: Any) -> Any:
        if modes and value in ("same", "valid"):
            return value
        if modes and isinstance(value, str):
            raise ctx.bad(key, f"a non-negative integer, a list of {rank}, 'same' or 'valid'", value)
        return per_dim(ctx, key, value, rank, 0)

    return check


def new_shape(ctx: Ctx, key: str, value: Any) -> tuple[int, ...]:
    expected = "a list of positive integers with at most one -1"
    if not isinstance(value, list) or not value:
        raise ctx.bad(key, expected, value)
    if any(not is_int(v) or (v < 1 and v != -1) for v in value) or value.count(-1) > 1:
        raise ctx.bad(key, expected, value)
    return tuple(value)


def check_fields(ctx: Ctx, fields: dict[str, Field], common: tuple[str, ...]) -> dict[str, Any]:
    """Unknown fields, then required ones, then each value, in that order."""
    for key in ctx.spec:
        if key not in fields and key not in common:
            hint = did_you_mean(key, sorted([*fields, *common]))
            raise ctx.error(f"unknown field '{key}' for {ctx.kind}{hint}", mark=ctx.spec.key_marks.get(key))
    values: dict[str, Any] = {}
    for key, spec in fields.items():
        if key not in ctx.spec:
            if spec.default is REQUIRED:
                raise ctx.error(f"missing required field '{key}'")
            values[key] = spec.default
    for key, spec in fields.items():
        if key in ctx.spec:
            values[key] = spec.check(ctx, key, ctx.spec[key])
    return values
