"""Serving and training memory, and "does it fit in N GiB" (docs/memory.md).

Serving = weight bytes (as stored, or at a chosen precision) + the KV
cache at the context and batch + the activation peak at the batch.
Training = weights + gradients + optimizer state + the activations kept
for the backward pass, by a stated formula. Each figure built from an
unknown part is a lower bound and says so (``complete: false``); the
largest context or batch found from a lower bound is then an upper bound
("at most").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import prod

from paramlint.ir.model import Model
from .activations import WORKSPACE, Activations, activations
from .kv_cache import DTYPE_BYTES, KvCache, kv_cache

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_bytes(value: object) -> int:
    """``24GiB`` -> 25769803776, ``500MB`` -> 500000000, ``1024`` -> 1024.

    Binary units (KiB, MiB, GiB, TiB) are powers of 1024, decimal ones
    (KB, MB, GB, TB) powers of 1000, as a GPU's "24 GB" is 24 GiB of
    memory chips but a disk's is not: the user picks. Raises ValueError.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as 24GiB or 500MB, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a size must not be negative, got {value}")
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    unit = match.group(2).lower() if match else None
    if not match or unit not in _UNITS:
        raise ValueError(f"expected a size such as 24GiB, 500MB or 1024, got {value!r}")
    number = float(match.group(1)) if "." in match.group(1) else int(match.group(1))
    return int(number * _UNITS[unit])


# ------------------------------------------------------------------ training

#: Optimizer state bytes per parameter: SGD with momentum keeps one fp32
#: buffer, Adam/AdamW two (first and second moments), 8-bit Adam two of
#: one byte each (bitsandbytes' block-wise quantised states; their small
#: per-block scales are left out).
OPTIMIZER_BYTES = {"sgd": 4, "adam": 8, "adamw": 8, "adam8bit": 2}
PRECISIONS = ("fp32", "mixed")


@dataclass
class Training:
    bytes: int
    formula: str
    optimizer: str
    precision: str
    weights: int
    gradients: int
    optimizer_state: int
    activations: int
    complete: bool


def saved_activations(model: Model, batch: int, width: int) -> tuple[int, bool]:
    """Every tensor the forward makes, and every composite layer's
    workspace, kept for the backward pass (no recomputation)."""
    total, complete = 0, True
    seen = set()
    for info in model.inputs:
        seen.add(info.name)
    for layer in model.layers:
        single = len(layer.outputs) == 1
        for tensor in layer.outputs:
            if not tensor or tensor in seen:
                continue
            seen.add(tensor)
            shape = model.shapes.get(tensor, layer.output_shape if single else None)
            dims = None if shape is None else list(shape)
            if dims and model.batch_dim:
                dims[0] = dims[0] if isinstance(dims[0], int) else batch
                factor = 1
            else:
                factor = batch
            if dims is None or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
                complete = False
                continue
            total += factor * prod(dims) * width
        work = WORKSPACE.get(layer.op)
        if work is not None:
            elements = work(layer)
            if elements is None:
                complete = False
            else:
                total += elements * batch * width
        elif layer.op == "moe":
            complete = False
    return total, complete


def training(model: Model, params: int, trainable: int, batch: int = 1, optimizer: str = "adamw",
             precision: str = "mixed") -> Training:
    """fp32: 4 bytes of weights, 4 of gradients per parameter; mixed
    precision: a 2-byte working copy, a 4-byte fp32 master copy, 2-byte
    gradients. Optimizer state for the trainable parameters only;
    activations at 4 (fp32) or 2 (mixed) bytes."""
    state = OPTIMIZER_BYTES[optimizer]
    if precision == "fp32":
        weights, gradients, width = 4 * params, 4 * trainable, 4
        formula = f"4 x params + 4 x trainable (gradients) + {state} x trainable ({optimizer}) + saved activations (fp32)"
    else:
        weights, gradients, width = 2 * params + 4 * trainable, 2 * trainable, 2
        formula = (f"2 x params + 4 x trainable (fp32 master) + 2 x trainable (gradients) + {state} x trainable "
                   f"({optimizer}) + saved activations (16-bit)")
    acts, complete = saved_activations(model, batch, width)
    opt = state * trainable
    return Training(weights + gradients + opt + acts, formula, optimizer, precision, weights, gradients,
                    opt, acts, complete)


# ------------------------------------------------------------------- serving

@dataclass
class Serving:
    bytes: int | None
    weights: int
    kv_cache: int | None
    activations: int
    complete: bool


def serving(weights: int, kv: KvCache | None, acts: Activations) -> Serving:
    kv_bytes = 0 if kv is None else kv.bytes
    complete = acts.complete and kv_bytes is not None
    total = weights + (kv_bytes or 0) + acts.peak_bytes
    return Serving(total, weights, kv_bytes, acts.peak_bytes, complete)


MAX_SEARCH = 2**40


def _largest(fits, low: int, high: int) -> int | None:
    """The largest n in [low, high] with fits(n), fits being monotone; None if none."""
    if not fits(low):
        return None
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def fit(model: Model, weights: int, device: int, context: int | None, batch: int, kv_dtype: str,
        act_dtype: str) -> dict:
    """At the context and batch: does it fit, by how much; the longest
    context at the batch and the largest batch at the context that fit."""
    acts = activations(model, batch, act_dtype)
    kv = kv_cache(model, context, batch, kv_dtype)
    has_kv = bool(kv.caching)
    here = serving(weights, kv if has_kv else None, acts)
    out: dict = {"device_bytes": device, "fits": None, "headroom_bytes": None, "over_bytes": None,
                 "max_context": None, "max_batch": None, "bound": None if here.complete else "at most"}
    if here.bytes is not None and (here.complete or here.bytes > device):
        out["fits"] = here.bytes <= device
        if out["fits"]:
            out["headroom_bytes"] = device - here.bytes
        else:
            out["over_bytes"] = here.bytes - device
    if has_kv and kv.bytes_per_token is not None:
        def fits_context(c: int) -> bool:
            b = kv_cache(model, c, batch, kv_dtype).bytes
            return b is not None and weights + b + acts.peak_bytes <= device
        grows = any(e.window is None and e.kind != "cross" for e in kv.caching)
        if grows:
            out["max_context"] = _largest(fits_context, 1, MAX_SEARCH)
        elif fits_context(max(e.window or 0 for e in kv.caching) or 1):
            out["max_context"] = "unbounded"
    if kv.context is not None or not has_kv:
        def fits_batch(b: int) -> bool:
            a = activations(model, b, act_dtype)
            k = kv_cache(model, kv.context, b, kv_dtype).bytes if has_kv else 0
            return k is not None and weights + k + a.peak_bytes <= device
        out["max_batch"] = _largest(fits_batch, 1, 2**31)
    return out


def dtype_bytes(dtype: str) -> int:
    return DTYPE_BYTES[dtype]
