"""PRM504: dropout feeding a normalization that learns running statistics."""

from __future__ import annotations

from paramlint.analysis.by_op import layers_of
from paramlint.analysis.graph import graph
from paramlint.analysis.ops import DROPOUT, is_dropout, keeps_running_stats
from paramlint.lint.rule import Rule


def _check(model, ctx):
    g = graph(model)
    for drop in layers_of(model, DROPOUT):
        for norm, path in g.downstream(drop):
            if not keeps_running_stats(norm) or any(is_dropout(p) for p in path):
                continue  # a later dropout on the path is the one reported
            via = f" (through {', '.join(repr(p.name) for p in path)})" if path else ""
            yield ctx.finding(
                f"dropout '{drop.label}' feeds {norm.op} '{norm.label}'{via}: the norm's running "
                f"statistics are learnt on dropped-out values, whose variance differs at "
                f"inference; move the dropout after the norm (or after the last one)",
                layer=drop, norm=norm.name)


RULE = Rule(
    code="PRM504", name="dropout-before-norm", severity="warning",
    summary="dropout feeding a normalization, which then learns statistics dropout skews",
    doc=("Dropout scales the values it keeps by 1/(1-p) in training and does nothing at "
         "inference, so the variance a following batch norm sees differs between the two; the "
         "running variance it learns in training is then wrong at inference, and accuracy "
         "drops (the \"variance shift\" of Li, Chen, Hu, Yang, \"Understanding the Disharmony "
         "between Dropout and Batch Normalization by Variance Shift\", CVPR 2019). Put dropout "
         "after the last batch norm. Only norms with running statistics (batch norm) are "
         "concerned; reshapes, transposes and identity between do not hide the pattern. "
         "Eval-mode ONNX exports drop Dropout nodes, so this shows in YAML and in training-mode "
         "or hand-built graphs. Deliberate in some published designs (the wide residual "
         "networks of Zagoruyko and Komodakis put dropout between the convolutions of a "
         "BN-ReLU-conv block); noqa it there. No figure: the cost is accuracy, not parameters. "
         "Source: NeuraLint (Nikanjam, Ben Braiek, Morovati, Khomh, ACM TOSEM 31(1), 2022); "
         "Nikanjam and Khomh, \"Design Smells in Deep Learning Programs\", 2021. See "
         "docs/rules-design.md."),
    example=("net.yaml:4:5: PRM504 [warning] dropout 'drop' feeds batchnorm 'bn': the norm's running "
             "statistics are learnt on dropped-out values, whose variance differs at inference; "
             "move the dropout after the norm (or after the last one)"),
    check=_check,
)
