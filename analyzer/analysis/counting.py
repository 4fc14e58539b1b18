"""The arithmetic of counting.md: per-layer counts, sharing figures, totals.

Pure functions of the IR. Every figure is an exact Python int, or ``None``
when a shape it needs is unknown (never a guess). A layer whose parameters
a loader could not count (``attrs["params_unknown"]``: a module or op
paramlint does not model, or one whose input it could not size) is listed
in ``Counts.params_unknown``: the totals are then the known part, a lower
bound, and say so (counting.md, "Unknown stays unknown").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Iterable

from paramlint.ir.model import Layer, Model, Weight, format_shape

CONV_OPS = frozenset({
    "conv1d", "conv2d", "conv3d", "depthwise_conv2d",
    "conv1d_transpose", "conv2d_transpose", "conv3d_transpose",
})
RECURRENT_OPS = frozenset({"rnn", "lstm", "gru"})
#: A layer's ``shared_with`` names at most this many others. Every reader
#: listing every other one is quadratic: 10,000 MatMuls reading one weight
#: (or a ``repeat: 99999, share_repeats: true`` block) would make 10^8-10^10
#: names. The complete record is the tie itself (``Counts.ties``), which
#: lists each tied weight once with all its readers.
MAX_SHARED_WITH = 16


@dataclass
class Sharing:
    shared: int | None
    unshared: int | None
    dense_equivalent: int | None
    savings: int | None
    factor: int | None


@dataclass
class LayerCounts:
    params: int
    trainable: int
    non_trainable: int
    shared_with: list[str] = field(default_factory=list)
    sharing: Sharing | None = None
    #: Why a sharing figure is missing (an unknown dimension), if it is.
    missing: str | None = None


@dataclass
class Totals:
    params: int
    #: What one token uses: ``params`` less the experts a mixture-of-experts
    #: layer does not route it to (``params`` when the model has none).
    active_params: int
    trainable: int
    non_trainable: int
    per_use_params: int
    tied_savings: int
    unshared_params: int | None
    sharing_savings: int | None
    unused_params: int


@dataclass
class SharedTensor:
    """A weight read by several layers: a tie, or an exporter's merged constant."""

    name: str
    shape: tuple[int, ...]
    elements: int
    layers: list[str]


@dataclass
class Counts:
    layers: dict[str, LayerCounts]
    totals: Totals
    ties: list[SharedTensor]
    merged_constants: list[SharedTensor]
    unused: list[SharedTensor]
    #: layer name -> why its parameters are unknown. When not empty, every
    #: parameter total is the known part only: a lower bound.
    params_unknown: dict[str, str] = field(default_factory=dict)

    @property
    def params_complete(self) -> bool:
        return not self.params_unknown


def _known(dims) -> bool:
    if dims is None:
        return False
    for d in dims:  # a loop, not all(generator): once per convolution of a large export
        if not isinstance(d, int):
            return False
    return True


def is_merged_constant(weight: Weight) -> bool:
    """Equal values stored once by an exporter, as opposed to a real tie."""
    if weight.uniform is not None:
        return weight.uniform
    return sum(1 for d in weight.shape if d > 1) <= 1


def _split(shape, batch_dim: bool, channels_last: bool):
    """(channels, spatial dims) of a map, or None if it is not one."""
    if shape is None:
        return None
    dims = tuple(shape[1:] if batch_dim else shape)
    if len(dims) < 2:
        return None
    if channels_last:
        return dims[-1], dims[:-1]
    return dims[0], dims[1:]


def conv_sharing(layer: Layer, per_use: int, batch_dim: bool) -> tuple[Sharing, str | None]:
    """Shared, locally connected and fully connected figures of a convolution."""
    last = bool(layer.attrs.get("channels_last"))
    src = _split(layer.input_shape, batch_dim, last)
    dst = _split(layer.output_shape, batch_dim, last)
    if src is None or dst is None or not _known((src[0], *src[1])) or not _known((dst[0], *dst[1])):
        which = "input" if src is None or not _known((src[0], *src[1])) else "output"
        shape = layer.input_shape if which == "input" else layer.output_shape
        return (Sharing(per_use, None, None, None, None),
                f"{which} shape {format_shape(shape)} has an unknown dimension")
    (cin, s_in), (cout, s_out) = src, dst
    bias = 1 if layer.attrs.get("bias") else 0
    positions = prod(s_out)
    unshared = positions * per_use
    dense = (cin * prod(s_in)) * (cout * positions) + bias * cout * positions
    return Sharing(per_use, unshared, dense, unshared - per_use, positions), None


def recurrent_sharing(layer: Layer, per_use: int) -> tuple[Sharing, str | None]:
    steps = layer.attrs.get("sequence_length")
    if not isinstance(steps, int):
        return Sharing(per_use, None, None, None, None), "the sequence length is unknown"
    return Sharing(per_use, steps * per_use, None, steps * per_use - per_use, steps), None


