"""PRM401: weight tensors stored in the model that no layer reads."""

from __future__ import annotations

from paramlint.analysis.counting import count
from paramlint.lint.rule import Rule

from ._common import dims, n


def _check(model, ctx):
    for tensor in count(model).unused:
        yield ctx.finding(
            f"weight '{tensor.name}' ({dims(tensor.shape)}, {n(tensor.elements)} elements) "
            f"is stored but no layer reads it",
            tensor=tensor.name, elements=tensor.elements)


RULE = Rule(
    code="PRM401", name="unused-weights", severity="warning",
    summary="weight tensors that no layer reads",
    doc=("Stored weights that nothing reads cost disk and download time and usually mean an "
         "export picked up a leftover (an old head, a tensor from training). They are not "
         "counted in params; the report lists them under unused_params."),
    example="model.onnx: PRM401 [warning] weight 'old_head.weight' (1000x512, 512,000 elements) ...",
    check=_check,
)
