"""Shared pieces of the Keras layer table: the ``Out`` record and config readers.

Shapes here have no batch dimension; ``None`` is an unknown size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Shape = tuple


@dataclass
class Out:
    shapes: list[Shape]
    weights: list[tuple[str, Shape, bool]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    op: str = ""


def ints(value: Any, rank: int, what: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * rank
    if isinstance(value, (list, tuple)) and len(value) == rank and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    raise ValueError(f"'{what}' must be an integer or {rank} integers, got {value!r}")


def to_index(axis: Any, rank: int) -> int:
    """A Keras axis (counting the batch dimension) as an index into a batch-less shape."""
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise ValueError(f"axis must be an integer, got {axis!r}")
    index = axis - 1 if axis > 0 else rank + axis
    if not 0 <= index < rank:
        raise ValueError(f"axis {axis} is out of range for an input of {rank + 1} dims (batch included)")
    return index


def to_indices(axis: Any, rank: int) -> list[int]:
    return [to_index(a, rank) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]


def need(x: Shape, rank: int, cls: str) -> None:
    if len(x) != rank:
        raise ValueError(f"{cls} expects an input of {rank + 1} dims (batch included), got {len(x) + 1}")


class UnknownDim(ValueError):
    """A size a weight needs is unknown (``None`` in the config): not counted, said so."""


def known(n: Any, what: str) -> int:
    if not isinstance(n, int):
        raise UnknownDim(f"the {what} is unknown, so its weights cannot be sized")
    return n


def length(n: int | None, k: int, s: int, d: int, padding: str) -> int | None:
    if n is None:
        return None
    if padding in ("same", "causal"):
        return -(-n // s)
    out = (n - d * (k - 1) - 1) // s + 1
    if out < 1:
        raise ValueError(f"an input size of {n} is too small for kernel {k} (stride {s}, dilation {d})")
    return out


def layout(cfg: dict) -> bool:
    fmt = cfg.get("data_format") or "channels_last"
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be channels_last or channels_first, got {fmt!r}")
    return fmt == "channels_last"


def split(x: Shape, last: bool) -> tuple[Any, Shape]:
    return (x[-1], x[:-1]) if last else (x[0], x[1:])


def join(c: Any, spatial: Shape, last: bool) -> Shape:
    return (*spatial, c) if last else (c, *spatial)


def pads(spatial: Shape, outs: Shape, k: tuple, s: tuple, d: tuple, padding: str) -> tuple | None:
    """ONNX-style ``(begin..., end...)`` padding of a Keras conv or pool: ``same``
    pads as TensorFlow does (the extra one at the end), ``causal`` all at the start."""
    if any(n is None for n in spatial) or any(o is None for o in outs):
        return None
    extents = [dd * (kk - 1) + 1 for kk, dd in zip(k, d)]
    if padding == "same":
        totals = [max((o - 1) * st + e - n, 0) for n, o, st, e in zip(spatial, outs, s, extents)]
        return tuple(t // 2 for t in totals) + tuple(t - t // 2 for t in totals)
    if padding == "causal":
        return tuple(e - 1 for e in extents) + (0,) * len(extents)
    return (0,) * (2 * len(extents))
