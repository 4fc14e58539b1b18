"""MACs: multiply-accumulates per layer and in total (counting.md, "Compute").

A core pass over the IR, so reports, budgets and diffs read one figure.
The convention is torchvision's "GFLOPS" column (which counts MACs, from a
``__torch_dispatch__`` counter over ``mm``/``addmm``/``bmm``/``convolution``)
and fvcore's: only products of two operands count; normalisations,
element-wise ops, pooling, biases, softmax and embedding lookups are 0.
``FLOPs = 2 * MACs``.

Which layer needs which facts (loaders must provide them; a missing one
makes that layer's MACs ``None``, with a reason, and the total a stated
lower bound, never a silent 0):

=====================  ======================================================  =========================================
IR ``op``              MACs                                                    needs
=====================  ======================================================  =========================================
conv1d/2d/3d,          ``N * prod(S_out) * Cout * (Cin/g) * prod(k)``          ``input_shape``, ``output_shape``,
depthwise_conv2d,                                                              ``attrs["kernel"]`` (tuple),
locally_connected2d                                                            ``attrs["groups"]`` (default 1),
                                                                               ``attrs["channels_last"]`` (optional)
conv*_transpose        ``N * prod(S_in) * Cin * (Cout/g) * prod(k)``           same
                       (by input positions)
dense                  ``elements(output) * F``: rows x units x F, rows =      ``output_shape``, ``attrs["in_features"]``
                       every position or token it is applied to                (F; else ``input_shape[-1]``)
matmul (two            ``elements(output) * K``                                ``output_shape``, ``inputs[0]``'s shape
activations: Q*K^T,                                                            in ``Model.shapes`` (K = its last dim,
A*V)                                                                           ``attrs["onnx"]["transA"]`` honoured)
einsum                 product of every label's size (two operands or more)    ``attrs["onnx"]["equation"]``,
                                                                               ``attrs["operand_shapes"]``
lstm / gru / rnn       ``T * N * dirs * gates * units * (F + units)``          ``attrs["units"]``,
                       (gates: 4 / 3 / 1)                                      ``attrs["sequence_length"]`` (T),
                                                                               ``input_shape`` (F), ``attrs["direction"]``
                                                                               or ``attrs["bidirectional"]``
attention (YAML)       projections + ``2 * heads * Tq * Tk * head_dim``        ``attrs``: q_len, kv_len, in_features,
                       (``Q*K^T`` and ``A*V``; GQA shrinks k/v projections)    kv_features, heads, kv_heads, head_dim,
                                                                               out_features
mlp, gated_mlp (YAML)  ``T * ((1 or 2) * D * hidden + hidden * out)``          ``attrs``: positions, in_features, hidden,
                                                                               out_features, gated
moe (YAML)             ``T * (D * experts + (top_k + shared) * expert)``       ``attrs``: positions, in_features, experts,
                       (the router, then only the routed experts)              top_k, shared_experts, expert_macs
separable_conv1d/2d    ``N * prod(S_out) * Cin * m * (prod(k) + Cout)``        conv's, ``attrs["depth_multiplier"]`` (m)
(Keras)                (depthwise, then pointwise)
anything else          0 (norms, activations, pools, reshapes, lookups...)     nothing
unknown op (a custom   ``None``: cannot be known                               -
domain's op)
=====================  ======================================================  =========================================

A layer with ``attrs["macs_unknown"]`` (a reason) has unknown MACs: a
loader's custom or unknown layer whose computation it cannot tell. A layer
with ``attrs["runs"]`` (``("loop", owner)`` in a Loop or Scan body,
``("branch", owner)`` in an If branch) that does MACs has unknown MACs: once
per iteration, or in a branch that may not run, its figure counted once
would be neither exact nor a lower bound of the total.
``attrs["batch_first"]`` marks a recurrent input laid out ``[N, T, F]``
(Keras).

``N`` is the batch: a symbolic (or unknown) leading dimension of an ONNX
shape counts as 1 (counting.md); any other symbolic dimension (a sequence
length) leaves the figure unknown. A new op gets its MACs by adding an
entry to ``MAC_FUNCTIONS`` (name -> function(layer, model) -> (macs,
reason)).

The formulas are in ``macs_ops``; this module holds the op table and the
pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from paramlint.ir.model import Layer, Model

from .macs_ops import (CONV, CONV_T, GATES, Result, attention_macs, conv_macs, conv_transpose_macs,
                       dense_macs, einsum_macs, matmul_macs, mlp_macs, moe_macs, recurrent_macs,
                       separable_conv_macs)
from .mla import mla_macs

#: Ops of non-default ONNX domains known to do no multiply-accumulates.
NO_MACS_CUSTOM = frozenset({
    "com.microsoft.FastGelu", "com.microsoft.BiasGelu", "com.microsoft.Gelu",
    "com.microsoft.QuickGelu", "com.microsoft.BiasAdd", "com.microsoft.BiasSoftmax",
    "com.microsoft.SkipLayerNormalization", "com.microsoft.SkipSimplifiedLayerNormalization",
    "com.microsoft.SimplifiedLayerNormalization", "com.microsoft.LayerNormalization",
    "com.microsoft.EmbedLayerNormalization", "com.microsoft.RotaryEmbedding",
    "com.microsoft.QuantizeLinear", "com.microsoft.DequantizeLinear",
    "com.microsoft.QLinearAdd", "com.microsoft.QLinearMul", "com.microsoft.QLinearSigmoid",
    "com.microsoft.QLinearLeakyRelu", "com.microsoft.QLinearConcat",
    "com.microsoft.QLinearGlobalAveragePool", "com.microsoft.QLinearAveragePool",
    "com.microsoft.BiasSplitGelu", "com.microsoft.GatherND", "com.microsoft.Trilu",
})


@dataclass
class Macs:
    """Per-layer MACs (``None``: cannot be computed) and the model's total.

    ``total`` sums the known figures; ``lower_bound`` says some layer's
    MACs are unknown, so the true total is at least ``total``.
    """

    layers: dict[str, int | None]
    total: int
    lower_bound: bool
    #: layer name -> why its MACs are unknown
    unknown: dict[str, str] = field(default_factory=dict)

    @property
    def flops(self) -> int:
        return 2 * self.total


#: IR op -> how its MACs are computed. Ops not listed do none.
MAC_FUNCTIONS: dict[str, Callable[[Layer, Model], Result]] = {
    **{op: conv_macs for op in CONV},
    **{op: conv_transpose_macs for op in CONV_T},
    "separable_conv1d": separable_conv_macs,
    "separable_conv2d": separable_conv_macs,
    "dense": dense_macs,
    "matmul": matmul_macs,
    "matmulinteger": matmul_macs,
    "qlinearmatmul": matmul_macs,
    "fusedmatmul": matmul_macs,
    "einsum": einsum_macs,
    **{op: recurrent_macs for op in GATES},
    "attention": attention_macs,
    "mla": mla_macs,
    "mlp": mlp_macs,
    "gated_mlp": mlp_macs,
    "moe": moe_macs,
}


def _custom_unknown(layer: Layer, model: Model) -> bool:
    """An op of a custom domain paramlint does not know: its cost is unknown."""
    return (model.format == "onnx" and "." in layer.source_op
            and layer.source_op not in NO_MACS_CUSTOM)


def _runs_reason(runs) -> str:
    kind, owner = runs
    if kind == "loop":
        return f"it runs once per iteration of '{owner}', a count paramlint does not model"
    return f"it is in a branch of If '{owner}', and which branch runs is decided at run time"


def compute(model: Model) -> Macs:
    """MACs of every layer of ``model`` and their total. Cached on the model."""
    cached = model.__dict__.get("_macs")
    if cached is not None:
        return cached
    layers: dict[str, int | None] = {}
    unknown: dict[str, str] = {}
    total = 0
    functions = MAC_FUNCTIONS
    for layer in model.layers:
        fn = functions.get(layer.op)
        why_unknown = layer.attrs.get("macs_unknown")
        if why_unknown:  # a loader that cannot tell what the layer computes says so
            layers[layer.name] = None
            unknown[layer.name] = str(why_unknown)
            continue
        if fn is None:
            if _custom_unknown(layer, model) and layer.op not in functions:
                layers[layer.name] = None
                unknown[layer.name] = f"its op {layer.source_op} is not known to paramlint"
            else:
                layers[layer.name] = 0
            continue
        macs, why = fn(layer, model)
        runs = layer.attrs.get("runs") if macs else None
        if runs:  # a body's MACs counted once would be a wrong number, not a bound
            macs, why = None, _runs_reason(runs)
        layers[layer.name] = macs
        if macs is None:
            unknown[layer.name] = why or "unknown"
        else:
            total += macs
    result = Macs(layers, total, bool(unknown), unknown)
    model.__dict__["_macs"] = result
    return result
