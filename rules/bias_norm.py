"""PRM501: a bias added right before a per-channel normalization, which
subtracts it back out."""

from __future__ import annotations

from paramlint.analysis.by_op import layers_of
from paramlint.analysis.graph import graph
from paramlint.analysis.ops import (
    WEIGHT_OPS,
    feature_axis,
    is_no_op,
    norm_channels,
    normalizes_each_channel,
    output_channels,
)
from paramlint.lint.rule import Rule

from ._common import borrowed, n

def _check(model, ctx):
    g = graph(model)
    lent = borrowed(model)
    for layer in layers_of(model, WEIGHT_OPS):
        if not layer.attrs.get("bias") or lent.get(layer.name):
            continue
        norm, path = g.chain(layer, is_no_op)
        if norm is None or not normalizes_each_channel(norm):
            continue
        axis = feature_axis(layer, model.batch_dim)
        if axis is None or axis != feature_axis(norm, model.batch_dim):
            continue  # the bias runs along another axis than the one normalised
        wasted = output_channels(layer, model.batch_dim)
        if wasted is None or wasted != norm_channels(norm):
            continue
        via = f" (through {', '.join(repr(p.name) for p in path)})" if path else ""
        yield ctx.finding(
            f"{layer.op} '{layer.label}' adds a bias of {n(wasted)} params that {norm.op} "
            f"'{norm.label}'{via} subtracts right back out (it removes each channel's mean): "
            f"the bias is wasted, drop it (bias=False)",
            layer=layer, wasted_params=wasted, norm=norm.name)


RULE = Rule(
    code="PRM501", name="bias-before-norm", severity="warning",
    summary="a convolution or dense layer with a bias feeding a normalization that cancels it",
    doc=("A batch norm (or instance norm, or a group norm with one channel per group) removes "
         "each channel's mean before scaling and shifting it by its own learnt parameters, so "
         "a per-channel bias added just before it is subtracted right back out: it takes "
         "parameters, memory and optimiser state, and its gradient is zero. This is why "
         "torchvision's and timm's convolutions before a batch norm have bias=False. The "
         "figure is the wasted parameters: the bias length (32 for a 32-filter convolution). "
         "Layer norm and group norm (several channels per group) remove a mean across "
         "channels, not each channel's own, so a bias before them is not cancelled and not "
         "reported. In eval-mode ONNX exports the TorchScript exporter folds a batch norm into "
         "the convolution before it, so the pattern shows in YAML and training-mode exports; a "
         "group norm of one channel per group exported as reshape-instance norm-reshape is "
         "recognised. "
         "Deliberate only when the same weights are also used without the norm (the layer "
         "output forking elsewhere is never reported). Source: NeuraLint (Nikanjam, Ben "
         "Braiek, Morovati, Khomh, \"Automatic Fault Detection for Deep Learning Programs "
         "Using Graph Transformations\", ACM TOSEM 31(1), 2022); Nikanjam and Khomh, \"Design "
         "Smells in Deep Learning Programs\", 2021. See docs/rules-design.md."),
    example=("net.yaml:3:5: PRM501 [warning] conv2d 'conv1' adds a bias of 32 params that batchnorm "
             "'bn1' subtracts right back out (it removes each channel's mean): the bias is wasted, "
             "drop it (bias=False)"),
    check=_check,
)
