"""Axis provenance (paramlint.analysis.axes) and the PRM301 definition built on it.

Graphs laid out as the exporters lay them out (conv stems flattened into
tokens, NHWC transposes, multi-head splits, window partitions); the
expected kinds and sizes are worked out by hand from the ops.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from onnx_builders import GraphBuilder, conv, flatten, gemm, linear_matmul, reshape, save
from paramlint.lint.engine import Settings, run_rules
from paramlint.analysis.axes import BATCH, CHANNEL, SEQ, SPACE, axes_of, contracted
from paramlint.loaders.onnx.loader import load
from paramlint.rules.dense_spatial import RULE as PRM301
from yaml_helpers import load_text


def _prm301(model, **options):
    out, _ = run_rules(model, [PRM301], Settings(options={"PRM301": options} if options else {}))
    return out


def _load(tmp_path, b: GraphBuilder, out: str):
    b.output(out)
    return load(save(b.model(), tmp_path / "m.onnx"))


def _dense(model, scope: str):
    return next(layer for layer in model.layers if layer.op == "dense" and layer.name.startswith(scope))


def _kinds(axes):
    return [tuple(k for k, _ in a.parts) for a in axes]


def _patch_tokens(b: GraphBuilder, batch="batch"):
    """A ViT stem: 3x64x64 -> conv 16/16 -> 32x4x4 -> [N, 16, 32] tokens."""
    x = b.input("x", [batch, 3, 64, 64])
    y = conv(b, x, 3, 32, 16, scope="/conv_proj", stride=16)
    y = reshape(b, y, [0, 32, 16], scope="/flat")
    return b.node("Transpose", [y], name="/tokens/Transpose", perm=[0, 2, 1])


def test_patch_tokens_are_positions_and_their_projection_contracts_channels(tmp_path):
    b = GraphBuilder()
    t = _patch_tokens(b)
    y = linear_matmul(b, t, 32, 96, scope="/qkv")
    model = _load(tmp_path, b, y)
    axes = axes_of(model)
    assert _kinds(axes[t]) == [(BATCH,), (SPACE, SPACE), (CHANNEL,)]
    assert axes[t][1].positions == (4, 4)
    axis = contracted(model, _dense(model, "/qkv"))
    assert axis.channels == 32 and axis.positions == ()
    assert _prm301(model) == []


def test_dense_on_flattened_64x4x4_map_is_reported_in_onnx(tmp_path):
    b = GraphBuilder()
    x = b.input("x", ["batch", 8, 8, 8])
    y = conv(b, x, 8, 64, 3, scope="/conv", stride=2, pad=1)  # -> 64x4x4
    y = gemm(b, flatten(b, y, scope="/flat"), 1024, 10, scope="/fc")
    (finding,) = _prm301(_load(tmp_path, b, y))
    assert "reads a 64x4x4 map (spatial size 16)" in finding.message
    assert finding.extra["pooled_params"] == 64 * 10 + 10


def test_reshape_to_minus_one_on_a_symbolic_batch_still_finds_the_map(tmp_path):
    b = GraphBuilder()
    x = b.input("x", ["batch", 8, 8, 8])
    y = conv(b, x, 8, 64, 3, scope="/conv", stride=2, pad=1)
    y = linear_matmul(b, reshape(b, y, [-1, 1024], scope="/view"), 1024, 10, scope="/fc")
    (finding,) = _prm301(_load(tmp_path, b, y))
    assert finding.extra["channels"] == 64 and finding.extra["spatial"] == [4, 4]


def test_nhwc_transpose_before_flatten_keeps_channels_and_positions(tmp_path):
    b = GraphBuilder()
    x = b.input("x", [1, 8, 8, 8])
    y = conv(b, x, 8, 64, 3, scope="/conv", stride=2, pad=1)
    y = b.node("Transpose", [y], name="/nhwc/Transpose", perm=[0, 2, 3, 1])
    y = gemm(b, reshape(b, y, [1, 1024], scope="/view"), 1024, 10, scope="/fc")
    (finding,) = _prm301(_load(tmp_path, b, y))
    assert finding.extra["channels"] == 64 and finding.extra["spatial"] == [4, 4]


def test_classifier_after_global_pooling_reads_a_1x1_map_and_is_not_reported(tmp_path):
    b = GraphBuilder()
    x = b.input("x", [1, 8, 8, 8])
    y = conv(b, x, 8, 768, 3, scope="/conv", pad=1)
    y = b.node("GlobalAveragePool", [y], name="/pool/GlobalAveragePool")
    y = gemm(b, flatten(b, y, scope="/flat"), 768, 10, scope="/head")
    model = _load(tmp_path, b, y)
    axis = contracted(model, _dense(model, "/head"))
    assert axis.channels == 768 and np.prod(axis.positions) == 1
    assert _prm301(model) == []


def test_token_mixing_contracts_positions_alone_and_is_not_reported(tmp_path):
    b = GraphBuilder()
    t = _patch_tokens(b, batch=1)
    u = b.node("Transpose", [t], name="/mix/Transpose", perm=[0, 2, 1])  # [N, C, P]
    y = linear_matmul(b, u, 16, 64, scope="/token_mix")
    model = _load(tmp_path, b, y)
    axis = contracted(model, _dense(model, "/token_mix"))
    assert axis.channels is None and axis.positions == (4, 4)
    assert _prm301(model) == []


def test_head_split_and_window_partition_keep_channels_apart_from_positions(tmp_path):
    b = GraphBuilder()
    x = b.input("x", ["batch", 8, 8, 8])
    y = conv(b, x, 8, 32, 1, scope="/embed")  # [N, 32, 8, 8]
    y = b.node("Transpose", [y], name="/nhwc/Transpose", perm=[0, 2, 3, 1])  # [N, 8, 8, 32]
    y = reshape(b, y, [-1, 2, 4, 2, 4, 32], scope="/win")
    y = b.node("Transpose", [y], name="/win/Transpose", perm=[0, 1, 3, 2, 4, 5])
    w = reshape(b, y, [-1, 16, 32], scope="/windows")  # [N*4, 16, 32]
    heads = reshape(b, w, [-1, 16, 4, 8], scope="/heads")
    out = linear_matmul(b, w, 32, 32, scope="/proj")
    model = _load(tmp_path, b, out)
    axes = axes_of(model)
    assert _kinds(axes[w])[1:] == [(SPACE, SPACE), (CHANNEL,)]
    assert axes[w][1].positions == (4, 4)
    assert _kinds(axes[heads])[2:] == [(CHANNEL,), (CHANNEL,)]
    assert _prm301(model) == []


def test_embedding_indices_become_tokens(tmp_path):
    b = GraphBuilder()
    ids = b.input("ids", ["batch", 12], TensorProto.INT64)
    table = b.init("embed.weight", [100, 16])
    e = b.node("Gather", [table, ids], name="/embed/Gather")
    y = linear_matmul(b, e, 16, 16, scope="/proj")
    model = _load(tmp_path, b, y)
    assert _kinds(axes_of(model)[e]) == [(BATCH,), (SEQ,), (CHANNEL,)]
    assert _prm301(model) == []


def test_yaml_dense_on_a_64x4x4_map_is_reported_and_after_pooling_is_not(tmp_path):
    model = load_text(tmp_path, """