def position_sharing(layer: Layer, per_use: int) -> Sharing:
    """A layer applied at ``positions`` tokens with one set of weights.

    As for a recurrent layer over time: ``unshared = positions * P``. There
    is no fully connected figure (it would connect every token to every
    other, a different model, not the same layer unshared).
    """
    steps = layer.attrs["positions"]
    return Sharing(per_use, steps * per_use, None, steps * per_use - per_use, steps)


def inactive_params(model: Model, layers: Iterable[Layer] | None = None) -> int:
    """Elements of routed experts one token does not use, each tensor once.

    A ``moe`` layer lists its stacked expert tensors (leading axis: the
    experts) in ``routed_weights``; a token uses ``top_k`` of ``experts``.
    ``layers``: the ones to look at, when the caller knows the others have
    none (by default every layer).
    """
    seen: set[str] = set()
    total = 0
    for layer in model.layers if layers is None else layers:
        routed = layer.attrs.get("routed_weights") if layer.attrs else None
        if not routed:
            continue
        experts, top_k = layer.attrs["experts"], layer.attrs["top_k"]
        for name in routed:
            if name not in seen:
                seen.add(name)
                total += model.weights[name].elements // experts * (experts - top_k)
    return total


def count(model: Model) -> Counts:
    """All of counting.md for one model. Cached on the model."""
    cached = model.__dict__.get("_counts")
    if cached is not None:
        return cached
    # One pass to find the layers with weights (most of a large export's
    # have none); the other passes visit only those.
    weights = model.weights
    readers: dict[str, list[str]] = {name: [] for name in weights}
    weighted: list[tuple[Layer, Iterable[str]]] = []
    for layer in model.layers:
        names = layer.weights
        if names:
            names = names if len(names) == 1 else tuple(dict.fromkeys(names))
            weighted.append((layer, names))
            for name in names:
                readers.setdefault(name, []).append(layer.name)

    merged = {name for name, who in readers.items()
              if len(who) > 1 and is_merged_constant(weights[name])}
    tied = {name for name, who in readers.items() if len(who) > 1 and name not in merged}

    # Every layer gets zero counts first, in model order, then the weighted
    # layers' entries are replaced. The layers without weights (most of a
    # large export's) share one zero LayerCounts: read-only, like all of
    # Counts. Two layers of one name (no built-in loader makes them) keep
    # the last one's counts, as a single pass would.
    zero = LayerCounts(0, 0, 0, [], None, None)
    layers: dict[str, LayerCounts] = dict.fromkeys([layer.name for layer in model.layers], zero)
    last = None if len(layers) == len(model.layers) else {x.name: x for x in model.layers}
    per_use_total = 0
    savings_total: int | None = 0
    elements: dict[str, int] = {}  # Weight.elements is computed on each read
    for layer, names in weighted:
        trainable = non_trainable = 0
        partners: dict[str, None] = {}
        for name in names:
            weight = weights[name]
            size = elements.get(name)
            if size is None:
                size = elements[name] = weight.elements
            if weight.trainable:
                trainable += size
            else:
                non_trainable += size
            if name in tied and len(partners) < MAX_SHARED_WITH:
                for other in readers[name]:
                    if other != layer.name:
                        partners[other] = None
                        if len(partners) >= MAX_SHARED_WITH:
                            break
        params = trainable + non_trainable
        per_use_total += params
        sharing = missing = None
        if layer.op in CONV_OPS and trainable:
            sharing, missing = conv_sharing(layer, trainable, model.batch_dim)
        elif layer.op in RECURRENT_OPS and trainable:
            sharing, missing = recurrent_sharing(layer, trainable)
        elif trainable and isinstance(layer.attrs.get("positions"), int):
            sharing = position_sharing(layer, trainable)
        if sharing is not None and savings_total is not None:
            savings_total = None if sharing.savings is None else savings_total + sharing.savings
        if last is None or last[layer.name] is layer:
            layers[layer.name] = LayerCounts(params, trainable, non_trainable,
                                             list(partners), sharing, missing)

    params = trainable_total = 0
    for name, who in readers.items():
        if not who:
            continue
        size = elements[name] * (len(who) if name in merged else 1)
        params += size
        if weights[name].trainable:
            trainable_total += size

    def shared(names):
        return [SharedTensor(n, tuple(model.weights[n].shape), model.weights[n].elements, readers[n])
                for n in sorted(names)]

    unused = [n for n, who in readers.items() if not who]
    totals = Totals(
        params=params,
        active_params=params - inactive_params(model, (layer for layer, _ in weighted)),
        trainable=trainable_total,
        non_trainable=params - trainable_total,
        per_use_params=per_use_total,
        tied_savings=per_use_total - params,
        unshared_params=None if savings_total is None else params + savings_total,
        sharing_savings=savings_total,
        unused_params=sum(model.weights[n].elements for n in unused),
    )
    unknown = {layer.name: str(layer.attrs["params_unknown"]) for layer in model.layers
               if layer.attrs and layer.attrs.get("params_unknown")}
    result = Counts(layers, totals, shared(tied), shared(merged), shared(unused), unknown)
    model.__dict__["_counts"] = result
    return result
