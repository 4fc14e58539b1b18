"""Activation memory at inference: the peak bytes of tensors alive at once.

The convention (counting.md, "Compute and memory"; docs/memory.md): the
layers run in file order; a graph input is alive from the start until its
last reader, a layer's output from that layer until its last reader, a
tensor nobody reads (a graph output) until the end; at each layer its
inputs and its outputs are alive together; nothing is reused in place.
So a ReLU's input and output both count. The peak is an upper bound on
what a runtime that reuses buffers needs, at the batch and activation
dtype given. Weights are not activations (they are counted as weights).

A format 2 composite layer (``attention``, ``mla``, ``mlp``,
``gated_mlp``) hides tensors a runtime does make; they are added at that
layer's step as its *workspace*, as an eager implementation materialises
them (``WORKSPACE``). A tensor whose size is unknown (a symbolic dim, a
``moe``'s routed buffers) leaves the peak a lower bound, said so, with the
tensors that made it one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from paramlint.ir.model import Layer, Model
from .kv_cache import DTYPE_BYTES

DEFAULT_ACTIVATION_DTYPE = "fp32"


@dataclass
class Activations:
    peak_bytes: int
    at: str | None            # the layer at whose step the peak occurs
    batch: int
    dtype: str
    complete: bool = True     # False: some tensor's size is unknown, peak_bytes is a lower bound
    unknown: list[str] = field(default_factory=list)


def _ints(a: dict, *names: str) -> list[int] | None:
    values = [a.get(n) for n in names]
    return values if all(isinstance(v, int) and not isinstance(v, bool) for v in values) else None


def _attention(layer: Layer) -> int | None:
    """Q, K, V, the scores, the softmax's probabilities and the per-head
    context, all alive at once (eager attention; an upper bound on it)."""
    f = _ints(layer.attrs, "q_len", "kv_len", "heads", "kv_heads", "head_dim")
    if f is None:
        return None
    t, s, h, kv, hd = f
    return 2 * t * h * hd + 2 * s * kv * hd + 2 * h * t * s


def _latent(layer: Layer) -> int | None:
    """The query, the compressed latent, the expanded keys and values,
    the scores and probabilities, the context (transformers' DeepseekV2)."""
    f = _ints(layer.attrs, "q_len", "kv_len", "heads", "kv_lora_rank", "qk_rope_head_dim",
              "qk_nope_head_dim", "v_head_dim")
    if f is None:
        return None
    t, s, h, rank, rope, nope, v = f
    q_rank = layer.attrs.get("q_lora_rank") or 0
    return (t * q_rank + t * h * (nope + rope) + s * (rank + rope) + s * h * (nope + rope)
            + s * h * v + 2 * h * t * s + t * h * v)


def _mlp(layer: Layer) -> int | None:
    """Up projection and its activation (2 x hidden per token); gated:
    the up projection, the activated gate and their product (3 x)."""
    f = _ints(layer.attrs, "hidden")
    if f is None:
        return None
    rows = layer.attrs.get("positions", 1)
    return (3 if layer.attrs.get("gated") else 2) * rows * f[0]


#: op -> the elements of the internal tensors alive at once, per batch item.
WORKSPACE = {"attention": _attention, "mla": _latent, "mlp": _mlp, "gated_mlp": _mlp}
#: Composite ops whose internal tensors paramlint cannot size.
UNSIZED = {"moe": "the routed experts' buffers depend on the routing"}


def _elements(shape, batch: int, batch_dim: bool) -> int | None:
    if shape is None:
        return None
    dims = list(shape)
    if batch_dim and dims:
        first = dims[0]
        dims[0] = first if isinstance(first, int) else batch  # a symbolic batch is the one given
        factor = 1
    else:
        factor = batch
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        return None
    return factor * prod(dims)


def activations(model: Model, batch: int = 1, dtype: str = DEFAULT_ACTIVATION_DTYPE) -> Activations:
    """The peak of alive tensors' bytes over the layers, in file order."""
    width = DTYPE_BYTES[dtype]
    last: dict[str, int] = {}
    for index, layer in enumerate(model.layers):
        for tensor in layer.inputs:
            if tensor:
                last[tensor] = index
    unknown: list[str] = []

    def size(tensor: str, shape) -> int:
        n = _elements(shape, batch, model.batch_dim)
        if n is None:
            unknown.append(tensor)
            return 0
        return n * width

    alive: dict[str, int] = {}
    for info in model.inputs:
        if info.name in last:
            alive[info.name] = size(info.name, info.shape)
    current = sum(alive.values())
    peak, at = current, None
    for index, layer in enumerate(model.layers):
        single = len(layer.outputs) == 1
        for tensor in layer.outputs:
            if tensor and tensor not in alive:
                shape = model.shapes.get(tensor, layer.output_shape if single else None)
                alive[tensor] = size(tensor, shape)
                current += alive[tensor]
        extra = 0
        work = WORKSPACE.get(layer.op)
        if work is not None:
            elements = work(layer)
            if elements is None:
                unknown.append(f"{layer.name} (workspace)")
            else:
                extra = elements * batch * width
        elif layer.op in UNSIZED:
            unknown.append(f"{layer.name} ({UNSIZED[layer.op]})")
        if current + extra > peak or at is None:
            peak, at = current + extra, layer.name
        for tensor in dict.fromkeys(layer.inputs):
            if last.get(tensor) == index and tensor in alive:
                current -= alive.pop(tensor)
    return Activations(peak, at, batch, dtype, not unknown, unknown[:20])
