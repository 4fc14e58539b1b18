"""PRM505: a kernel or pooling window larger than its input, whose outer
weights only ever read padding."""

from __future__ import annotations

from paramlint.analysis.by_op import layers_of
from paramlint.analysis.counting import count
from paramlint.analysis.ops import CONVS, POOLS, window
from paramlint.lint.rule import Rule

from ._common import borrowed, dims, n


def _check(model, ctx):
    counts = count(model).layers
    lent = borrowed(model)
    for layer in layers_of(model, CONVS | POOLS):
        w = window(layer, model.batch_dim)
        if w is None or not any(e > size for e, size in zip(w.extent, w.input)):
            continue
        dead = w.dead_taps
        if dead is None or dead <= 0:
            continue  # larger than the input, but every tap reads it somewhere
        what = (f"{layer.op} '{layer.label}' has a {dims(w.extent)} window on a {dims(w.input)} "
                f"input (padded {dims(w.padded)})")
        if layer.op in CONVS:
            if lent.get(layer.name):
                continue
            per_tap = _weights_per_tap(model, layer, w.taps)
            if per_tap is None:
                continue
            wasted = dead * per_tap
            total = w.taps * per_tap
            yield ctx.finding(
                f"{what}: {dead} of its {w.taps} kernel taps only ever read padding, so "
                f"{n(wasted)} of its {n(total)} weights never see the input; "
                f"a smaller kernel or a larger input would not waste them",
                layer=layer, dead_weights=wasted, kernel_weights=total, dead_taps=dead,
                taps=w.taps, params=counts[layer.name].params)
        else:
            yield ctx.finding(
                f"{what}: {dead} of its {w.taps} window positions only ever read padding; "
                f"a smaller window would compute the same from the input",
                layer=layer, dead_weights=0, dead_taps=dead, taps=w.taps)


def _weights_per_tap(model, layer, taps: int) -> int | None:
    """Weights per kernel position: the kernel's elements over its taps."""
    kernel_rank = 2 + len(layer.attrs.get("kernel") or ())
    for name in layer.weights:
        weight = model.weights.get(name)
        if weight is not None and len(weight.shape) == kernel_rank and weight.elements % taps == 0:
            return weight.elements // taps
    return None


RULE = Rule(
    code="PRM505", name="window-exceeds-input", severity="warning",
    summary="a kernel or pooling window larger than its (padded) input",
    doc=("A convolution kernel (or pooling window) that spans more than its input, made to "
         "fit by padding, has taps that read padding at every output position: their weights "
         "are trained on zeros and never see the data. It happens when an architecture meant "
         "for 224x224 images meets small inputs (a ResNet's last 3x3 convolutions on a 1x1 map "
         "from 32x32 images: 8 of 9 taps dead), or with a long 1-D kernel on short sequences. "
         "The figure is those weights (dead taps x input channels per group x filters), and "
         "for a pool the window positions. A window larger than its input is reported only "
         "when some tap never reads the input. Deliberate when the same model also runs on "
         "larger inputs than the shape it was written or exported with (a sequence model's "
         "long positional convolution, exported on a short example); then noqa it, or export "
         "with that axis dynamic. Source: NeuraLint (Nikanjam, Ben Braiek, Morovati, Khomh, "
         "ACM TOSEM 31(1), 2022); Nikanjam and Khomh, \"Design Smells in Deep Learning "
         "Programs\", 2021. See docs/rules-design.md."),
    example=("net.yaml:9:5: PRM505 [warning] conv2d 'conv' has a 7x7 window on a 3x3 input (padded "
             "9x9): 24 of its 49 kernel taps only ever read padding, so 1,536 of its 3,136 weights "
             "never see the input; a smaller kernel or a larger input would not waste them"),
    check=_check,
)
