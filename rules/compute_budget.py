"""PRM102: a compute budget, in MACs (counting.md, "Compute and memory").

When some layer's MACs are unknown, the total is a lower bound: over the
budget it fails; under it, the rule cannot prove the budget holds and says
so in a finding of its own, never a silent pass (docs/unknowns.md).
"""

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
            f"model does {at_least}{n(macs.total)} MACs ({at_least}{n(macs.flops)} FLOPs) per input, "
            f"over the budget of {n(limit)} (by {at_least}{n(macs.total - limit)})",
            macs=macs.total, limit=limit, lower_bound=macs.lower_bound)
    elif macs.lower_bound:
        name = next(iter(macs.unknown))
        count = len(macs.unknown)
        yield ctx.finding(
            f"cannot prove the model is within the budget of {n(limit)} MACs: it does at least "
            f"{n(macs.total)}, and the MACs of {count:,} layer{'' if count == 1 else 's'} are "
            f"unknown (first: '{name}': {macs.unknown[name]})",
            macs=macs.total, limit=limit, lower_bound=True, unproven=True)


RULE = Rule(
    code="PRM102", name="compute-budget", severity="error",
    summary="the model's MACs exceed max-macs",
    doc=("Gates a model's compute in CI, as PRM101 gates its size. MACs are multiply-"
         "accumulates for one input (a symbolic batch counts as 1), counted as torchvision's "
         "\"GFLOPS\" column and fvcore count them: convolutions, dense layers at every "
         "position, products of two activations (attention), recurrent layers times the "
         "sequence length; FLOPs are twice that. When some layer's MACs are unknown the total "
         "is a lower bound: the rule fires if that lower bound is over the budget, and "
         "otherwise fires with 'cannot prove the model is within the budget', because a gate "
         "that cannot check must not pass. Unset by default, so the rule is off until "
         "configured."),
    options=(Option("max-macs", int, None, "budget for the model's MACs per input"),),
    example="[tool.paramlint.rules.compute-budget]\nmax-macs = 2_000_000_000",
    check=_check,
)
