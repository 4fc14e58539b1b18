"""PRM001, PRM002 and PRM003: what the loaders could not read, what the file
does not determine, and what paramlint does not model yet.

PRM002 and PRM003 are two causes a user acts on differently
(docs/unknowns.md): PRM002 is the model's (a symbolic dimension left
unbound: bind it or fix the export), PRM003 is paramlint's (an op or module
it does not model: nothing is wrong with the model). Figures of the layers
after an unmodelled one are unknown because of it, and are not reported
again as PRM002.
"""

from __future__ import annotations

from paramlint.analysis.counting import count
from paramlint.analysis.coverage import UNMODELLED, coverage
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
    covered = coverage(model)
    for diag in model.diagnostics:
        if diag.kind == UNMODELLED or diag.layer in covered.downstream:
            continue  # PRM003's: paramlint's gap, or a consequence of one
        layer = model.layer(diag.layer) if diag.layer else None
        yield ctx.finding(diag.message, layer=layer, location=diag.location)
    counts = count(model).layers
    macs = compute_macs(model)
    said: set[str] = {d.layer for d in model.diagnostics if d.layer}
    said.update(covered.downstream)  # unknown because of an unmodelled layer: PRM003 says so
    # Most models have no layer with a missing figure: one look at the
    # counts instead of a walk over every layer.
    gaps = any(c.missing for c in counts.values())
    for layer in model.layers if gaps else ():
        missing = counts[layer.name].missing
        if missing and layer.name not in said:
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


def _unmodelled(model, ctx):
    covered = coverage(model)
    if covered.unmodelled:
        after = len(covered.downstream)
        for diag in model.diagnostics:
            if diag.kind != UNMODELLED:
                continue
            layer = model.layer(diag.layer) if diag.layer else None
            yield ctx.finding(diag.message, layer=layer, location=diag.location,
                              layers_after=after)
    for owner, body in covered.repeated.items():
        layer = model.layer(owner)
        op = layer.source_op if layer is not None else "Loop"
        yield ctx.finding(
            f"{op} '{owner}': paramlint does not model how many times its body runs yet: the MACs "
            f"of {len(body):,} body layer{'' if len(body) == 1 else 's'} (first: '{body[0]}') are "
            f"unknown, and the model's MACs are a lower bound", layer=layer, body_layers=len(body))


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
        summary="a figure the file itself does not determine (a symbolic dimension left unbound)",
        doc=("The file leaves a size open that a figure needs: a symbolic dimension (a "
             "sequence length) left unbound, a shape that depends on runtime values, a weight "
             "whose shape cannot be read. Counting goes on without it; the figure is null in "
             "JSON and '?' in text, never a guess, and a total that misses it is marked "
             "partial ('at least'). This is the model's to fix (bind the size, or export with "
             "static shapes). An op or module paramlint does not model is PRM003, not this."),
        example=("model.onnx: PRM002 [warning] matmul 'attn/MatMul': MACs unknown: the contracted "
                 "dimension of its input [1, 'sequence', 64] is unknown; the model's MACs "
                 "(1,234,567) are a lower bound"),
        check=_unknown_layer,
    ),
    Rule(
        code="PRM003", name="unmodelled-layer", severity="info",
        summary="an op, module or layer type paramlint does not model yet",
        doc=("paramlint does not model this op, module or layer class yet (a custom-domain "
             "ONNX op, an ai.onnx.ml op, an Ultralytics module such as GhostConv, an unknown "
             "Keras layer). Its parameters, MACs and output size are unknown, never taken from "
             "its input, and so is every figure that depends on them: the totals are the known "
             "part, printed 'at least N (K layers unknown)', and marked partial in JSON "
             "(params_complete, macs_complete...). This is a gap of the tool, not a defect of "
             "the model, so it is info and does not fail the default gate; a budget (PRM101, "
             "PRM102) that a partial total cannot prove holds still fails. To gate on full "
             "coverage, run with --fail-on info (which fails on every info finding)."),
        example=("yolov8-ghost.yaml:22:5: PRM003 [info] model.1: Ultralytics module 'GhostConv' "
                 "is not modelled by paramlint yet: its parameters and MACs are unknown, and its "
                 "output has the 32 channels Ultralytics records for it and an unknown size; "
                 "every total that depends on it is partial"),
        check=_unmodelled,
    ),
]
