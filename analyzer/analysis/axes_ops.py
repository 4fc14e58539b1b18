"""The per-op axis transfer: which axes each layer's outputs get from its
inputs (conv/pool maps, dense, matmul, embedding, recurrent, concat,
transpose, reshapes; everything else broadcasts).

One function per layer, called once per node by ``axes_of``; apart from the
public entry points (paramlint.analysis.axes) so that the op table is one
module's job. The rules are in paramlint.analysis.axes' docstring.
"""

from __future__ import annotations

from paramlint.ir.model import Layer, Model

from .axis import BATCH, CHANNEL, SEQ, SPACE, UNKNOWN, Axes, Axis, _one, _unknown
from .axes_shapes import _broadcast, _regroup, _remove


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
