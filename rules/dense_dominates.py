"""PRM302: one dense layer holds most of a network that also has convolutions or attention."""

from __future__ import annotations

from paramlint.analysis.by_op import by_op, layers_of
from paramlint.analysis.counting import count
from paramlint.lint.rule import Option, Rule

from ._common import borrowed, n

#: IR ops whose parameters are shared over positions (convolutions) or that
#: relate positions to each other (attention): the feature extractors a
#: dominating dense layer crowds out.
_ATTENTION_OPS = frozenset({"attention", "mla", "multihead_attention", "cross_attention"})
#: A product of two activations (no weight): attention's Q*K^T and A*V.
_PRODUCT_OPS = frozenset({"matmul", "einsum", "fusedmatmul"})


def has_feature_extractor(model) -> bool:
    """Does the model have a convolution or attention, besides its dense layers?"""
    layers = model.layers
    for op, found in by_op(model).items():
        if op.startswith(("conv", "depthwise_conv", "separable_conv", "locally_connected")):
            return True
        if op in _ATTENTION_OPS or "attention" in op:
            return True
        if op in _PRODUCT_OPS and any(not layers[i].weights for i in found):
            return True
    return False


def _check(model, ctx):
    counts = count(model)
    total = counts.totals.params
    if not total or total < ctx.options["min-params"]:
        return  # LeNet-5-sized: nothing worth a warning however it is spread
    if not has_feature_extractor(model):
        return  # a plain MLP: its dense layers are the model, by design
    limit = ctx.options["max-share"]
    # A language model's output projection tied to its embedding holds
    # nothing of its own.
    lent = borrowed(model)
    for layer in layers_of(model, ("dense",)):
        params = counts.layers[layer.name].params - lent.get(layer.name, 0)
        share = params / total
        if share >= limit:
            yield ctx.finding(
                f"dense '{layer.label}' holds {n(params)} of the model's {n(total)} params "
                f"({share:.1%}, limit {limit:.0%})",
                layer=layer, params=params, share=round(share, 6))


RULE = Rule(
    code="PRM302", name="dense-dominates", severity="warning",
    summary="one dense layer holds at least max-share of a network that also has "
            "convolutions or attention",
    doc=("A network built around convolutions or attention, whose parameters nevertheless "
         "sit mostly in one fully connected layer, spends them where they help least: the "
         "shared feature extractor is a small part of the model and the dense layer is "
         "what grows, overfits and fills memory (AlexNet's fc6 holds 60.5% of it, VGG16's "
         "74.3%; a language model's untied output projection over a large vocabulary can "
         "hold more than all its attention blocks). The rule stays silent where the "
         "pattern is the design: a plain MLP (784-256-10 has nothing but dense layers, so "
         "one of them always dominates) and networks below min-params (LeNet-5's first "
         "dense layer holds 78% of 61,706 parameters, which costs nothing). When the "
         "dense layer reads a flattened spatial map, PRM301 reports the same layer with "
         "what global pooling would cost."),
    options=(Option("max-share", float, 0.5, "share of the model's params (0..1) that is reported"),
             Option("min-params", int, 1_000_000,
                    "models with fewer params are not checked (LeNet-5-sized networks)")),
    example="alexnet.yaml:19:5: PRM302 [warning] dense 'fc6' holds 37,752,832 of the model's "
            "62,378,344 params (60.5%, limit 50%)",
    check=_check,
)
