"""One axis of a tensor: the ``Axis`` value, the kinds of its factors, and
the small constructors every axis transfer uses.

Its own module so that the shape-level regrouping (axes_shapes) and the
per-op transfer (axes_ops) can share it without importing the public
entry points in paramlint.analysis.axes, which import them.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

BATCH, CHANNEL, SPACE, SEQ, UNKNOWN = "batch", "channel", "space", "seq", "?"
_POSITION = frozenset({SPACE, SEQ})


@dataclass(frozen=True, slots=True)
class Axis:
    """One dimension of a tensor, as the factors it was merged from."""

    parts: tuple = ()  # ((kind, size), ...), outermost first

    @property
    def kinds(self) -> frozenset:
        return frozenset(k for k, _ in self.parts)

    @property
    def channels(self) -> int | None:
        sizes = [s for k, s in self.parts if k == CHANNEL]
        if not sizes or not all(isinstance(s, int) for s in sizes):
            return None
        return prod(sizes)

    @property
    def positions(self) -> tuple:
        return tuple(s for k, s in self.parts if k in _POSITION)


Axes = tuple  # tuple[Axis, ...]


def _one(kind: str, size) -> Axis:
    return Axis(((kind, size),))


def _resized(axis: Axis, size) -> Axis:
    """The same axis, sliced/padded/resized to ``size``: kind kept when it has one."""
    kinds = axis.kinds
    if size == 1:
        return Axis(((next(iter(kinds)), 1),)) if len(kinds) == 1 else Axis()
    return _one(next(iter(kinds)) if len(kinds) == 1 else UNKNOWN, size)


def _unknown(shape) -> Axes | None:
    return None if shape is None else tuple(_one(UNKNOWN, d) for d in shape)


def _has_unknown(axis: Axis) -> bool:
    """``UNKNOWN in axis.kinds``, without building the set."""
    for kind, _ in axis.parts:
        if kind == UNKNOWN:
            return True
    return False


def _size(axis: Axis):
    sizes = [s for _, s in axis.parts]
    if not all(isinstance(s, int) for s in sizes):
        return sizes[0] if len(sizes) == 1 else None
    return prod(sizes)
