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

This module holds the entry points and the graph inputs' axes; ``Axis``
and the kinds live in ``axis``, the shape-only regrouping (reshape,
broadcast, rank reduction) in ``axes_shapes``, the per-op transfer in
``axes_ops``.
"""

from __future__ import annotations

from paramlint.ir.model import Layer, Model

from .axes_ops import _layer_axes
from .axis import BATCH, CHANNEL, SEQ, SPACE, UNKNOWN, Axes, Axis, _one, _unknown

__all__ = ["Axis", "axes_of", "contracted", "BATCH", "CHANNEL", "SPACE", "SEQ", "UNKNOWN"]


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
