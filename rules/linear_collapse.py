"""PRM502: two weight layers with nothing non-linear between them, which
compute one linear map."""

from __future__ import annotations

from math import prod

from paramlint.analysis.axes import CHANNEL, contracted
from paramlint.analysis.by_op import layers_of
from paramlint.analysis.counting import count
from paramlint.analysis.graph import graph
from paramlint.analysis.ops import CONVS, PLUMBING, WEIGHT_OPS, feature_axis, is_no_op, output_channels, window
from paramlint.lint.rule import Rule

from ._common import borrowed, n


def _rank(layer) -> int | None:
    """Spatial rank of a convolution (conv1d: 1, depthwise_conv2d: 2)."""
    kernel = layer.attrs.get("kernel")
    return len(kernel) if isinstance(kernel, (list, tuple)) else None


def _keeps_features(first, batch_dim):
    """A predicate: does a plumbing layer leave ``first``'s feature axis (a
    dense layer's last axis, a convolution's channels and positions) where
    the next weight layer reads it?"""
    conv = first.op in CONVS

    def keeps(layer) -> bool:
        if layer.op not in PLUMBING:
            return False
        if conv or is_no_op(layer):
            return is_no_op(layer)
        src, dst = layer.input_shape, layer.output_shape
        if src is None or dst is None:
            return False
        if layer.op == "transpose":
            perm = layer.attrs.get("perm")
            return perm is not None and len(perm) == len(src) and perm[-1] == len(src) - 1
        return len(src) > 0 and len(dst) > 0 and src[-1] == dst[-1] and isinstance(src[-1], int)

    return keeps


def _dense_pair(model, a, b):
    """(in, middle, out, single-layer params) of dense a feeding dense b."""
    fa = a.attrs.get("in_features")
    if not isinstance(fa, int):
        shape = a.input_shape
        fa = shape[-1] if shape else None
    mid, out = output_channels(a, model.batch_dim), output_channels(b, model.batch_dim)
    shape = b.input_shape
    fb = b.attrs.get("in_features") if isinstance(b.attrs.get("in_features"), int) else (
        shape[-1] if shape else None)
    if not all(isinstance(v, int) for v in (fa, mid, out)) or fb != mid:
        return None
    axis = contracted(model, b)  # b must contract a's units, not positions of equal size
    if axis is None or axis.kinds != {CHANNEL} or axis.channels != mid:
        return None
    bias = 1 if (a.attrs.get("bias") or b.attrs.get("bias")) else 0
    return fa, mid, out, fa * out + bias * out


def _conv_pair(model, a, b):
    """(in, middle, out, single-layer params) of convolution a feeding b:
    one convolution spanning both windows (``ext_a + (ext_b - 1) * stride_a``),
    grouped only when both are grouped alike."""
    if _rank(a) is None or _rank(a) != _rank(b):
        return None
    wa, wb = window(a, model.batch_dim), window(b, model.batch_dim)
    axis = feature_axis(a, model.batch_dim)
    shape = a.input_shape
    if wa is None or wb is None or axis is None or shape is None:
        return None
    cin, mid, out = shape[axis], output_channels(a, model.batch_dim), output_channels(b, model.batch_dim)
    ga, gb = a.attrs.get("groups", 1), b.attrs.get("groups", 1)
    if not all(isinstance(v, int) for v in (cin, mid, out, ga, gb)):
        return None
    groups = ga if ga == gb else 1
    if cin % groups:
        return None
    extent = [ea + (eb - 1) * s for ea, eb, s in zip(wa.extent, wb.extent, wa.strides)]
    bias = 1 if (a.attrs.get("bias") or b.attrs.get("bias")) else 0
    return cin, mid, out, out * (cin // groups) * prod(extent) + bias * out


def _check(model, ctx):
    g = graph(model)
    counts = count(model).layers
    lent = borrowed(model)
    for a in layers_of(model, WEIGHT_OPS):
        if lent.get(a.name):
            continue
        b, path = g.chain(a, _keeps_features(a, model.batch_dim))
        if b is None or lent.get(b.name) or len(b.inputs) != 1:
            continue
        if a.op == "dense" and b.op == "dense":
            pair = _dense_pair(model, a, b)
        elif a.op in CONVS and b.op in CONVS:
            pair = _conv_pair(model, a, b)
        else:
            continue
        if pair is None:
            continue
        cin, mid, out, single = pair
        if mid < cin and mid < out:
            continue  # a bottleneck: a deliberate low-rank factorisation
        both = counts[a.name].params + counts[b.name].params
        if single > both:
            continue
        via = f" (only {', '.join(repr(p.name) for p in path)} between)" if path else ""
        yield ctx.finding(
            f"{b.op} '{b.label}' reads {a.op} '{a.label}' with nothing non-linear between{via}: "
            f"the two compute one linear map {n(cin)}->{n(mid)}->{n(out)}, which a single "
            f"{n(cin)}->{n(out)} layer holds in {n(single)} params instead of {n(both)}; "
            f"add the missing activation, or merge them",
            layer=b, first=a.name, single_params=single, pair_params=both, savings=both - single)


RULE = Rule(
    code="PRM502", name="linear-collapse", severity="warning",
    summary="two weight layers with no non-linearity between, which collapse into one",
    doc=("Two dense layers (or convolutions) with nothing non-linear between them (only "
         "reshapes, transposes, dropout, identity) compute one linear map: the second "
         "multiplies the first's weights, so the pair is no more expressive than a single "
         "layer, usually a forgotten activation (onnx/onnx#1677: \"two linear dense "
         "transformations in a row ... forgot to include an activation\"). It is reported "
         "only when that single layer would hold no more parameters than the two (the figure "
         "is both counts); a middle narrower than both sides is a deliberate low-rank "
         "factorisation (MobileNetV2's linear bottlenecks, LoRA-style adapters) and is not "
         "reported. Normalizations, attention products, gates, residual additions, pooling "
         "and any use of the middle value elsewhere break the chain: a batch norm between two "
         "convolutions is affine at inference but trains as its own step and is the usual "
         "conv-BN unit, so it is not reported (eval-mode TorchScript exports fold it into the "
         "convolution, where the pair does collapse). Convolutions combine into one spanning "
         "both windows (edges aside). Source: NeuraLint (Nikanjam, Ben Braiek, Morovati, "
         "Khomh, ACM TOSEM 31(1), 2022); Nikanjam and Khomh, \"Design Smells in Deep Learning "
         "Programs\", 2021; onnx/onnx#1677. See docs/rules-design.md."),
    example=("mlp.yaml:5:5: PRM502 [warning] dense 'fc2' reads dense 'fc1' with nothing non-linear "
             "between: the two compute one linear map 784->512->10, which a single 784->10 layer "
             "holds in 7,850 params instead of 407,050; add the missing activation, or merge them"),
    check=_check,
)
