"""PRM101: a parameter budget for the model and for each layer.

On a partial count (a layer whose parameters paramlint does not know,
PRM003 or PRM002) the known part is a lower bound: over the budget it
already fails; under it, the rule cannot prove the budget holds and says
so in a finding of its own, never a silent pass (docs/unknowns.md).
"""

from __future__ import annotations

from paramlint.analysis.counting import count
from paramlint.lint.rule import Option, Rule

from ._common import n


def _first(names: dict[str, str]) -> str:
    name = next(iter(names))
    return f"{len(names):,} layer{'' if len(names) == 1 else 's'} (first: '{name}': {names[name]})"


def _check(model, ctx):
    counts = count(model)
    unknown = counts.params_unknown
    limit = ctx.options.get("max-params")
    params = counts.totals.params
    if limit is not None and params > limit:
        at_least = "at least " if unknown else ""
        yield ctx.finding(
            f"model holds {at_least}{n(params)} params, over the budget of {n(limit)} "
            f"(by {at_least}{n(params - limit)})",
            params=params, limit=limit, lower_bound=bool(unknown))
    elif limit is not None and unknown:
        yield ctx.finding(
            f"cannot prove the model is within the budget of {n(limit)} params: it holds at least "
            f"{n(params)}, and the parameters of {_first(unknown)} are unknown",
            params=params, limit=limit, lower_bound=True, unproven=True)
    layer_limit = ctx.options.get("max-layer-params")
    if layer_limit is not None:
        for layer in model.layers:
            params = counts.layers[layer.name].params
            if params > layer_limit:
                at_least = "at least " if layer.name in unknown else ""
                yield ctx.finding(
                    f"{layer.op} '{layer.label}' holds {at_least}{n(params)} params, over the per-layer "
                    f"budget of {n(layer_limit)}", layer=layer, params=params, limit=layer_limit)
        if unknown and not any(counts.layers[name].params > layer_limit for name in unknown):
            yield ctx.finding(
                f"cannot prove every layer is within the per-layer budget of {n(layer_limit)} "
                f"params: the parameters of {_first(unknown)} are unknown",
                limit=layer_limit, unproven=True)


RULE = Rule(
    code="PRM101", name="param-budget", severity="error",
    summary="the model's params exceed max-params, or a layer's exceed max-layer-params",
    doc=("Gates a model's size in CI. Both budgets are unset by default, so the rule is off "
         "until configured (or given --max-params / --max-layer-params). When some layer's "
         "parameters are unknown (PRM002, PRM003), the count is a lower bound: over the budget "
         "the rule fires as usual; under it, the rule fires with 'cannot prove the model is "
         "within the budget', because a gate that cannot check must not pass."),
    options=(
        Option("max-params", int, None, "budget for the model's unique params"),
        Option("max-layer-params", int, None, "budget for any single layer's params"),
    ),
    example="[tool.paramlint.rules.param-budget]\nmax-params = 25_000_000",
    check=_check,
)
