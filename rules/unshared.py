"""PRM201: a locally connected layer that a convolution would replace."""

from __future__ import annotations

from math import prod

from analyzer.counting import count
from analyzer.rule import Rule

from ._common import n

LOCAL_OPS = frozenset({"locally_connected1d", "locally_connected2d"})


def _check(model, ctx):
    counts = count(model)
    for layer in model.layers:
        if layer.op not in LOCAL_OPS:
            continue
        params = counts.layers[layer.name].params
        out = layer.output_shape
        spatial = tuple(out[2:] if model.batch_dim else out[1:]) if out else ()
        if not spatial or not all(isinstance(d, int) and d > 0 for d in spatial):
            continue
        positions = prod(spatial)
        shared = params // positions
        yield ctx.finding(
            f"{layer.op} '{layer.name}' holds {n(params)} params, its own weights at each of "
            f"{n(positions)} output positions; a convolution with the same kernel would hold "
            f"{n(shared)} (saves {n(params - shared)})",
            layer=layer, params=params, shared=shared, savings=params - shared)


RULE = Rule(
    code="PRM201", name="unshared-layer", severity="info",
    summary="a locally connected layer that a shared (convolutional) layer would replace",
    doc=("A locally connected layer has the connectivity of a convolution but its own weights "
         "at every output position. Unless position-specific filters are the point, a "
         "convolution learns the same features with a fraction of the parameters."),
    example="lc.yaml:6:5: PRM201 [info] locally_connected2d 'lc1' holds 1,064,960 params, ...",
    check=_check,
)
