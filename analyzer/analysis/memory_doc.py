"""The ``memory`` object of a model's JSON document (docs/memory.md).

Built from the weight bytes, the KV cache, the activation peak, the
training estimate and the serving figure at the run's memory settings
(``--context``, ``--batch``, ``--kv-dtype``...). Plain JSON-ready data,
so the cache, every report format and the diff read one figure. Absent
parts (no attention: no KV cache) are ``null``, never 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from paramlint.ir.model import Model
from .activations import DEFAULT_ACTIVATION_DTYPE, activations
from .counting import Counts
from .kv_cache import DEFAULT_KV_DTYPE, kv_cache
from .memory import BITS, DEFAULT_DTYPE, WHAT_IF, _bytes
from .serving import fit, serving, training

#: --weight-dtype choices: label -> bits per parameter (the what-if figures).
WEIGHT_DTYPES = dict(WHAT_IF) | {"bf16": 16}


@dataclass(frozen=True)
class MemorySettings:
    """What the user bound for the memory figures (all optional)."""

    context: int | None = None
    batch: int = 1
    kv_dtype: str = DEFAULT_KV_DTYPE
    activation_dtype: str = DEFAULT_ACTIVATION_DTYPE
    weight_dtype: str | None = None   # None: as stored
    device_bytes: int | None = None
    optimizer: str = "adamw"
    precision: str = "mixed"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _by_dtype(model: Model, counts: Counts) -> dict[str, int]:
    unused = {t.name for t in counts.unused}
    copies = {t.name: len(t.layers) for t in counts.merged_constants}
    out: dict[str, int] = {}
    for name, weight in model.weights.items():
        if name in unused:
            continue
        dtype = weight.dtype or DEFAULT_DTYPE
        out[dtype] = out.get(dtype, 0) + _bytes(weight.elements * copies.get(name, 1), BITS.get(dtype, 32))
    return out


def build_memory(model: Model, counts: Counts, weights: dict[str, int],
                 settings: MemorySettings | None = None) -> dict[str, Any]:
    s = settings or MemorySettings()
    stored = weights["weight_bytes"]
    what_if = {label: weights[label] for label, _ in WHAT_IF}
    served = stored if s.weight_dtype is None else _bytes(counts.totals.params, WEIGHT_DTYPES[s.weight_dtype])
    kv = kv_cache(model, s.context, s.batch, s.kv_dtype)
    acts = activations(model, s.batch, s.activation_dtype)
    kv_doc = None
    if kv.layers:
        kv_doc = {
            "bytes_per_token": kv.bytes_per_token, "context": kv.context, "context_source": kv.context_source,
            "batch": kv.batch, "dtype": kv.dtype, "bytes": kv.bytes,
            "complete": kv.bytes is not None,
            "layers": [{k: v for k, v in asdict(e).items() if v is not None or k in ("bytes", "window")}
                       for e in kv.layers],
        }
    act_doc = {"peak_bytes": acts.peak_bytes, "at": acts.at, "batch": acts.batch, "dtype": acts.dtype,
               "complete": acts.complete, "unknown": acts.unknown}
    t = training(model, counts.totals.params, counts.totals.trainable, s.batch, s.optimizer, s.precision)
    serve = serving(served, kv if kv.caching else None, acts)
    serve_doc = {"bytes": serve.bytes, "weights": serve.weights,
                 "weight_dtype": s.weight_dtype or "stored", "kv_cache": serve.kv_cache if kv.caching else None,
                 "activations": serve.activations, "complete": serve.complete, "fits": None}
    if s.device_bytes is not None:
        serve_doc["fits"] = fit(model, served, s.device_bytes, s.context, s.batch, s.kv_dtype,
                                s.activation_dtype)
    return {
        "weights": {"bytes": stored, "by_dtype": _by_dtype(model, counts), "what_if": what_if},
        "kv_cache": kv_doc,
        "activations": act_doc,
        "training": {"bytes": t.bytes, "formula": t.formula, "optimizer": t.optimizer,
                     "precision": t.precision, "weights": t.weights, "gradients": t.gradients,
                     "optimizer_state": t.optimizer_state, "activations": t.activations,
                     "batch": s.batch, "complete": t.complete},
        "serving": serve_doc,
    }
