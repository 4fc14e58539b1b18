"""Axes through shape-only ops: a reshape regrouping factors by sizes, a
right-aligned broadcast, a rank-reducing op dropping axes.

These know nothing of layer kinds, only of sizes; the per-op transfer
(axes_ops) calls them, and they are apart so that each module does one job
(see paramlint.analysis.axes for the rules they implement).
"""

from __future__ import annotations

from .axis import BATCH, CHANNEL, UNKNOWN, Axes, Axis, _has_unknown, _one, _resized, _size, _unknown


# ------------------------------------------------------------- regrouping


def _take(factors: list, dims: list) -> tuple[list, int]:
    """Group ``factors`` into ``dims`` from the front, as far as sizes
    decide. Returns (groups, factors used); a factor split across dims is
    replaced in ``factors`` (which the caller owns) by its remainder."""
    groups: list = []
    used = 0
    for d in dims:
        if d == 1:
            one = used < len(factors) and factors[used][1] == 1
            groups.append((factors[used],) if one else ())
            used += one
            continue
        if used >= len(factors):
            break
        kind, size = factors[used]
        if not isinstance(d, int) or not isinstance(size, int):
            if d is not None and d == size:  # the same symbolic dim
                groups.append((factors[used],))
                used += 1
                continue
            break
        acc: list = []
        need, k, rest = d, used, None
        while need > 1 and k < len(factors):
            kind, size = factors[k]
            if not isinstance(size, int):
                break
            if need % size == 0:
                acc.append((kind, size))
                need //= size
                k += 1
            elif size % need == 0:
                acc.append((kind, need))
                rest = (kind, size // need)
                need = 1
            else:
                break
        if need != 1:
            break
        if rest is not None:
            factors[k] = rest
        else:
            while k < len(factors) and factors[k][1] == 1 and factors[k][0] == CHANNEL:
                acc.append(factors[k])
                k += 1
        groups.append(tuple(acc))
        used = k
    return groups, used


def _regroup(axes: Axes, shape) -> Axes | None:
    """Axes of a reshape of ``axes`` to ``shape`` (see paramlint.analysis.axes)."""
    if shape is None:
        return None
    # Size-1 factors carry nothing, except a channel: a 1-channel image
    # flattened is still channels x positions.
    factors = [f for a in axes for f in a.parts if f[1] != 1 or f[0] in (CHANNEL, BATCH)]
    dims = list(shape)
    head, used = _take(factors, dims)
    factors, dims = factors[used:], dims[len(head):]
    rev = factors[::-1]
    tail_rev, used_r = _take(rev, dims[::-1])
    factors = rev[used_r:][::-1]
    tail = [g[::-1] for g in tail_rev[::-1]]
    middle = dims[: len(dims) - len(tail)]
    real = [d for d in middle if d != 1]
    if not real and all(f[1] == 1 for f in factors):
        mid = [() for _ in middle]
        if mid and factors:
            mid[0] = tuple(factors)
    elif len(real) == 1 and factors:
        mid = [tuple(factors) if d != 1 else () for d in middle]
    elif len(factors) == 1 and real:
        mid = [((factors[0][0], d),) if d != 1 else () for d in middle]
    else:
        mid = [((UNKNOWN, d),) if d != 1 else () for d in middle]
    return tuple(Axis(g) for g in (*head, *mid, *tail))


def _kept(axes: Axes | None, in_shape, shape, alone: bool) -> bool:
    """Does a broadcast onto ``shape`` pick every one of ``axes`` (the first
    input's)? When ``in_shape`` is ``shape`` and no other input could be
    picked instead: there is none (``alone``: an activation, a norm), or no
    axis is of unknown kind (a residual add of two known values)."""
    if axes is None or in_shape is None or len(in_shape) != len(shape) or len(axes) != len(shape):
        return False
    for a, b in zip(in_shape, shape):
        if not a == b:
            return False
    if not alone:
        for axis in axes:
            if _has_unknown(axis):
                return False
    return True


def _broadcast(inputs: list, shape) -> Axes | None:
    """Right-aligned broadcast of the inputs' axes onto ``shape``."""
    if shape is None:
        return None
    if inputs and _kept(inputs[0][0], inputs[0][1], shape, len(inputs) == 1):
        return tuple(inputs[0][0])
    out = []
    rank = len(shape)
    for k in range(1, rank + 1):
        d = shape[-k]
        pick = resize = None
        for axes, in_shape in inputs:
            if axes is None or in_shape is None or len(in_shape) < k:
                continue
            axis = axes[-k]
            if in_shape[-k] == d:
                if pick is None or (_has_unknown(pick) and not _has_unknown(axis)):
                    pick = axis
            elif resize is None and len(in_shape) == rank and in_shape[-k] != 1:
                resize = axis
        if pick is None:
            pick = _resized(resize, d) if resize is not None else _one(UNKNOWN, d)
        out.append(pick)
    return tuple(out[::-1])


def _remove(axes: Axes, shape) -> Axes | None:
    """Axes of a rank-reducing op (reduction without keepdims, gather of a
    scalar): ``shape`` matched to a subsequence of ``axes``' sizes."""
    out, k = [], 0
    sizes = [_size(a) for a in axes]
    for d in shape:
        while k < len(axes) and sizes[k] != d:
            k += 1
        if k == len(axes):
            return _unknown(shape)
        out.append(axes[k])
        k += 1
    return tuple(out)
