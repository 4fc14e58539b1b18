"""Axis provenance: where each axis of every tensor comes from.

A dense layer is "on a spatial map" (counting.md) only when the dimension
it contracts was formed from a feature map's channels *together with* its
positions; a transformer's projections contract channels alone, MLP-Mixer's
token mixing positions alone. Telling these apart needs to know, for every
axis of every tensor, what it is made of: one forward pass over the IR,
for ONNX and YAML alike, that several rules share.

API (small on purpose):

``axes_of(model) -> dict[str, tuple[Axis, ...] | None]``
    Tensor name to one ``Axis`` per dimension (None when the tensor's rank
    is unknown). Computed once per model and cached on it.
``contracted(model, layer) -> Axis | None``
    The input axis a ``dense`` layer contracts (its input features): the
    last axis of an ONNX MatMul/Gemm input (the first with Gemm
    ``transA``), the whole input of a YAML ``dense`` (it flattens).
``Axis``
    ``parts``: the factors the axis was merged from, outermost first, each
    ``(kind, size)``; ``channels`` (product of the channel factors, None
    when there are none or one is unknown), ``positions`` (sizes of the
    spatial/sequence factors), ``kinds``.

Kinds: ``batch``; ``channel`` (features: conv filters, dense units,
embedding dims, the heads x head_dim a reshape splits them into);
``space`` (positions of a conv/pool map); ``seq`` (tokens or time steps
of an index or recurrent input); ``?`` (unknown). Size-1 axes made by
Unsqueeze/Reshape have no parts.

How each op maps axes (one pass, constant work per node):

* conv/pool: ``[batch, channel(Cout), position...]``, a position keeping
  ``seq`` when the input's was a sequence (Conv1d over tokens);
* flatten/reshape/squeeze/unsqueeze: input factors regrouped to the output
  shape by sizes, from the left, then from the right; the middle that
  sizes cannot decide (symbolic or unknown dims) goes whole to a single
  output dim, else becomes unknown;
* transpose: permuted; concat: the concatenated axis keeps the kind its
  known inputs agree on; gather with a scalar index drops its axis;
* dense: ``input[:-1] + channel(units)``; matmul of two activations:
  ``A[:-1] + B[-1:]``; embedding: the index axes (as ``seq`` when unknown)
  + ``channel``; LSTM/GRU/RNN: ``[seq, dirs, batch, channel]``;
* anything else (element-wise, norms, activations, slice, pad, expand,
  reductions with keepdims...): right-aligned broadcast of the data
  inputs, an axis whose size changed keeping its kind.

YAML format 2 (``attrs["last_axis"]``): dense, embedding and recurrent
layers work on the last axis as in ONNX; ``tokens`` makes ``[C, space...]``
``[positions, C]``.

Graph inputs: ONNX ``[batch, channel, space...]`` at rank 4+, else
``[batch, ?...]``; YAML (no batch) ``[channel, space...]`` at rank 2+, a
rank-1 input unknown (features, or token ids that an embedding turns into
``seq``).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from paramlint.ir.model import Layer, Model

BATCH, CHANNEL, SPACE, SEQ, UNKNOWN = "batch", "channel", "space", "seq", "?"
_POSITION = frozenset({SPACE, SEQ})

__all__ = ["Axis", "axes_of", "contracted", "BATCH", "CHANNEL", "SPACE", "SEQ", "UNKNOWN"]


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
    """Axes of a reshape of ``axes`` to ``shape`` (see the module doc)."""
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


# ------------------------------------------------------------- per op


def _has_unknown(axis: Axis) -> bool:
    """``UNKNOWN in axis.kinds``, without building the set."""
    for kind, _ in axis.parts:
        if kind == UNKNOWN:
            return True
    return False


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


def _spatial(in_axes: Axes | None, shape, batch: bool, channels_out: bool = True,
             last: bool = False) -> Axes | None:
    """A conv/pool output: ``[batch, channel, position...]``, or with ``last``
    (Keras, tf2onnx's NHWC: ``attrs["channels_last"]``) ``[batch, position..., channel]``."""
    if shape is None:
        return None
    lead = 1 if batch else 0
    if len(shape) < lead + 1:
        return _unknown(shape)
    out = []
    if batch:
        out.append(in_axes[0] if in_axes and len(in_axes) == len(shape) else _one(BATCH, shape[0]))
    channel = len(shape) - 1 if last else lead
    positions = range(lead, len(shape) - 1) if last else range(lead + 1, len(shape))
    if not last:
        out.append(_one(CHANNEL, shape[lead]))
    for i in positions:
        kind = SPACE
        if in_axes is not None and len(in_axes) == len(shape) and in_axes[i].kinds == {SEQ}:
            kind = SEQ
        out.append(_one(kind, shape[i]))
    if last:
        out.append(_one(CHANNEL, shape[channel]))
    return tuple(out)


def _seq(axes: Axes | None) -> Axes | None:
    """Index axes of unknown kind are tokens (an embedding looks them up)."""
    if axes is None:
        return None
    return tuple(_one(SEQ, a.parts[0][1]) if a.kinds == {UNKNOWN} and len(a.parts) == 1 else a
                 for a in axes)


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


def _size(axis: Axis):
    sizes = [s for _, s in axis.parts]
    if not all(isinstance(s, int) for s in sizes):
        return sizes[0] if len(sizes) == 1 else None
    return prod(sizes)


_RESHAPES = frozenset({"flatten", "reshape", "squeeze", "unsqueeze"})
_RECURRENT = frozenset({"lstm", "gru", "rnn"})
_REDUCE = ("reduce", "argmax", "argmin")


_MAP_OPS = ("conv", "depthwise_conv", "separable_conv", "locally_connected", "maxpool", "avgpool",
            "lppool", "global_avgpool", "global_maxpool")


_SPECIAL = frozenset({"transpose", "dense", "matmul", "embedding", "tokens", "concat", *_RECURRENT})
#: op -> True when its axes are the broadcast of its inputs' whatever the
#: shapes (element-wise ops, norms, activations...: most layers).
_PLAIN: dict[str, bool] = {}


def _plain(op: str) -> bool:
    known = _PLAIN.get(op)
    if known is None:
        known = not (op in _RESHAPES or op in _SPECIAL
                     or op.startswith(_MAP_OPS) or op.startswith(("gather", *_REDUCE)))
        if len(_PLAIN) < 4096:  # a hostile file's made-up ops stay uncached
            _PLAIN[op] = known
    return known


def _layer_axes(model: Model, layer: Layer, table: dict, shapes: dict) -> None:
    op = layer.op
    batch = model.batch_dim
    ins = [(table.get(t), shapes.get(t)) for t in layer.inputs]
    if _plain(op):
        for index, out_name in enumerate(layer.outputs):
            shape = shapes.get(out_name)
            if shape is None and index == 0:
                shape = layer.output_shape
            table[out_name] = _broadcast(ins, shape)
        return
    first, first_shape = ins[0] if ins else (None, layer.input_shape)
    for index, out_name in enumerate(layer.outputs):
        shape = shapes.get(out_name)
        if shape is None and index == 0:
            shape = layer.output_shape
        if shape is None:
            table[out_name] = None
            continue
        result: Axes | None = None
        if op in _RESHAPES:
            result = _regroup(first, shape) if first is not None else None
        elif op.startswith(_MAP_OPS):
            result = _spatial(first, shape, batch, last=bool(layer.attrs.get("channels_last")))
        elif op == "transpose" and first is not None:
            perm = layer.attrs.get("perm") or tuple(range(len(first)))[::-1]
            if sorted(perm) == list(range(len(first))):
                result = tuple(first[p] for p in perm)
        elif op == "dense":
            last = layer.attrs.get("last_axis")  # YAML format 2: per token, as ONNX
            if not batch and not last:
                result = (_one(CHANNEL, shape[0]),) if len(shape) == 1 else None
            elif first is not None and len(first) == len(shape):
                result = (*first[:-1], _one(CHANNEL, shape[-1]))
            elif first is not None and len(shape) == 2 and len(first) == 2:
                result = (first[0], _one(CHANNEL, shape[-1]))
        elif op == "matmul" and len(ins) == 2 and all(a is not None and s is not None for a, s in ins):
            (a, sa), (b, sb) = ins
            if len(a) >= 2 and len(b) >= 2 and len(shape) == max(len(a), len(b)):
                lead = _broadcast([(a[:-2], sa[:-2]), (b[:-2], sb[:-2])], shape[:-2])
                result = (*lead, a[-2], b[-1])
        elif op == "embedding":
            idx = _seq(first)
            if idx is not None and len(shape) == len(idx) + 1:
                result = ((*idx, _one(CHANNEL, shape[-1])) if batch or layer.attrs.get("last_axis")
                          else (_one(CHANNEL, shape[0]), *idx))
        elif op == "tokens" and first is not None and len(shape) == 2:
            # YAML format 2: a [C, H, W] map as [H*W, C] tokens
            result = (Axis(tuple(f for a in first[1:] for f in a.parts if f[1] != 1)), first[0])
        elif op in _RECURRENT:
            result = _recurrent(layer, first, shape, index, batch)
        elif op == "concat":
            result = _concat(layer, ins, shape)
        elif first is not None and len(shape) < len(first) and op.startswith(("gather", *_REDUCE)):
            result = _remove(first, shape)
        if result is None or len(result) != len(shape):
            result = _broadcast(ins, shape)
        table[out_name] = result


def _recurrent(layer: Layer, x: Axes | None, shape, index: int, batch: bool) -> Axes | None:
    """YAML ``[F, T] -> [units, T]`` or ``[units]``; ONNX Y ``[T, dirs, N, H]``,
    Y_h/Y_c ``[dirs, N, H]`` (``layout=1``: ``[N, T, dirs, H]``, ``[N, dirs, H]``)."""
    last = layer.attrs.get("last_axis")  # YAML format 2: [T, F] -> [T, units]
    hidden = _one(CHANNEL, shape[-1] if batch or last else shape[0])
    if not batch and last:
        if len(shape) == 2:
            steps = x[0] if x is not None and len(x) == 2 else _one(SEQ, shape[0])
            return (_seq((steps,))[0], hidden)
        return (hidden,)
    if not batch:
        if len(shape) == 2:
            steps = x[1] if x is not None and len(x) == 2 else _one(SEQ, shape[1])
            return (hidden, _seq((steps,))[0])
        return (hidden,)
    if x is None or len(x) != 3 or len(shape) not in (3, 4):
        return None
    layout = (layer.attrs.get("onnx") or {}).get("layout", 0)
    steps, rows = (x[1], x[0]) if layout else (x[0], x[1])
    if steps.kinds <= {UNKNOWN, BATCH}:  # a graph input's first axis is time here
        steps = Axis(tuple((SEQ, s) for _, s in steps.parts))
    if rows.kinds <= {UNKNOWN, SEQ}:
        rows = Axis(tuple((BATCH, s) for _, s in rows.parts))
    if len(shape) == 4:
        d = shape[2] if layout else shape[1]
        dirs = Axis() if d == 1 else _one(UNKNOWN, d)
        return (rows, steps, dirs, hidden) if layout else (steps, dirs, rows, hidden)
    d = shape[1] if layout else shape[0]
    dirs = Axis() if d == 1 else _one(UNKNOWN, d)
    return (rows, dirs, hidden) if layout else (dirs, rows, hidden)


def _concat(layer: Layer, ins: list, shape) -> Axes | None:
    axis = layer.attrs.get("axis")
    if axis is None:
        axis = (layer.attrs.get("onnx") or {}).get("axis")
    known = [(a, s) for a, s in ins if a is not None and s is not None and len(s) == len(shape)]
    if axis is None or not known or not -len(shape) <= axis < len(shape):
        return None
    axis %= len(shape)
    base = _broadcast(known, shape)
    kinds = {k for a, _ in known for k in a[axis].kinds} - {UNKNOWN}
    if len(kinds) == 1:
        base = (*base[:axis], _one(kinds.pop(), shape[axis]), *base[axis + 1:])
    else:
        base = (*base[:axis], _one(UNKNOWN, shape[axis]), *base[axis + 1:])
    return base


def _input_axes(shape, batch: bool) -> Axes | None:
    if shape is None:
        return None
    if batch:
        if not shape:
            return ()
        rest = shape[1:]
        if len(shape) >= 4:
            body = (_one(CHANNEL, rest[0]), *(_one(SPACE, d) for d in rest[1:]))
        else:
            body = tuple(_one(UNKNOWN, d) for d in rest)
        return (_one(BATCH, shape[0]), *body)
    if len(shape) >= 2:
        return (_one(CHANNEL, shape[0]), *(_one(SPACE, d) for d in shape[1:]))
    return _unknown(shape)


def axes_of(model: Model) -> dict:
    """Tensor name -> axes, for every tensor of the model (cached)."""
    cached = model.__dict__.get("_axes")
    if cached is not None:
        return cached
    shapes = model.shapes or {}
    table: dict = {}
    for info in model.inputs:
        table[info.name] = _input_axes(info.shape if info.shape is not None else shapes.get(info.name),
                                       model.batch_dim)
    for layer in model.layers:
        _layer_axes(model, layer, table, shapes)
    model.__dict__["_axes"] = table
    return table


def contracted(model: Model, layer: Layer) -> Axis | None:
    """The input axis a dense layer contracts (see the module doc)."""
    if not layer.inputs:
        return None
    axes = axes_of(model).get(layer.inputs[0])
    if axes is None or not axes:
        return None
    if not model.batch_dim and not layer.attrs.get("last_axis"):  # YAML format 1: a dense flattens its input
        return Axis(tuple(f for a in axes for f in a.parts if f[1] != 1 or f[0] == CHANNEL))
    if (layer.attrs.get("onnx") or {}).get("transA") and len(axes) == 2:
        return axes[0]
    return axes[-1]
