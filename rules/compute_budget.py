"""PRM102: a compute budget, in MACs (counting.md, "Compute and memory")."""

from __future__ import annotations

from paramlint.analysis.macs import compute as compute_macs
from paramlint.lint.rule import Option, Rule

from ._common import n


def _check(model, ctx):
    limit = ctx.options.get("max-macs")
    if limit is None:
        return
    macs = compute_macs(model)
    if macs.total > limit:
        at_least = "at least " if macs.lower_bound else ""
        yield ctx.finding(
            f"model does {at_least}{n(macs.total)} MACs ({n(macs.flops)} FLOPs) per input, over "
            f"the budget of {n(limit)} (by {n(macs.total - limit)})",
            macs=macs.total, limit=limit, lower_bound=macs.lower_bound)


RULE = Rule(
    code="PRM102", name="compute-budget", severity="error",
    summary="the model's MACs exceed max-macs",
    doc=("Gates a model's compute in CI, as PRM101 gates its size. MACs are multiply-"
         "accumulates for one input (a symbolic batch counts as 1), counted as torchvision's "
         "\"GFLOPS\" column and fvcore count them: convolutions, dense layers at every "
         "position, products of two activations (attention), recurrent layers times the "
         "sequence length; FLOPs are twice that. When some layer's MACs are unknown the total "
         "is a lower bound, and the rule still fires if that lower bound is over the budget. "
         "Unset by default, so the rule is off until configured."),
    options=(Option("max-macs", int, None, "budget for the model's MACs per input"),),
    example="[tool.paramlint.rules.compute-budget]\nmax-macs = 2_000_000_000",
    check=_check,
)
