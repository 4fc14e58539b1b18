"""PRM001 and PRM002: what the loaders could not read or determine."""

from __future__ import annotations

from paramlint.analysis.counting import count
from paramlint.analysis.macs import compute as compute_macs
from paramlint.lint.rule import Rule

#: Up to this many layers with unknown MACs get a finding each; more get
#: one finding that counts them (a transformer exported with a symbolic
#: sequence length would otherwise get one per projection).
MACS_FINDINGS = 3


def _load_error(model, ctx):
    if model.error is not None:
        extra = {"internal_error": True} if model.error.internal else {}
        yield ctx.finding(model.error.message, location=model.error.location, **extra)


def _unknown_layer(model, ctx):
    for diag in model.diagnostics:
        layer = model.layer(diag.layer) if diag.layer else None
        yield ctx.finding(diag.message, layer=layer, location=diag.location)
    counts = count(model).layers
    macs = compute_macs(model)
    said: set[str] = {d.layer for d in model.diagnostics if d.layer}
    # Most models have no layer with a missing figure: one look at the
    # counts instead of a walk over every layer.
    gaps = any(c.missing for c in counts.values())
    for layer in model.layers if gaps else ():
        missing = counts[layer.name].missing
        if missing:
            what = "sharing figures and MACs" if layer.name in macs.unknown else "sharing figures"
            yield ctx.finding(f"{layer.op} '{layer.label}': {what} left out: {missing}", layer=layer)
            said.add(layer.name)
    yield from _unknown_macs(model, ctx, macs, said)


def _unknown_macs(model, ctx, macs, named):
    """Layers whose MACs cannot be computed: the total is a lower bound."""
    if not macs.unknown:
        return
    unknown = [(name, why) for name, why in macs.unknown.items() if name not in named]
    total = f"{macs.total:,}"
    if len(unknown) <= MACS_FINDINGS:
        for name, why in unknown:
            layer = model.layer(name)
            yield ctx.finding(f"{layer.op} '{name}': MACs unknown: {why}; the model's MACs "
                              f"({total}) are a lower bound", layer=layer)
        return
    name, why = unknown[0]
    layer = model.layer(name)
    yield ctx.finding(f"MACs unknown for {len(unknown)} layers (first: {layer.op} '{name}': {why}); "
                      f"the model's MACs ({total}) are a lower bound", layer=layer,
                      unknown_macs_layers=len(unknown))


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
        summary="a layer whose parameters, output shape or MACs cannot be determined",
        doc=("An unsupported operator, or a dimension that is unknown, keeps a figure from being "
             "computed. Counting goes on without it; the figure is null in JSON and '?' in text, "
             "never a guess."),
        example="model.onnx: PRM002 [warning] node 12 'MyOp_12' (custom.MyOp): output shape unknown",
        check=_unknown_layer,
    ),
]
