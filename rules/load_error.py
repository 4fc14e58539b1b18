"""PRM001 and PRM002: what the loaders could not read or determine."""

from __future__ import annotations

from paramlint.counting import count
from paramlint.rule import Rule


def _load_error(model, ctx):
    if model.error is not None:
        extra = {"internal_error": True} if model.error.internal else {}
        yield ctx.finding(model.error.message, location=model.error.location, **extra)


def _unknown_layer(model, ctx):
    for diag in model.diagnostics:
        layer = model.layer(diag.layer) if diag.layer else None
        yield ctx.finding(diag.message, layer=layer, location=diag.location)
    counts = count(model).layers
    for layer in model.layers:
        missing = counts[layer.name].missing
        if missing:
            yield ctx.finding(f"{layer.op} '{layer.name}': sharing figures left out: {missing}",
                              layer=layer)


RULES = [
    Rule(
        code="PRM001", name="load-error", severity="error",
        summary="the file cannot be read, parsed or validated",
        doc=("A model file that paramlint cannot load produces no counts. The message says "
             "where (file, and line and column for YAML) and why. The other files in the run "
             "are still analysed, and the run exits 1."),
        example="broken.yaml:14:5: PRM001 [error] conv2d 'conv3': field 'filters' must be a positive integer, got '256x'",
        check=_load_error, on_failed=True,
    ),
    Rule(
        code="PRM002", name="unknown-layer", severity="warning",
        summary="a layer whose parameters or output shape cannot be determined",
        doc=("An unsupported operator, or a dimension that is unknown, keeps a figure from being "
             "computed. Counting goes on without it; the figure is null in JSON and '?' in text, "
             "never a guess."),
        example="model.onnx: PRM002 [warning] node 12 'MyOp_12' (custom.MyOp): output shape unknown",
        check=_unknown_layer,
    ),
]
