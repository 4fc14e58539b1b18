"""KV cache: what generation keeps per token, per attention layer and in total.

A pass over the IR (counting.md, "Compute and memory"), so every loader's
model gets it from its attention layers' attributes, not from one file
format: ``op == "attention"`` with ``heads``/``kv_heads``/``head_dim``
(multi-head, grouped-query, multi-query), ``window`` (a sliding window),
``cross`` with ``kv_len`` (cross attention caches the encoder's length),
``causal`` (a non-causal self-attention is an encoder's: it keeps no
cache); ``op == "mla"`` (multi-head latent attention) caches its latent,
``kv_lora_rank + qk_rope_head_dim`` per token, one for all heads. An ONNX
export's ``past_key_values.N.key``/``.value`` inputs give each layer's
cache from their shapes ``[batch, kv_heads, past, head_dim]``.

Per token a layer stores ``2 * kv_heads * head_dim`` values (a key and a
value per KV head); at a context ``C`` and batch ``B`` a self-attention
layer holds ``B * min(C, window) * per_token``, a cross attention
``B * encoder_length * per_token``. A figure that depends on something
unknown is ``None``, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paramlint.ir.model import Layer, Model

#: Bytes per element of each KV / activation dtype a user may choose.
DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "fp8": 1, "int8": 1}
DEFAULT_KV_DTYPE = "fp16"

_PAST = re.compile(r"^past_key_values[._](\d+)[._](key|value)$")


@dataclass
class KvLayer:
    """One attention layer's cache. ``kind``: mha, gqa, mqa, mla, window,
    cross, kv (an ONNX cache input, whose query heads are not known) or
    none (a layer that keeps no cache; ``note`` says why)."""

    layer: str
    kind: str
    bytes_per_token: int | None
    window: int | None = None
    tokens: int | None = None      # tokens held at the context (cross: the encoder's length)
    bytes: int | None = None       # at the context and batch
    note: str | None = None
    #: transformers' DynamicCache for latent attention keeps the per-head
    #: keys and values it decompresses: this many bytes per token.
    decompressed_bytes_per_token: int | None = None


@dataclass
class KvCache:
    dtype: str
    context: int | None
    batch: int
    layers: list[KvLayer] = field(default_factory=list)
    context_source: str = "model"  # "model" (the file's own length) or "given"

    @property
    def caching(self) -> list[KvLayer]:
        return [entry for entry in self.layers if entry.kind != "none"]

    @property
    def bytes_per_token(self) -> int | None:
        """What one more token adds to the self-attention caches (windows
        not yet full); cross-attention caches do not grow with tokens."""
        values = [e.bytes_per_token for e in self.caching if e.kind != "cross"]
        return None if any(v is None for v in values) else sum(values)

    @property
    def bytes(self) -> int | None:
        values = [e.bytes for e in self.caching]
        if not values:
            return 0
        return None if any(v is None for v in values) else sum(values)


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _attention(layer: Layer, width: int) -> KvLayer:
    a = layer.attrs
    heads, kv_heads, head_dim = _int(a.get("heads")), _int(a.get("kv_heads")), _int(a.get("head_dim"))
    if not a.get("cross") and not a.get("causal"):
        return KvLayer(layer.name, "none", 0, note="not causal (an encoder's attention): keeps no cache")
    per_token = 2 * kv_heads * head_dim * width if kv_heads and head_dim else None
    window = _int(a.get("window"))
    if a.get("cross"):
        return KvLayer(layer.name, "cross", per_token, tokens=_int(a.get("kv_len")))
    if window:
        kind = "window"
    elif kv_heads == 1 and heads != 1:
        kind = "mqa"
    elif heads and kv_heads and kv_heads < heads:
        kind = "gqa"
    else:
        kind = "mha"
    return KvLayer(layer.name, kind, per_token, window=window)


def _latent(layer: Layer, width: int) -> KvLayer:
    a = layer.attrs
    rank, rope = _int(a.get("kv_lora_rank")), _int(a.get("qk_rope_head_dim"))
    per_token = (rank + rope) * width if rank and rope else None
    heads, nope, v_dim = _int(a.get("heads")), _int(a.get("qk_nope_head_dim")), _int(a.get("v_head_dim"))
    full = heads * (nope + rope + v_dim) * width if heads and nope and rope and v_dim else None
    return KvLayer(layer.name, "mla", per_token, window=_int(a.get("window")),
                   decompressed_bytes_per_token=full)


def _past_inputs(model: Model, width: int) -> list[KvLayer]:
    """Per-layer caches from an export's ``past_key_values`` inputs."""
    found: dict[int, dict[str, tuple]] = {}
    for tensor in model.inputs:
        match = _PAST.match(tensor.name)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = tensor.shape
    out = []
    for index in sorted(found):
        pair = found[index]
        per_token: int | None = 0
        heads = None
        for role in ("key", "value"):
            shape = pair.get(role)
            if shape is None or len(shape) != 4 or not (_int(shape[1]) and _int(shape[3])):
                per_token = None
                break
            heads = shape[1]
            per_token += shape[1] * shape[3] * width
        kind = "mqa" if heads == 1 else "kv"
        out.append(KvLayer(f"past_key_values.{index}", kind, per_token))
    return out


def _past_length(model: Model) -> int | None:
    """The cached length an export's past inputs were given (a fixed dim)."""
    for tensor in model.inputs:
        if _PAST.match(tensor.name) and tensor.shape and len(tensor.shape) == 4:
            return _int(tensor.shape[2])
    return None


def model_context(model: Model) -> int | None:
    """The model's own sequence length: the longest query length of its
    caching self-attention layers (``T`` of a format 2 file), or the past
    length an ONNX export fixes."""
    lengths = [_int(layer.attrs.get("q_len")) for layer in model.layers
               if (layer.op == "attention" and layer.attrs.get("causal") and not layer.attrs.get("cross"))
               or layer.op == "mla"]
    known = [n for n in lengths if n]
    if known:
        return max(known)
    return _past_length(model)


def kv_cache(model: Model, context: int | None = None, batch: int = 1,
             dtype: str = DEFAULT_KV_DTYPE) -> KvCache:
    """The cache of every attention layer at ``context`` tokens (default:
    the model's own length) and ``batch`` sequences, at ``dtype``."""
    width = DTYPE_BYTES[dtype]
    source = "given" if context is not None else "model"
    if context is None:
        context = model_context(model)
    layers: list[KvLayer] = []
    for layer in model.layers:
        if layer.op == "attention":
            layers.append(_attention(layer, width))
        elif layer.op == "mla":
            layers.append(_latent(layer, width))
    layers += _past_inputs(model, width)
    for entry in layers:
        if entry.kind == "none":
            entry.tokens, entry.bytes = 0, 0
            continue
        if entry.kind != "cross":
            entry.tokens = None if context is None else min(context, entry.window or context)
        if entry.tokens is not None and entry.bytes_per_token is not None:
            entry.bytes = batch * entry.tokens * entry.bytes_per_token
    return KvCache(dtype, context, batch, layers, source)
