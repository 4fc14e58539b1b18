"""Keras layer classes: output shapes and weight shapes from a layer's config.

Each function takes the layer's config and its input shapes (no batch
dimension; ``None`` for an unknown size) and returns an ``Out``: the output
shape(s), the weights Keras creates as ``(variable, shape, trainable)``
(named as Keras 3 names its variables) and the attributes counting and
MACs read. The arithmetic is Keras's own (keras/src/layers/...);
docs/keras.md lists the classes. A config a function cannot read raises
``ValueError`` with a message for the user.
"""

from __future__ import annotations

from math import prod
from typing import Callable

from .common import (Out, Shape, UnknownDim, ints, join, known, layout, length, need, pads, split, to_index,
                     to_indices)
from .shaping import (activation, activation_name, concatenate, flatten, global_pool, merge, pad_crop,
                      permute, pool, repeat_vector, reshape, same, upsampling)

__all__ = ["CLASSES", "Out", "UnknownDim"]


# ------------------------------------------------------------ convolutions


def _conv(rank: int, kind: str) -> Callable:
    def infer(cfg: dict, ins: list[Shape]) -> Out:
        x = ins[0]
        need(x, rank + 1, kind)
        last = layout(cfg)
        cin, spatial = split(x, last)
        cin = known(cin, "input channel count")
        k = ints(cfg.get("kernel_size"), rank, "kernel_size")
        s = ints(cfg.get("strides", 1), rank, "strides")
        d = ints(cfg.get("dilation_rate", 1), rank, "dilation_rate")
        padding = str(cfg.get("padding", "valid")).lower()
        bias = bool(cfg.get("use_bias", True))
        mult = cfg.get("depth_multiplier", 1)
        groups = int(cfg.get("groups", 1) or 1)
        if kind == "transpose":
            filters = int(cfg["filters"])
            outs = tuple(None if n is None else (n * st if padding == "same" else n * st + max(kk + (kk - 1) * (dd - 1) - st, 0))
                         for n, kk, st, dd in zip(spatial, k, s, d))
            weights = [("kernel", (*k, filters, cin), True)]
            op = f"conv{rank}d_transpose"
        else:
            outs = tuple(length(n, kk, st, dd, padding) for n, kk, st, dd in zip(spatial, k, s, d))
            if kind == "depthwise":
                filters, groups = cin * mult, cin
                weights = [("kernel", (*k, cin, mult), True)]
                op = "depthwise_conv2d" if rank == 2 else f"conv{rank}d"
            elif kind == "separable":
                filters = int(cfg["filters"])
                weights = [("depthwise_kernel", (*k, cin, mult), True),
                           ("pointwise_kernel", (*(1,) * rank, cin * mult, filters), True)]
                op = f"separable_conv{rank}d"
            else:
                filters = int(cfg["filters"])
                if cin % groups or filters % groups:
                    raise ValueError(f"{cin} input channels and {filters} filters must divide into {groups} groups")
                weights = [("kernel", (*k, cin // groups, filters), True)]
                op = f"conv{rank}d"
        if bias:
            weights.append(("bias", (filters,), True))
        attrs = {"filters": filters, "kernel": k, "stride": s, "dilation": d, "groups": groups,
                 "bias": bias, "padding_spec": padding, "channels_last": last}
        if kind != "transpose":
            attrs["pads"] = pads(spatial, outs, k, s, d, padding)
        if kind == "separable":
            attrs["depth_multiplier"] = mult
        if activation_name(cfg.get("activation")) != "linear":
            attrs["activation"] = activation_name(cfg.get("activation"))
        return Out([join(filters, outs, last)], weights, attrs, op)

    return infer


def _dense(cfg: dict, ins: list[Shape]) -> Out:
    x = ins[0]
    if not x:
        raise ValueError("Dense needs an input with at least one dimension besides the batch")
    features = known(x[-1], "input feature size")
    units = int(cfg["units"])
    bias = bool(cfg.get("use_bias", True))
    weights = [("kernel", (features, units), True)] + ([("bias", (units,), True)] if bias else [])
    attrs = {"units": units, "bias": bias, "in_features": features}
    if activation_name(cfg.get("activation")) != "linear":
        attrs["activation"] = activation_name(cfg.get("activation"))
    return Out([(*x[:-1], units)], weights, attrs, "dense")


# ---------------------------------------------------------------- norms


def _batchnorm(cfg: dict, ins: list[Shape]) -> Out:
    x = ins[0]
    axis = to_indices(cfg.get("axis", -1), len(x))
    shape = tuple(known(x[a], "normalized axis size") for a in axis)
    weights = []
    if cfg.get("scale", True):
        weights.append(("gamma", shape, True))
    if cfg.get("center", True):
        weights.append(("beta", shape, True))
    weights += [("moving_mean", shape, False), ("moving_variance", shape, False)]
    return Out([x], weights, {"channels": prod(shape), "bias": bool(cfg.get("center", True)),
                              "channels_last": axis == [len(x) - 1]}, "batchnorm")


def _layernorm(cfg: dict, ins: list[Shape]) -> Out:
    x = ins[0]
    axis = to_indices(cfg.get("axis", -1), len(x))
    shape = tuple(known(x[a], "normalized axis size") for a in sorted(axis))
    weights = []
    if cfg.get("scale", True):
        weights.append(("gamma", shape, True))
    if cfg.get("center", True) and not cfg.get("rms_scaling", False):
        weights.append(("beta", shape, True))
    return Out([x], weights, {"channels_last": axis == [len(x) - 1]}, "layernorm")


def _groupnorm(cfg: dict, ins: list[Shape]) -> Out:
    x = ins[0]
    c = known(x[to_index(cfg.get("axis", -1), len(x))], "channel count")
    weights = ([("gamma", (c,), True)] if cfg.get("scale", True) else []) + \
              ([("beta", (c,), True)] if cfg.get("center", True) else [])
    return Out([x], weights, {"channels": c}, "groupnorm")


def _normalization(cfg: dict, ins: list[Shape]) -> Out:
    """Preprocessing ``Normalization``: adapt() state is stored unless mean and variance are given."""
    x = ins[0]
    if cfg.get("mean") is not None and cfg.get("variance") is not None:
        return Out([x], [], {}, "normalization")
    axis = cfg.get("axis", -1)
    axes = [] if axis is None else to_indices(axis, len(x))
    shape = tuple(known(x[a], "normalized axis size") for a in axes)
    weights = [("mean", shape, False), ("variance", shape, False), ("count", (), False)]
    return Out([x], weights, {}, "normalization")


# -------------------------------------------------- embeddings, recurrence

_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
_RNN_OPS = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}


def _embedding(cfg: dict, ins: list[Shape]) -> Out:
    dim = int(cfg["output_dim"])
    return Out([(*ins[0], dim)], [("embeddings", (int(cfg["input_dim"]), dim), True)],
               {"vocab": int(cfg["input_dim"]), "units": dim}, "embedding")


def _recurrent_weights(cls: str, cfg: dict, features: int) -> list[tuple[str, Shape, bool]]:
    units, gates = int(cfg["units"]), _GATES[cls]
    weights = [("kernel", (features, gates * units), True), ("recurrent_kernel", (units, gates * units), True)]
    if cfg.get("use_bias", True):
        if cls == "GRU" and cfg.get("reset_after", True):
            weights.append(("bias", (2, gates * units), True))
        else:
            weights.append(("bias", (gates * units,), True))
    return weights


def _rnn_shapes(cfg: dict, x: Shape, units: int, states: int) -> list[Shape]:
    out = (x[0], units) if cfg.get("return_sequences") else (units,)
    return [out] + [(units,)] * (states if cfg.get("return_state") else 0)


def _recurrent(cls: str) -> Callable:
    def infer(cfg: dict, ins: list[Shape]) -> Out:
        x = ins[0]
        need(x, 2, cls)
        units = int(cfg["units"])
        weights = _recurrent_weights(cls, cfg, known(x[1], "input feature size"))
        attrs = {"units": units, "sequence_length": x[0], "gates": _GATES[cls], "batch_first": True,
                 "bias": bool(cfg.get("use_bias", True))}
        return Out(_rnn_shapes(cfg, x, units, 2 if cls == "LSTM" else 1), weights, attrs, _RNN_OPS[cls])

    return infer


def _bidirectional(cfg: dict, ins: list[Shape]) -> Out:
    inner = cfg.get("layer") or {}
    cls, icfg = inner.get("class_name"), inner.get("config") or {}
    if cls not in _GATES:
        raise ValueError(f"Bidirectional wraps {cls!r}; paramlint reads LSTM, GRU and SimpleRNN")
    x = ins[0]
    need(x, 2, "Bidirectional")
    units = int(icfg["units"])
    features = known(x[1], "input feature size")
    back = (cfg.get("backward_layer") or {}).get("config") or icfg
    name, bname = icfg.get("name", "layer"), back.get("name", "layer")
    weights = [(f"forward_{name}/{v}", s, t) for v, s, t in _recurrent_weights(cls, icfg, features)]
    weights += [(f"backward_{bname}/{v}", s, t) for v, s, t in _recurrent_weights(cls, back, features)]
    merge = cfg.get("merge_mode", "concat")
    width = 2 * units if merge == "concat" else units
    out = (x[0], width) if icfg.get("return_sequences") else (width,)
    attrs = {"units": units, "sequence_length": x[0], "gates": _GATES[cls], "direction": "bidirectional",
             "batch_first": True,
             "bias": bool(icfg.get("use_bias", True))}
    return Out([out], weights, attrs, _RNN_OPS[cls])


def _prelu(cfg: dict, ins: list[Shape]) -> Out:
    x = list(ins[0])
    for a in cfg.get("shared_axes") or []:
        x[a - 1] = 1
    return Out([ins[0]], [("alpha", tuple(known(d, "input size") for d in x), True)], {}, "prelu")


def _layer_scale(cfg: dict, ins: list[Shape]) -> Out:
    """ConvNeXt's LayerScale: a learned per-channel factor (keras.applications.convnext)."""
    dim = int(cfg.get("projection_dim") or known(ins[0][-1], "channel count"))
    return Out([ins[0]], [("gamma", (dim,), True)], {}, "mul")


def _mha(cfg: dict, ins: list[Shape]) -> Out:
    q = ins[0]
    v = ins[1] if len(ins) > 1 else q
    k = ins[2] if len(ins) > 2 else v
    heads, kd = int(cfg["num_heads"]), int(cfg["key_dim"])
    vd = int(cfg.get("value_dim") or kd)
    out_dim = cfg.get("output_shape")
    out_dim = int(out_dim if isinstance(out_dim, int) else (out_dim[-1] if out_dim else known(q[-1], "query size")))
    bias = bool(cfg.get("use_bias", True))
    weights = []
    for name, x, dim in (("query", q, kd), ("key", k, kd), ("value", v, vd)):
        weights.append((f"{name}/kernel", (known(x[-1], f"{name} size"), heads, dim), True))
        if bias:
            weights.append((f"{name}/bias", (heads, dim), True))
    weights.append(("attention_output/kernel", (heads, vd, out_dim), True))
    if bias:
        weights.append(("attention_output/bias", (out_dim,), True))
    return Out([(*q[:-1], out_dim)], weights, {"heads": heads, "key_dim": kd,
                                               "macs_unknown": "MultiHeadAttention's MACs are not computed"},
               "attention")


CLASSES: dict[str, Callable[[dict, list[Shape]], Out]] = {
    "Dense": _dense,
    "BatchNormalization": _batchnorm, "LayerNormalization": _layernorm,
    "GroupNormalization": _groupnorm, "Normalization": _normalization,
    "Embedding": _embedding, "Bidirectional": _bidirectional,
    "Flatten": flatten, "Reshape": reshape, "Permute": permute, "RepeatVector": repeat_vector,
    "Concatenate": concatenate, "PReLU": _prelu, "LayerScale": _layer_scale,
    "MultiHeadAttention": _mha, "Activation": activation,
}
for _cls in _GATES:
    CLASSES[_cls] = _recurrent(_cls)
for _r in (1, 2, 3):
    CLASSES[f"Conv{_r}D"] = _conv(_r, "conv")
    CLASSES[f"Conv{_r}DTranspose"] = _conv(_r, "transpose")
    CLASSES[f"MaxPooling{_r}D"] = pool(_r, "maxpool")
    CLASSES[f"AveragePooling{_r}D"] = pool(_r, "avgpool")
    CLASSES[f"GlobalAveragePooling{_r}D"] = global_pool("global_avgpool")
    CLASSES[f"GlobalMaxPooling{_r}D"] = global_pool("global_maxpool")
    CLASSES[f"ZeroPadding{_r}D"] = pad_crop(_r, 1)
    CLASSES[f"Cropping{_r}D"] = pad_crop(_r, -1)
    CLASSES[f"UpSampling{_r}D"] = upsampling(_r)
for _r in (1, 2):
    CLASSES[f"DepthwiseConv{_r}D"] = _conv(_r, "depthwise")
    CLASSES[f"SeparableConv{_r}D"] = _conv(_r, "separable")
for _cls, _op in (("Dropout", "dropout"), ("SpatialDropout1D", "dropout"), ("SpatialDropout2D", "dropout"),
                  ("SpatialDropout3D", "dropout"), ("GaussianNoise", "dropout"), ("GaussianDropout", "dropout"),
                  ("AlphaDropout", "dropout"), ("ActivityRegularization", "identity"), ("Identity", "identity"),
                  ("Masking", "identity"), ("ReLU", "relu"), ("LeakyReLU", "leaky_relu"), ("ELU", "elu"),
                  ("Softmax", "softmax"), ("Rescaling", "rescale"), ("StochasticDepth", "identity"),
                  ("UnitNormalization", "normalize")):
    CLASSES[_cls] = same(_op)
for _cls, _op in (("Add", "add"), ("Subtract", "sub"), ("Multiply", "multiply"), ("Average", "mean"),
                  ("Maximum", "max"), ("Minimum", "min")):
    CLASSES[_cls] = merge(_op)
#: Keras 2 / tf.keras spellings of the same classes
CLASSES.update({"Convolution2D": CLASSES["Conv2D"], "Convolution1D": CLASSES["Conv1D"],
                "SeparableConvolution2D": CLASSES["SeparableConv2D"], "MaxPool2D": CLASSES["MaxPooling2D"],
                "AvgPool2D": CLASSES["AveragePooling2D"], "GlobalAvgPool2D": CLASSES["GlobalAveragePooling2D"],
                "GlobalMaxPool2D": CLASSES["GlobalMaxPooling2D"], "Deconvolution2D": CLASSES["Conv2DTranspose"]})
