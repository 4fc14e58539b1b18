"""PRM503: an activation applied to an activation's output."""

from __future__ import annotations

from paramlint.analysis.by_op import layers_of
from paramlint.analysis.graph import graph
from paramlint.analysis.ops import ACTIVATIONS, PLUMBING, is_activation, is_non_negative
from paramlint.lint.rule import Rule

#: Element-wise products: an activation whose output multiplies the first
#: activation's own input is one composite activation (Mish is
#: x * tanh(softplus(x)), exported so before opset 18), not two in a row.
_PRODUCTS = frozenset({"mul", "multiply"})
_RELU = frozenset({"relu"})


def _source(g, tensor: str) -> str:
    """``tensor`` traced back through plumbing to the value it carries."""
    for _ in range(64):
        producer = g.producers.get(tensor)
        if producer is None or producer.op not in PLUMBING or not producer.inputs:
            return tensor
        tensor = producer.inputs[0]
    return tensor


def _gates_own_input(g, first, second) -> bool:
    if not first.inputs:
        return False
    x = _source(g, first.inputs[0])
    for user, _ in g.downstream(second):
        if user.op in _PRODUCTS and any(_source(g, t) == x for t in user.inputs):
            return True
    return False


def _why(first, second) -> str:
    if second.op in _RELU and is_non_negative(first):
        return f"{first.op}'s output is never negative, so the {second.op} does nothing"
    return "the value is squashed twice; one of them was probably meant elsewhere"


def _check(model, ctx):
    g = graph(model)
    for first in layers_of(model, ACTIVATIONS):
        if not is_activation(first) or g.fan_out(first) != 1:
            continue  # a shared activated value: the second starts a block of its own
        for second, path in g.downstream(first):
            if not is_activation(second) or _gates_own_input(g, first, second):
                continue
            via = f" (through {', '.join(repr(p.name) for p in path)})" if path else ""
            yield ctx.finding(
                f"{second.op} '{second.label}' is applied to the output of {first.op} "
                f"'{first.label}'{via}: {_why(first, second)}",
                layer=second, first=first.name)


RULE = Rule(
    code="PRM503", name="double-activation", severity="warning",
    summary="an activation applied to an activation's output",
    doc=("Two activations in a row (ReLU after ReLU, ReLU after ReLU6 or a sigmoid, a tanh "
         "after a ReLU) are almost always an edit gone wrong: a block that already ends in an "
         "activation followed by one that starts with one, or an activation left behind when "
         "a layer was removed. A ReLU of a non-negative value is the identity, and any other "
         "pair squashes the signal twice. Reshapes, transposes, dropout and identity between "
         "them do not hide the pattern. When the first activation's output is also read "
         "elsewhere (a residual branch), the second starts a block written to stand alone and is not reported: "
         "timm's aligned Xception applies its blocks' leading ReLU to the stem's ReLU output, "
         "which its shortcut reads too. Composite activations exported as pieces are not "
         "reported: an activation whose output multiplies the first one's own input (Mish, "
         "x*tanh(softplus(x)), as the TorchScript exporter writes it before opset 18). A clip "
         "is an activation only when it clamps at 0 (ReLU6); a clamp of probabilities after a "
         "sigmoid is not reported. No figure: the cost is a wasted op, not parameters. "
         "Deliberate in a hand-made composite activation that is not a product (then noqa "
         "it). Source: NeuraLint (Nikanjam, Ben Braiek, Morovati, Khomh, ACM TOSEM 31(1), "
         "2022); Nikanjam and Khomh, \"Design Smells in Deep Learning Programs\", 2021. See "
         "docs/rules-design.md."),
    example=("net.yaml:6:5: PRM503 [warning] relu 'relu2' is applied to the output of relu 'relu1': "
             "relu's output is never negative, so the relu does nothing"),
    check=_check,
)
