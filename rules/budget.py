"""PRM101: a parameter budget for the model and for each layer."""

from __future__ import annotations

from paramlint.analysis.counting import count
from paramlint.lint.rule import Option, Rule

from ._common import n


def _check(model, ctx):
    counts = count(model)
    limit = ctx.options.get("max-params")
    if limit is not None and counts.totals.params > limit:
        yield ctx.finding(
            f"model holds {n(counts.totals.params)} params, over the budget of {n(limit)} "
            f"(by {n(counts.totals.params - limit)})",
            params=counts.totals.params, limit=limit)
    layer_limit = ctx.options.get("max-layer-params")
    if layer_limit is not None:
        for layer in model.layers:
            params = counts.layers[layer.name].params
            if params > layer_limit:
                yield ctx.finding(
                    f"{layer.op} '{layer.label}' holds {n(params)} params, over the per-layer "
                    f"budget of {n(layer_limit)}", layer=layer, params=params, limit=layer_limit)


RULE = Rule(
    code="PRM101", name="param-budget", severity="error",
    summary="the model's params exceed max-params, or a layer's exceed max-layer-params",
    doc=("Gates a model's size in CI. Both budgets are unset by default, so the rule is off "
         "until configured (or given --max-params / --max-layer-params)."),
    options=(
        Option("max-params", int, None, "budget for the model's unique params"),
        Option("max-layer-params", int, None, "budget for any single layer's params"),
    ),
    example="[tool.paramlint.rules.param-budget]\nmax-params = 25_000_000",
    check=_check,
)
