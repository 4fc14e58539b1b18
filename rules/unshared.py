"""PRM201: layers that repeat weights a shared layer would hold once.

Two cases: a locally connected layer (a convolution without sharing), and
unrolled twins: the same layer applied to different model inputs with its
own copy of the weights, as an untied Siamese tower is.
"""

from __future__ import annotations

from math import prod

from paramlint.analysis.by_op import layers_of
from paramlint.analysis.counting import count
from paramlint.lint.rule import Rule

from ._common import n

LOCAL_OPS = frozenset({"locally_connected1d", "locally_connected2d"})


def _check(model, ctx):
    yield from _locally_connected(model, ctx)
    yield from _twins(model, ctx)


def _locally_connected(model, ctx):
    counts = count(model)
    for layer in layers_of(model, LOCAL_OPS):
        params = counts.layers[layer.name].params
        out = layer.output_shape
        spatial = tuple(out[2:] if model.batch_dim else out[1:]) if out else ()
        if not spatial or not all(isinstance(d, int) and d > 0 for d in spatial):
            continue
        positions = prod(spatial)
        shared = params // positions
        yield ctx.finding(
            f"{layer.op} '{layer.label}' holds {n(params)} params, its own weights at each of "
            f"{n(positions)} output positions; a convolution with the same kernel would hold "
            f"{n(shared)} (saves {n(params - shared)})",
            layer=layer, params=params, shared=shared, savings=params - shared)


def _sources(model) -> dict[str, int]:
    """For each layer, the model inputs it depends on (one topological pass),
    as a bit set: bit i for the i-th distinct input name. Ints, not
    frozensets: a union per layer of a 50,000-layer export is one ``|``."""
    names = dict.fromkeys(t.name for t in model.inputs)
    by_tensor: dict[str, int] = {name: 1 << i for i, name in enumerate(names)}
    out: dict[str, int] = {}
    get = by_tensor.get
    for layer in model.layers:
        ins = layer.inputs
        if len(ins) == 1:  # most layers
            deps = get(ins[0], 0)
        else:
            deps = 0
            for tensor in ins:
                deps |= get(tensor, 0)
        out[layer.name] = deps
        for tensor in layer.outputs:
            by_tensor[tensor] = deps
    return out


def _twins(model, ctx):
    """Untied layers with identical weights' shapes on disjoint model inputs."""
    if len(model.inputs) < 2:
        return
    counts = count(model)
    sources = _sources(model)
    first: dict[tuple, object] = {}
    for layer in model.layers:
        if not layer.weights or counts.layers[layer.name].shared_with or not sources[layer.name]:
            continue
        signature = (layer.op, layer.input_shape,
                     tuple(model.weights[w].shape for w in layer.weights))
        twin = first.get(signature)
        if twin is None:
            first[signature] = layer
            continue
        if not sources[twin.name] & sources[layer.name]:
            params = counts.layers[layer.name].params
            yield ctx.finding(
                f"{layer.op} '{layer.label}' has its own copy of weights shaped like those of "
                f"'{twin.label}', applied to another input; sharing them would save {n(params)} params",
                layer=layer, twin=twin.name, savings=params)


RULE = Rule(
    code="PRM201", name="unshared-layer", severity="info",
    summary="a locally connected layer (or unrolled twin layers) that a shared layer would replace",
    doc=("A locally connected layer has the connectivity of a convolution but its own weights "
         "at every output position. Unless position-specific filters are the point, a "
         "convolution learns the same features with a fraction of the parameters. Likewise, "
         "the same layer applied to two model inputs with two copies of its weights (an "
         "untied Siamese tower) usually wants one shared copy (YAML `share`)."),
    example="lc.yaml:6:5: PRM201 [info] locally_connected2d 'lc1' holds 1,064,960 params, ...",
    check=_check,
)
