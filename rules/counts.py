"""The per-layer counts and sharing figures, contributed as report metrics."""

from __future__ import annotations

from paramlint.analysis.counting import count
from paramlint.lint.rule import Rule


def _metrics(model, ctx):
    return {"counts": count(model)}


def _check(model, ctx):
    return ()


RULE = Rule(
    code="PRM000", name="param-counts", severity="info",
    summary="per-layer parameter counts, totals and what parameter sharing saves (report content)",
    doc=("Counts every layer's parameters, trainable and not, the model's totals, ties and merged "
         "constants, and for each convolution and recurrent layer what sharing saves against the "
         "same layer unshared (locally connected) and fully connected, as counting.md defines. "
         "It reports no findings; `paramlint report` shows its figures."),
    example="conv1  conv2d  [96, 55, 55]  34,944  105,705,600  3025",
    check=_check, metrics=_metrics,
)
