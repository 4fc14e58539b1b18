"""What an IR op is, in the terms rules reason about: activation, per-channel
normalization, dropout, plumbing, a weight layer's feature axis, a window.

Why in the core: several rules (the PRM5xx design checks, and any plugin)
ask the same questions of a layer, and the answers must not differ between
rules or between formats. The tables are over the IR's normalised op names
(``relu``, ``batchnorm``, ``dense``, ``conv2d``: what both the YAML and the
ONNX loader produce), never over a file format's own names. Where an op's
category depends on its arguments (an ONNX ``Clip`` is a ReLU6 only when it
clamps at 0; a group norm normalises each channel on its own only with one
channel per group), a function decides from the layer's attributes.

Plain tables and pure functions of one layer; see ``graph`` for neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil, prod

from paramlint.ir.model import Layer

#: Element-wise non-linearities applied to a layer's output. ``clip`` is one
#: only when it clamps at zero (see ``is_activation``): a clamp of
#: probabilities or of fp16 overflow is not an activation.
ACTIVATIONS = frozenset({
    "relu", "relu6", "leaky_relu", "prelu", "elu", "selu", "celu", "thresholdedrelu",
    "gelu", "silu", "swish", "mish", "sigmoid", "hardsigmoid", "tanh", "hardtanh",
    "hardswish", "softplus", "softsign", "clip",
})

#: Activations whose output is never negative: a ReLU after one of them is
#: the identity.
NON_NEGATIVE = frozenset({"relu", "relu6", "sigmoid", "hardsigmoid", "softplus", "thresholdedrelu"})

#: Normalizations that remove each channel's own mean (over the batch and
#: positions for batch norm, over positions for instance norm). A group norm
#: with one channel per group is an instance norm (``normalizes_each_channel``).
PER_CHANNEL_NORMS = frozenset({"batchnorm", "instancenorm"})

#: Normalizations with running statistics learnt in training and used at
#: inference (batch norm). Instance norm may track them in PyTorch, but
#: neither format says so and the default is off.
RUNNING_STAT_NORMS = frozenset({"batchnorm"})

NORMS = frozenset({"batchnorm", "instancenorm", "layernorm", "groupnorm", "rmsnorm"})

DROPOUT = frozenset({"dropout"})

#: Ops that only move or keep values (at inference: dropout is the identity
#: there): reshapes, transposes, identity, casts. They compute nothing, so a
#: chain of layers is read through them.
PLUMBING = frozenset({
    "identity", "dropout", "cast", "reshape", "flatten", "transpose", "squeeze", "unsqueeze",
})

#: Ops that read only their input's shape, never its values: a value they
#: read is not "used elsewhere" (a TorchScript group norm reads the shape of
#: the tensor it normalises to restore it afterwards).
SHAPE_READERS = frozenset({"shape", "size"})

CONVS = frozenset({"conv1d", "conv2d", "conv3d", "depthwise_conv2d"})
#: Learnt linear maps (``is_weight_layer``): a dense layer or a convolution.
WEIGHT_OPS = CONVS | {"dense"}
POOLS = frozenset({"maxpool1d", "maxpool2d", "maxpool3d", "avgpool1d", "avgpool2d",
                   "avgpool3d", "lppool1d", "lppool2d", "lppool3d"})


def is_activation(layer: Layer) -> bool:
    """An element-wise non-linearity; a clip only when its lower bound is 0
    (ReLU6 and its kin), since other clamps bound values for other reasons."""
    if layer.op not in ACTIVATIONS:
        return False
    if layer.op == "clip":
        low = clip_bounds(layer)[0]
        return low == 0
    return True


def is_non_negative(layer: Layer) -> bool:
    """An activation whose output is never negative."""
    return layer.op in NON_NEGATIVE or (layer.op == "clip" and is_activation(layer))


def clip_bounds(layer: Layer) -> tuple[float | None, float | None]:
    """(low, high) of a clip, from the loader's ``bounds`` attribute; None
    where a bound is absent or not a constant."""
    bounds = layer.attrs.get("bounds")
    if isinstance(bounds, (list, tuple)) and len(bounds) == 2:
        return bounds[0], bounds[1]
    return None, None


def normalizes_each_channel(layer: Layer) -> bool:
    """Batch and instance norm, and a group norm with one channel per group:
    each removes every channel's own mean, so a per-channel bias before it
    is cancelled. Layer and group norms mix channels and are not."""
    if layer.op in PER_CHANNEL_NORMS:
        return True
    if layer.op == "groupnorm":
        groups = layer.attrs.get("groups")
        channels = norm_channels(layer)
        return isinstance(groups, int) and groups > 0 and groups == channels
    return False


def keeps_running_stats(layer: Layer) -> bool:
    return layer.op in RUNNING_STAT_NORMS


def is_dropout(layer: Layer) -> bool:
    return layer.op in DROPOUT


def is_no_op(layer: Layer) -> bool:
    """Plumbing that leaves its input as it is: identity, dropout (at
    inference), a cast, or a reshape/squeeze/flatten to the same shape, a
    transpose by the identity permutation."""
    if layer.op not in PLUMBING:
        return False
    if layer.op in ("identity", "dropout", "cast"):
        return True
    src, dst = layer.input_shape, layer.output_shape
    if src is None or dst is None or tuple(src) != tuple(dst) or not all(isinstance(d, int) for d in src):
        return False
    if layer.op == "transpose":
        perm = layer.attrs.get("perm")
        return perm is not None and list(perm) == list(range(len(src)))
    return True


def is_weight_layer(layer: Layer) -> bool:
    """A dense layer or a (non-transposed) convolution: a learnt linear map."""
    return layer.op in WEIGHT_OPS


def norm_channels(layer: Layer) -> int | None:
    """The channel count a normalization sees: from the YAML ``channels``
    attribute, else its input's channel axis (axis 1 with a batch, which the
    ONNX layout always has)."""
    channels = layer.attrs.get("channels")
    if isinstance(channels, int):
        return channels
    shape = layer.input_shape
    if shape is not None and len(shape) >= 2 and isinstance(shape[1], int):
        return shape[1]
    return None


def feature_axis(layer: Layer, batch_dim: bool) -> int | None:
    """The axis of a layer's output that holds its channels or units (the
    axis a bias is added along), as a non-negative index; None if unknown.

    Convolutions put channels first after the batch; a dense layer puts its
    units last; a normalization normalises along the channel axis."""
    shape = layer.output_shape
    if shape is None:
        return None
    if layer.op in CONVS or layer.op in NORMS:
        if layer.attrs.get("channels_last"):  # Keras, tf2onnx's NHWC
            return len(shape) - 1
        return 1 if batch_dim else 0
    if layer.op == "dense":
        return len(shape) - 1
    return None


def output_channels(layer: Layer, batch_dim: bool) -> int | None:
    """Filters of a convolution, units of a dense layer: the length of its bias."""
    for key in ("filters", "units"):
        value = layer.attrs.get(key)
        if isinstance(value, int):
            return value
    axis = feature_axis(layer, batch_dim)
    shape = layer.output_shape
    if axis is not None and shape is not None and isinstance(shape[axis], int):
        return shape[axis]
    return None


# ------------------------------------------------------------------ windows


@dataclass(frozen=True)
class Window:
    """A convolution's or pool's window over its input, per spatial dimension.

    ``extent`` is the span one window covers (``dilation*(kernel-1)+1``);
    ``padded`` the input size with both pads; ``live`` how many of the
    kernel's taps ever read a real input value (the others read only
    padding, whatever the output position).
    """

    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    pads_begin: tuple[int, ...]
    pads_end: tuple[int, ...]
    input: tuple[int, ...]
    output: tuple[int, ...]

    @property
    def extent(self) -> tuple[int, ...]:
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilations))

    @property
    def padded(self) -> tuple[int, ...]:
        return tuple(n + b + e for n, b, e in zip(self.input, self.pads_begin, self.pads_end))

    @property
    def live(self) -> tuple[int, ...] | None:
        """Per dimension, the taps that read the input somewhere; None for
        a kernel too long to walk (only a hostile file has one)."""
        if any(k > MAX_TAPS or k < 1 or s < 1 or d < 1
               for k, s, d in zip(self.kernel, self.strides, self.dilations)):
            return None
        return tuple(_live_taps(*dim) for dim in zip(
            self.input, self.kernel, self.strides, self.dilations, self.pads_begin, self.output))

    @property
    def taps(self) -> int:
        return prod(self.kernel)

    @property
    def dead_taps(self) -> int | None:
        """Kernel positions that only ever read padding (None: see ``live``)."""
        live = self.live
        return None if live is None else self.taps - prod(live)


#: Longest kernel dimension whose taps are walked one by one.
MAX_TAPS = 1 << 16


def _live_taps(n: int, k: int, s: int, d: int, pad: int, out: int) -> int:
    """Taps j of one dimension for which some output o reads a real input:
    0 <= o*s - pad + j*d < n for an o in [0, out)."""
    live = 0
    for j in range(k):
        low = max(0, ceil((pad - j * d) / s))
        high = min(out - 1, (n - 1 + pad - j * d) // s)
        if low <= high:
            live += 1
    return live


def _positions(layer: Layer, shape, batch_dim: bool) -> tuple:
    """The spatial dimensions of a map: after the channels, or before them
    when the layer is ``channels_last``."""
    body = tuple(shape[1:] if batch_dim else shape)
    return body[:-1] if layer.attrs.get("channels_last") else body[1:]


def window(layer: Layer, batch_dim: bool) -> Window | None:
    """The window of a convolution or pool, or None when it has none or a
    figure it needs is unknown.

    Reads the attributes both loaders give: ``kernel``, strides
    (``stride``/``strides``), dilations (``dilation``/``dilations``) and
    padding: YAML's resolved symmetric ``padding``, ONNX's ``pads``
    (all begins, then all ends) or its ``auto_pad``."""
    if layer.op not in CONVS and layer.op not in POOLS:
        return None
    kernel = _ints(layer.attrs.get("kernel"))
    shape = layer.input_shape
    if kernel is None or shape is None:
        return None
    spatial = _ints(_positions(layer, shape, batch_dim))
    rank = len(kernel)
    if spatial is None or len(spatial) != rank:
        return None
    raw = layer.attrs.get("onnx") or {}
    strides = _ints(layer.attrs.get("strides", layer.attrs.get("stride"))) or (1,) * rank
    dilations = _ints(layer.attrs.get("dilations", layer.attrs.get("dilation"))) or (1,) * rank
    if len(strides) != rank or len(dilations) != rank:
        return None
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    auto = raw.get("auto_pad", "NOTSET") if isinstance(raw, dict) else "NOTSET"
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        outs = [-(-n // s) for n, s in zip(spatial, strides)]
        totals = [max((o - 1) * s + e - n, 0) for n, o, s, e in zip(spatial, outs, strides, extent)]
        small = [t // 2 for t in totals]
        big = [t - t // 2 for t in totals]
        begin, end = (small, big) if auto == "SAME_UPPER" else (big, small)
    elif auto == "VALID":
        begin = end = [0] * rank
    else:
        pads = _ints(layer.attrs.get("pads"))
        padding = _ints(layer.attrs.get("padding"))
        if pads is not None and len(pads) == 2 * rank:
            begin, end = list(pads[:rank]), list(pads[rank:])
        elif padding is not None and len(padding) == rank:
            begin = end = list(padding)
        elif pads is None and padding is None:
            begin = end = [0] * rank
        else:
            return None
    ceil_mode = bool(layer.attrs.get("ceil_mode") or (raw.get("ceil_mode") if isinstance(raw, dict) else 0))
    output = _output(layer, batch_dim, rank)
    if output is None:
        output = []
        for n, b, e, x, s in zip(spatial, begin, end, extent, strides):
            span = n + b + e - x
            output.append(max((-(-span // s) if ceil_mode else span // s) + 1, 0) if span >= 0 else 0)
    return Window(tuple(kernel), tuple(strides), tuple(dilations), tuple(begin), tuple(end),
                  tuple(spatial), tuple(output))


def _output(layer: Layer, batch_dim: bool, rank: int) -> list[int] | None:
    shape = layer.output_shape
    if shape is None:
        return None
    spatial = _ints(_positions(layer, shape, batch_dim))
    return list(spatial) if spatial is not None and len(spatial) == rank else None


def _ints(value) -> tuple[int, ...] | None:
    # The common case first, without a generator: this runs several times
    # for each of a large export's thousands of convolutions.
    kind = type(value)
    if kind is tuple or kind is list:
        for v in value:
            if type(v) is not int:
                break
        else:
            return tuple(value)
    elif kind is int:
        return (value,)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool)
                                                 for v in value):
        return tuple(value)
    return None
