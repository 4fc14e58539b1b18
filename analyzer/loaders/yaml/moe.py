"""Format 2 ``moe``: a router and ``experts`` expert blocks, ``top_k`` per token.

The expert is written once, as one per-token layer (``gated_mlp``, ``mlp``,
``dense``) or a list of them, and stacked ``experts`` times: every expert
weight has a leading expert axis, so the layer's parameters are exact and
one report row says it all. ``attrs["routed_roles"]`` names the stacked
weights; counting charges a token ``top_k / experts`` of them
(``active_params``). Shared experts (DeepSeek-MoE, Qwen-MoE) see every token.
"""

from __future__ import annotations

from math import prod
from typing import Callable, Mapping

from paramlint.ir.model import format_shape
from .fields import REQUIRED, Ctx, Field, boolean, check_fields, did_you_mean, nonneg_int, pos_int, show
from .source import MarkedMap, MarkedSeq
from .spatial import LayerType, Result
from .tokens import features, positions, projection

#: Layer types an expert may be built from: per-token, one input, no state.
EXPERT_TYPES = ("dense", "linear", "mlp", "gated_mlp", "layernorm", "rmsnorm", "dropout", "identity",
                "relu", "gelu", "silu", "sigmoid", "tanh")
EXPERT_KEYS = ("type", "name")


def _experts_field(ctx: Ctx, key: str, value) -> list:
    if isinstance(value, MarkedMap):
        return [value]
    if isinstance(value, MarkedSeq) and value and all(isinstance(v, MarkedMap) for v in value):
        return list(value)
    raise ctx.bad(key, "a layer (a mapping with a 'type') or a list of layers", value)


FIELDS: dict[str, Field] = {
    "experts": Field(pos_int, REQUIRED),
    "top_k": Field(pos_int, REQUIRED),
    "expert": Field(_experts_field, REQUIRED),
    "shared_experts": Field(nonneg_int, 0),
    "router_bias": Field(boolean, False),
}


def make_moe(types: Mapping[str, LayerType]) -> Callable[[Ctx], Result]:
    """The ``moe`` inference, reading expert layers from the format 2 ``types``."""

    def moe(ctx: Ctx) -> Result:
        v = ctx.values
        width = features(ctx)
        if len(ctx.in_shape) != 2:
            raise ctx.error(f"routes each token of a [T, D] input, got {format_shape(ctx.in_shape)}")
        if v["top_k"] > v["experts"]:
            raise ctx.error(f"top_k ({v['top_k']}) cannot exceed experts ({v['experts']})", "top_k")
        layers = v["expert"]
        shape, expert = _expert(ctx, types, layers)
        weights = projection("router_", v["experts"], width, v["router_bias"])
        routed = []
        for role, wshape, trainable in expert:
            weights.append((f"experts.{role}", (v["experts"], *wshape), trainable))
            routed.append(f"experts.{role}")
        if v["shared_experts"]:
            weights += [(f"shared_experts.{role}", (v["shared_experts"], *wshape), trainable)
                        for role, wshape, trainable in expert]
        # One expert's MACs per token: every kernel [out, in] is out x in
        # products (expert layers are dense-like or weightless).
        per_token = sum(prod(wshape) for role, wshape, _ in expert if role.endswith("kernel"))
        attrs = {"experts": v["experts"], "top_k": v["top_k"], "shared_experts": v["shared_experts"],
                 "routed_roles": routed, "expert_macs": per_token, "in_features": width, "out_features": shape[-1],
                 "expert": [str(layer["type"]) for layer in layers], **positions(ctx.in_shape)}
        return Result(shape, weights, attrs)

    return moe


def _expert(ctx: Ctx, types: Mapping[str, LayerType], layers: list[MarkedMap]):
    """Run the expert's layers on the moe's input; their output shape and weights."""
    shape = ctx.in_shape
    weights: list = []
    single = len(layers) == 1
    seen: set[str] = set()
    for index, spec in enumerate(layers):
        kind = spec.get("type")
        if kind not in EXPERT_TYPES:
            allowed = ", ".join(EXPERT_TYPES)
            where = spec.mark_of("type") if "type" in spec else spec.mark
            hint = did_you_mean(kind, list(EXPERT_TYPES))
            raise ctx.error(f"an expert layer must be one of {allowed}; got {show(kind)}{hint}", mark=where)
        name = spec.get("name", f"{kind}_{index + 1}")
        if not isinstance(name, str) or not name or "." in name:
            raise ctx.error(f"an expert layer's name must be a non-empty string without '.', got {show(name)}",
                            mark=spec.mark_of("name"))
        if name in seen:
            raise ctx.error(f"duplicate expert layer name '{name}'", mark=spec.mark_of("name"))
        seen.add(name)
        ltype = types[kind]
        sub = Ctx(kind, f"{ctx.name}.expert" + ("" if single else f".{name}"), spec, [shape])
        sub.values = check_fields(sub, ltype.fields, EXPERT_KEYS)
        result = ltype.infer(sub)
        prefix = "" if single else f"{name}."
        weights += [(prefix + role, wshape, trainable) for role, wshape, trainable in result.weights]
        shape = result.output_shape
    return shape, weights
