"""PRM202: an embedding table and an output projection that could be tied."""

from __future__ import annotations

from paramlint.analysis.by_op import layers_of
from paramlint.analysis.counting import count
from paramlint.lint.rule import Rule

from ._common import n


def _matrix(model, layer):
    for name in layer.weights:
        weight = model.weights[name]
        if len(weight.shape) == 2:
            return weight
    return None


def _check(model, ctx):
    counts = count(model)
    tables = [(layer, _matrix(model, layer)) for layer in layers_of(model, ("embedding",))]
    tables = [(layer, w) for layer, w in tables if w is not None]
    if not tables:
        return
    for layer in layers_of(model, ("dense",)):
        weight = _matrix(model, layer)
        if weight is None:
            continue
        for emb, table in tables:
            if table.name == weight.name or emb.name in counts.layers[layer.name].shared_with:
                continue
            if sorted(weight.shape) == sorted(table.shape) and min(table.shape) > 1:
                yield ctx.finding(
                    f"dense '{layer.label}' has a {n(weight.shape[0])}x{n(weight.shape[1])} weight "
                    f"the shape of the table of embedding '{emb.label}'; tying them would save "
                    f"{n(weight.elements)} params",
                    layer=layer, savings=weight.elements, twin=emb.name)
                break


RULE = Rule(
    code="PRM202", name="untied-twins", severity="info",
    summary="an embedding table and an output projection of the same shape, untied",
    doc=("Language models commonly tie the input embedding and the output projection "
         "(Press & Wolf, 2017): one table serves both, at no cost in quality for most models. "
         "This rule points out a pair that is not tied and what tying would save."),
    example="lm.onnx: PRM202 [info] dense 'lm_head' has a 32000x512 weight the shape of ...",
    check=_check,
)
