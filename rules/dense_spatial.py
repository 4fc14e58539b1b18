"""PRM301: a dense layer on a large spatial map, and what pooling first costs."""

from __future__ import annotations

from paramlint.analysis.by_op import layers_of
from paramlint.analysis.counting import count
from paramlint.lint.rule import Option, Rule

from ._common import borrowed, dims, n, spatial_map, spatial_size


def _check(model, ctx):
    counts = count(model)
    total = counts.totals.params
    minimum = ctx.options["min-spatial"]
    lent = borrowed(model)
    for layer in layers_of(model, ("dense",)):
        if lent.get(layer.name):
            continue  # a layer reading tied weights is reported at their owner
        found = spatial_map(model, layer)
        if found is None:
            continue
        channels, spatial = found
        size = spatial_size(spatial)
        if size <= 1 or size < minimum:
            continue
        params = counts.layers[layer.name].params
        units = layer.attrs.get("units")
        if not isinstance(units, int):
            out = layer.output_shape
            units = out[-1] if out and isinstance(out[-1], int) else None
        bias = 1 if layer.attrs.get("bias") else 0
        pooled = None if units is None else channels * units + bias * units
        share = params / total if total else 0.0
        yield ctx.finding(
            f"dense '{layer.label}' reads a {dims((channels, *spatial))} map "
            f"(spatial size {size}) and holds {n(params)} params, {share:.1%} of the model; "
            f"after global average pooling it would hold {n(pooled)}",
            layer=layer, params=params, share=round(share, 6), pooled_params=pooled,
            channels=channels, spatial=list(spatial))


RULE = Rule(
    code="PRM301", name="dense-on-large-spatial", severity="warning",
    summary="a dense layer whose input is (flattened from) a large spatial map",
    doc=("Connecting every position of a feature map to every unit makes one layer hold most "
         "of a network: VGG16's first classifier layer holds 102.8M of its 138.4M params. "
         "Global average pooling before the dense layer keeps the channels and drops the "
         "positions, at a fraction of the cost; the message gives that cost "
         "(C*units + units)."),
    options=(Option("min-spatial", int, 16, "smallest spatial size (H*W) that is reported"),),
    example=("vgg16.yaml:40:5: PRM301 [warning] dense 'fc6' reads a 512x7x7 map (spatial size 49) "
             "and holds 102,764,544 params, 74.3% of the model; after global average pooling it "
             "would hold 2,101,248"),
    check=_check,
)
