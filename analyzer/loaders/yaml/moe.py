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
    "shared_experts": Field(nonneg_int, None),   # None: 1 with shared_expert, else 0
    "shared_expert": Field(_experts_field, None),  # None: shared experts are copies of expert
    "shared_expert_gate": Field(boolean, False),   # Qwen-MoE: a [1, D] sigmoid gate on the shared expert
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
        shared = v["shared_experts"]
        if shared is None:
            shared = 1 if v["shared_expert"] is not None else 0
        own = None
        if v["shared_expert"] is not None:  # a shared expert of its own width (Qwen1.5-MoE: 5632 vs 1408)
            if not shared:
                raise ctx.error("'shared_expert' describes the shared experts, and 'shared_experts' is 0",
                                "shared_expert")
            own_shape, own = _expert(ctx, types, v["shared_expert"], "shared_expert")
            if own_shape != shape:
                raise ctx.error(f"the shared expert's output {format_shape(own_shape)} differs from the "
                                f"routed experts' {format_shape(shape)}", "shared_expert")
        if shared:
            weights += [(f"shared_experts.{role}", (shared, *wshape), trainable)
                        for role, wshape, trainable in (own if own is not None else expert)]
        if v["shared_expert_gate"]:
            if not shared:
                raise ctx.error("'shared_expert_gate' gates the shared experts, and there are none",
                                "shared_expert_gate")
            weights.append(("shared_expert_gate.kernel", (1, width), True))
        # One expert's MACs per token: every kernel [out, in] is out x in
        # products (expert layers are dense-like or weightless).
        per_token = _macs(expert)
        shared_macs = None  # None: the shared experts are copies of the routed one
        if own is not None or v["shared_expert_gate"]:
            shared_macs = (shared * (_macs(own) if own is not None else per_token)
                           + (width if v["shared_expert_gate"] else 0))
        attrs = {"experts": v["experts"], "top_k": v["top_k"], "shared_experts": shared,
                 "shared_macs": shared_macs,
                 "routed_roles": routed, "expert_macs": per_token, "in_features": width, "out_features": shape[-1],
                 "expert": [str(layer["type"]) for layer in layers], **positions(ctx.in_shape)}
        return Result(shape, weights, attrs)

    return moe


def _macs(expert: list | None) -> int:
    """One expert's MACs per token: every kernel [out, in] is out x in products."""
    return sum(prod(wshape) for role, wshape, _ in expert or () if role.endswith("kernel"))


def _expert(ctx: Ctx, types: Mapping[str, LayerType], layers: list[MarkedMap], what: str = "expert"):
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
        sub = Ctx(kind, f"{ctx.name}.{what}" + ("" if single else f".{name}"), spec, [shape])
        sub.values = check_fields(sub, ltype.fields, EXPERT_KEYS)
        result = ltype.infer(sub)
        prefix = "" if single else f"{name}."
        weights += [(prefix + role, wshape, trainable) for role, wshape, trainable in result.weights]
        shape = result.output_shape
    return shape, weights
