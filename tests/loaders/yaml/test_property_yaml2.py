"""Random format 2 files: transformer layers with random, sometimes invalid,
fields (experts inside experts, attention on the wrong rank, ties between
types) load with consistent totals or are refused with a LoadError, never
a traceback."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paramlint.analysis.counting import count
from paramlint.loaders.yaml.fields import REQUIRED
from paramlint.loaders.yaml.types import FORMAT2_ONLY, TYPES
from hostile_helpers import load_both

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

BAD = st.sampled_from([-1, 0, 10**30, "x", None, [], {}, 1.5, True, "fused", [0]])
SMALL = st.integers(1, 8)
NAMES = ["a", "b", "emb", "head", "@input", "x", "m"]


def mostly(good):
    """``good`` 19 times in 20, a hostile value otherwise."""
    return st.integers(0, 19).flatmap(lambda i: BAD if i == 0 else good)


VALUES = {
    "heads": mostly(st.sampled_from([1, 2, 4])), "kv_heads": mostly(st.sampled_from([1, 2, 2, 3])),
    "head_dim": mostly(SMALL), "hidden": mostly(SMALL), "out": mostly(SMALL), "out_dim": mostly(SMALL),
    "units": mostly(SMALL), "num_embeddings": mostly(SMALL), "dim": mostly(SMALL),
    "experts": mostly(st.integers(1, 4)), "top_k": mostly(st.integers(1, 4)),
    "shared_experts": mostly(st.integers(0, 2)), "max_positions": mostly(st.integers(1, 12)),
    "relative_bias": mostly(st.integers(0, 4)), "count": mostly(st.integers(1, 2)),
    "axis": mostly(st.integers(-2, 2)), "index": mostly(st.integers(-3, 3)),
    "perm": mostly(st.permutations([0, 1])),
    "qkv": mostly(st.sampled_from(["separate", "fused", "fuse"])),
    "qk_norm": mostly(st.sampled_from(["none", "rmsnorm", "layernorm"])),
    "qk_norm_scope": mostly(st.sampled_from(["head", "all"])),
    "activation": mostly(st.sampled_from(["gelu", "silu", "swish", "gleu"])),
    "groups": mostly(st.integers(1, 2)), "kernel": mostly(st.integers(1, 3)), "filters": mostly(SMALL),
}
KINDS = sorted(FORMAT2_ONLY | {"dense", "embedding", "layernorm", "lstm", "add", "relu", "flatten"})
KINDS += ["attention", "attention", "moe", "moe", "gated_mlp", "dense"]  # the ones with most to get wrong


@st.composite
def layer(draw, depth: int = 0) -> dict:
    kind = draw(st.sampled_from(KINDS + (["block"] if depth == 0 else [])))
    out: dict = {"type": kind}
    if draw(st.booleans()):
        out["name"] = draw(st.sampled_from(NAMES))
    if kind == "block":
        out["layers"] = draw(st.lists(layer(1), min_size=1, max_size=3))
        out["repeat"] = draw(st.integers(1, 2))
        out["share_repeats"] = draw(st.booleans())
        return out
    for key, spec in TYPES[2][kind].fields.items():
        required = spec.default is REQUIRED
        if draw(st.integers(0, 19 if required else 1)) == 0:
            continue  # optional fields often left out, a required one rarely
        if key == "expert":
            out[key] = draw(st.one_of(layer(2), st.lists(layer(2), max_size=3), BAD))
        else:
            out[key] = draw(VALUES.get(key, mostly(st.booleans())))
    if draw(st.integers(0, 7)) == 0:
        out["inputs"] = draw(st.one_of(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=2)))
    if draw(st.integers(0, 7)) == 0:
        out["share"] = draw(st.sampled_from(NAMES))
    return out


@st.composite
def document(draw) -> dict:
    doc: dict = {"paramlint": 2}
    if draw(st.booleans()):
        doc["input"] = draw(st.sampled_from([[6], [6, 8], [6, 8], [6, 8], [3, 8, 8], [4, 4, 4, 4]]))
    else:
        doc["inputs"] = {"x": [6, 8], "m": draw(st.sampled_from([[5, 8], [5, 4], [6]]))}
    doc["layers"] = draw(st.lists(layer(), min_size=1, max_size=6))
    return doc


@SETTINGS
@given(document())
def test_random_format_2_files_load_consistently_or_are_refused(doc):
    model = load_both(yaml.safe_dump(doc, sort_keys=False))
    if model is not None:
        totals = count(model).totals
        assert 0 <= totals.active_params <= totals.params
        assert totals.tied_savings >= 0


@st.composite
def token_layer(draw, width: int) -> tuple[dict, int]:
    """One valid layer on ``[T, width]`` tokens, and the width it outputs."""
    kind = draw(st.sampled_from(["dense", "attention", "mlp", "gated_mlp", "rmsnorm", "layernorm",
                                 "position_embedding", "class_token", "moe"]))
    out: dict = {"type": kind}
    new = width
    if kind == "dense":
        new = out["units"] = draw(SMALL)
    elif kind == "attention":
        heads = draw(st.sampled_from([h for h in (1, 2, 4, 8) if width % h == 0]))
        out.update(heads=heads, kv_heads=draw(st.sampled_from([k for k in (1, 2, 4, 8) if heads % k == 0])),
                   qkv=draw(st.sampled_from(["separate", "fused"])),
                   qk_norm=draw(st.sampled_from(["none", "rmsnorm", "layernorm"])),
                   relative_bias=draw(st.integers(0, 3)), bias=draw(st.booleans()))
    elif kind in ("mlp", "gated_mlp"):
        out.update(hidden=draw(SMALL), bias=draw(st.booleans()))
        if draw(st.booleans()):
            new = out["out"] = draw(SMALL)
    elif kind == "position_embedding":
        out["max_positions"] = 64
    elif kind == "moe":
        top_k = draw(st.integers(1, 3))
        expert = draw(st.sampled_from([{"type": "gated_mlp", "hidden": 4, "bias": False},
                                       [{"name": "up", "type": "dense", "units": 5}, {"type": "gelu"},
                                        {"name": "down", "type": "dense", "units": width}]]))
        out.update(experts=top_k + draw(st.integers(0, 3)), top_k=top_k, expert=expert,
                   shared_experts=draw(st.integers(0, 1)), router_bias=draw(st.booleans()))
    return out, new


@st.composite
def token_model(draw) -> dict:
    width = draw(st.sampled_from([4, 8]))
    layers = [{"name": "emb", "type": "embedding", "num_embeddings": 11, "dim": width}]
    current = width
    for _ in range(draw(st.integers(1, 5))):
        spec, current = draw(token_layer(current))
        layers.append(spec)
    if draw(st.booleans()):
        # a repeated layer must keep the width, or repeat 1 would not fit repeat 0
        drawn = [draw(token_layer(current)) for _ in range(2)]
        block = [dict(spec, name=f"l{i}") for i, (spec, new) in enumerate(drawn) if new == current]
        if block:
            layers.append({"type": "block", "name": "stack", "repeat": draw(st.integers(1, 3)),
                           "share_repeats": draw(st.booleans()), "layers": block})
    if current == width and draw(st.booleans()):
        layers.append({"name": "head", "type": "dense", "units": 11, "bias": False, "share": "emb"})
    return {"paramlint": 2, "input": [draw(st.integers(1, 12))], "layers": layers}


@SETTINGS
@given(token_model())
def test_valid_token_models_load_with_exact_active_params(doc):
    model = load_both(yaml.safe_dump(doc, sort_keys=False))
    assert model is not None
    totals = count(model).totals
    # independent arithmetic: each routed tensor, once, loses (E - top_k) / E
    idle = 0
    for name, weight in model.weights.items():
        if ".experts." in name:
            owner = next(layer for layer in model.layers if name in layer.weights)
            experts, top_k = owner.attrs["experts"], owner.attrs["top_k"]
            assert weight.shape[0] == experts
            idle += weight.elements // experts * (experts - top_k)
    assert totals.active_params == totals.params - idle
    # ties: the head reads the table; shared repeats read repeat 0's weights
    expected = 11 * model.layer("emb").output_shape[-1] if model.layer("head") is not None else 0
    block = next((spec for spec in doc["layers"] if spec["type"] == "block"), None)
    if block is not None and block["share_repeats"]:
        first = sum(model.weights[w].elements for layer in model.layers
                    if layer.name.startswith("stack.0.") for w in layer.weights)
        expected += (block["repeat"] - 1) * first
    assert totals.tied_savings == expected
