"""PRM302: one dense layer holds most of the model."""

from __future__ import annotations

from paramlint.counting import count
from paramlint.rule import Option, Rule

from ._common import borrowed, n


def _check(model, ctx):
    counts = count(model)
    total = counts.totals.params
    if not total:
        return
    limit = ctx.options["max-share"]
    # A language model's output projection tied to its embedding holds
    # nothing of its own.
    lent = borrowed(model)
    for layer in model.layers:
        if layer.op != "dense":
            continue
        params = counts.layers[layer.name].params - lent.get(layer.name, 0)
        share = params / total
        if share >= limit:
            yield ctx.finding(
                f"dense '{layer.name}' holds {n(params)} of the model's {n(total)} params "
                f"({share:.1%}, limit {limit:.0%})",
                layer=layer, params=params, share=round(share, 6))


RULE = Rule(
    code="PRM302", name="dense-dominates", severity="warning",
    summary="one dense layer holds at least max-share of the model's params",
    doc=("A model whose parameters sit mostly in one fully connected layer is usually "
         "spending them where they help least; see also PRM301."),
    options=(Option("max-share", float, 0.5, "share of the model's params (0..1) that is reported"),),
    example="alexnet.yaml:21:5: PRM302 [warning] dense 'fc6' holds 37,752,832 of the model's ...",
    check=_check,
)
