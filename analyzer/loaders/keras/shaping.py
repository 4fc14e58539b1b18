"""Keras layers without weights: pooling, padding, reshaping, merging, activations.

Each returns the output shape as Keras computes it, and the attributes the
passes read (channels_last, kernel, axis...).
"""

from __future__ import annotations

from math import prod
from typing import Any, Callable

from .common import Out, Shape, ints, join, layout, length, need, pads, split, to_index


def same(op: str) -> Callable:
    def infer(cfg: dict, ins: list[Shape]) -> Out:
        return Out([ins[0]], [], {}, op)

    return infer


_ACTIVATION_OPS = {"linear": "identity", "swish": "silu", "silu": "silu", "hard_sigmoid": "hardsigmoid",
                   "hard_swish": "hardswish", "hard_silu": "hardswish", "leaky_relu": "leaky_relu"}


def activation_name(value: Any) -> str:
    """An activation as configs write it: ``"relu"``, or a serialized object (Keras 3)."""
    if isinstance(value, dict):
        inner = value.get("config")
        value = inner if isinstance(inner, str) else value.get("class_name", "activation")
    return str(value) if value is not None else "linear"


def activation_op(name: str) -> str:
    """The IR op of a Keras activation name (``swish`` is ``silu``)."""
    return _ACTIVATION_OPS.get(name, name.lower())


def activation(cfg: dict, ins: list[Shape]) -> Out:
    act = activation_name(cfg.get("activation", "linear"))
    return Out([ins[0]], [], {"activation": act}, activation_op(act))


def pool(rank: int, op: str) -> Callable:
    def infer(cfg: dict, ins: list[Shape]) -> Out:
        x = ins[0]
        need(x, rank + 1, op)
        last = layout(cfg)
        c, spatial = split(x, last)
        k = ints(cfg.get("pool_size", 2), rank, "pool_size")
        s = ints(cfg.get("strides") or k, rank, "strides")
        padding = str(cfg.get("padding", "valid")).lower()
        outs = tuple(length(n, kk, st, 1, padding) for n, kk, st in zip(spatial, k, s))
        return Out([join(c, outs, last)], [], {"kernel": k, "stride": s, "padding_spec": padding,
                                                "pads": pads(spatial, outs, k, s, (1,) * rank, padding),
                                                "channels_last": last}, f"{op}{rank}d")

    return infer


def global_pool(op: str) -> Callable:
    def infer(cfg: dict, ins: list[Shape]) -> Out:
        x = ins[0]
        last = layout(cfg)
        c, spatial = split(x, last)
        out = join(c, (1,) * len(spatial), last) if cfg.get("keepdims") else (c,)
        return Out([out], [], {"channels_last": last}, op)

    return infer


def pad_crop(rank: int, sign: int) -> Callable:
    key = "padding" if sign > 0 else "cropping"

    def infer(cfg: dict, ins: list[Shape]) -> Out:
        x = ins[0]
        need(x, rank + 1, key)
        last = layout(cfg)
        c, spatial = split(x, last)
        spec = cfg.get(key, 1)
        if isinstance(spec, int) or (rank == 1 and isinstance(spec, (list, tuple)) and all(isinstance(v, int) for v in spec)):
            pairs = [(spec, spec)] * rank if isinstance(spec, int) else [tuple(spec)]
        else:
            pairs = [(p, p) if isinstance(p, int) else tuple(p) for p in spec]
        if len(pairs) != rank or any(len(p) != 2 for p in pairs):
            raise ValueError(f"'{key}' must give {rank} pairs, got {spec!r}")
        outs = tuple(None if n is None else n + sign * (a + b) for n, (a, b) in zip(spatial, pairs))
        return Out([join(c, outs, last)], [], {"padding": tuple(pairs), "channels_last": last},
                   "pad" if sign > 0 else "crop")

    return infer


def upsampling(rank: int) -> Callable:
    def infer(cfg: dict, ins: list[Shape]) -> Out:
        x = ins[0]
        last = layout(cfg)
        c, spatial = split(x, last)
        size = ints(cfg.get("size", 2), rank, "size")
        outs = tuple(None if n is None else n * f for n, f in zip(spatial, size))
        return Out([join(c, outs, last)], [], {"scale": size, "channels_last": last}, "upsample")

    return infer


def flatten(cfg: dict, ins: list[Shape]) -> Out:
    x = ins[0]
    total = None if any(d is None for d in x) else prod(x)
    return Out([(total,)], [], {"channels_last": layout(cfg)}, "flatten")


def reshape(cfg: dict, ins: list[Shape]) -> Out:
    target = list(cfg.get("target_shape") or [])
    x = ins[0]
    if -1 in target and all(d is not None for d in x):
        known = prod(d for d in target if d != -1)
        target[target.index(-1)] = prod(x) // known if known else None
    return Out([tuple(None if d == -1 else d for d in target)], [], {"shape": tuple(target)}, "reshape")


def permute(cfg: dict, ins: list[Shape]) -> Out:
    dims = [int(d) for d in cfg["dims"]]
    return Out([tuple(ins[0][d - 1] for d in dims)], [], {"perm": tuple(d - 1 for d in dims)}, "transpose")


def repeat_vector(cfg: dict, ins: list[Shape]) -> Out:
    return Out([(int(cfg["n"]), *ins[0])], [], {}, "repeat")


def merge(op: str) -> Callable:
    def infer(cfg: dict, ins: list[Shape]) -> Out:
        rank = max(len(s) for s in ins)
        out = []
        for i in range(1, rank + 1):
            dims = {s[-i] for s in ins if len(s) >= i} - {1, None}
            if len(dims) > 1:
                raise ValueError(f"inputs of incompatible shapes {', '.join(map(str, ins))}")
            out.insert(0, dims.pop() if dims else (1 if all(len(s) < i or s[-i] == 1 for s in ins) else None))
        return Out([tuple(out)], [], {}, op)

    return infer


def concatenate(cfg: dict, ins: list[Shape]) -> Out:
    first = ins[0]
    axis = to_index(cfg.get("axis", -1), len(first))
    out = list(first)
    sizes = [s[axis] for s in ins]
    out[axis] = None if any(v is None for v in sizes) else sum(sizes)
    return Out([tuple(out)], [], {"axis": axis, "channels_last": axis == len(first) - 1}, "concat")