input: [8, 8, 8]
layers:
  - {name: conv, type: conv2d, filters: 64, kernel: 3, stride: 2, padding: 1}
  - {name: fc, type: dense, units: 10}
  - {name: pooled, type: global_avgpool, inputs: conv}
  - {name: head, type: dense, units: 10}
""")
    (finding,) = _prm301(model)
    assert finding.layer == "fc" and "reads a 64x4x4 map (spatial size 16)" in finding.message


def test_yaml_per_token_conv1d_stack_has_token_positions(tmp_path):
    model = load_text(tmp_path, """
input: [12]
layers:
  - {name: embed, type: embedding, num_embeddings: 100, dim: 16}
  - {name: proj, type: conv1d, filters: 32, kernel: 1}
""")
    axes = axes_of(model)
    assert _kinds(axes["embed"]) == [(CHANNEL,), (SEQ,)]
    assert _kinds(axes["proj"]) == [(CHANNEL,), (SEQ,)]


def test_lstm_output_axes_are_steps_directions_batch_units(tmp_path):
    b = GraphBuilder()
    x = b.input("x", [10, "batch", 8])
    w = b.init("W", [1, 64, 8])
    r = b.init("R", [1, 64, 16])
    y, _, _ = b.node("LSTM", [x, w, r], 3, name="/lstm/LSTM", hidden_size=16)
    model = _load(tmp_path, b, y)
    assert _kinds(axes_of(model)[y]) == [(SEQ,), (), (BATCH,), (CHANNEL,)]
    assert np.prod([s for a in axes_of(model)[y] for _, s in a.parts if isinstance(s, int)]) == 160
