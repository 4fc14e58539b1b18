"""Constants classified as counting.md says: shape computation, integers,
derived buffers and dynamic-quantisation scales, by graph structure.

Each graph reproduces the pattern a real exporter writes (named in the
test); the expected figures are the torch-side counts worked out by hand.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from onnx_builders import INT64, GraphBuilder, linear_matmul, save
from paramlint.analysis.counting import count
from paramlint.loaders.onnx.loader import load


def _totals(tmp_path, b: GraphBuilder, out: str):
    b.output(out)
    model = load(save(b.model(), tmp_path / "m.onnx"))
    return model, count(model).totals


def test_reshape_target_assembled_from_int64_pieces_is_not_a_parameter(tmp_path):
    # TorchScript's attention: Concat(Unsqueeze(Gather(Shape(x))), [197, 12, 64] pieces)
    b = GraphBuilder()
    x = b.input("x", ["batch", 6, 8])
    n = b.node("Gather", [b.node("Shape", [x]), b.constant("zero", np.array(0))], axis=0)
    n = b.node("Unsqueeze", [n, b.constant("axes", np.array([0]))])
    piece = b.constant("/attn/Constant_output_0", np.array([6, 2], dtype=np.int64))
    target = b.node("Concat", [n, piece, b.constant("last", np.array([4]))], axis=0)
    y = b.node("Reshape", [linear_matmul(b, x, 8, 8, scope="/proj"), target])
    model, totals = _totals(tmp_path, b, y)
    assert totals.trainable == 8 * 8 + 8 and totals.params == 72
    assert "/attn/Constant_output_0" not in model.weights


def test_integer_tensor_read_as_a_learned_operand_is_not_a_parameter(tmp_path):
    b = GraphBuilder()
    x = b.input("x", [1, 4], INT64)
    y = b.node("Add", [x, b.init("offsets", [1, 4], np.arange(4), INT64)])
    model, totals = _totals(tmp_path, b, y)
    assert totals.params == 0 and "offsets" not in model.weights


def test_lstm_zero_state_read_through_expand_is_a_non_trainable_buffer(tmp_path):
    # TorchScript's nn.LSTM: Expand(Constant zeros [1, 1, H], Concat(shape)) -> initial_h/c
    b = GraphBuilder()
    x = b.input("x", [10, "batch", 8])
    shape = b.node("Concat", [b.constant("d", np.array([1])), b.node("Slice", [
        b.node("Shape", [x]), b.constant("s", np.array([1])), b.constant("e", np.array([2]))]),
        b.constant("h", np.array([16]))], axis=0)
    h0 = b.node("Expand", [b.init("/l/Constant_output_0", [1, 1, 16], "zeros"), shape])
    c0 = b.node("Expand", [b.init("/l/Constant_1_output_0", [1, 1, 16], "zeros"), shape])
    w, r, bias = b.init("W", [1, 64, 8]), b.init("R", [1, 64, 16]), b.init("B", [1, 128])
    y = b.node("LSTM", [x, w, r, bias, "", h0, c0], 3, name="/l/LSTM", hidden_size=16)[0]
    _, totals = _totals(tmp_path, b, y)
    assert totals.trainable == 4 * 16 * 8 + 4 * 16 * 16 + 8 * 16  # torch's nn.LSTM(8, 16)
    assert totals.non_trainable == 2 * 16


def _rotary(b: GraphBuilder, q: str, cos: str, sin: str) -> str:
    """``q*cos + rotate_half(q)*sin`` as dynamo writes it."""
    half1 = b.node("Slice", [q, b.constant(f"{q}s0", np.array([0])), b.constant(f"{q}e0", np.array([4])),
                             b.constant(f"{q}a0", np.array([-1]))])
    half2 = b.node("Slice", [q, b.constant(f"{q}s1", np.array([4])), b.constant(f"{q}e1", np.array([8])),
                             b.constant(f"{q}a1", np.array([-1]))])
    rotated = b.node("Concat", [b.node("Neg", [half2]), half1], axis=-1)
    return b.node("Add", [b.node("Mul", [q, cos]), b.node("Mul", [rotated, sin])])


def test_folded_rotary_tables_and_causal_mask_are_non_trainable(tmp_path):
    # dynamo's Llama: cos/sin folded to [1, 1, T, d] constants, mask [1, 1, T, T]
    b = GraphBuilder()
    x = b.input("x", [1, 2, 6, 8])  # [batch, heads, tokens, head_dim]
    cos, sin = b.init("unsqueeze_14", [1, 1, 6, 8]), b.init("unsqueeze_15", [1, 1, 6, 8])
    q = _rotary(b, b.node("Identity", [x]), cos, sin)
    k = _rotary(b, b.node("Relu", [x]), cos, sin)
    scores = b.node("MatMul", [q, b.node("Transpose", [k], perm=[0, 1, 3, 2])])
    scores = b.node("Add", [scores, b.init("val_216", [1, 1, 6, 6])])
    y = b.node("Softmax", [scores], axis=-1)
    model, totals = _totals(tmp_path, b, y)
    assert totals.trainable == 0
    assert totals.non_trainable == 2 * 48 + 36
    assert not any(w.trainable for w in model.weights.values())


def test_per_head_bias_added_to_scores_and_a_position_embedding_stay_trainable(tmp_path):
    # Swin's relative-position bias folded per head; ViT's learned position embedding
    b = GraphBuilder()
    x = b.input("x", [1, 6, 8])
    t = b.node("Add", [x, b.init("pos_embedding", [1, 6, 8])])
    q = b.node("Reshape", [t, b.constant("shp", np.array([1, 6, 2, 4]))])
    q = b.node("Transpose", [q], perm=[0, 2, 1, 3])
    scores = b.node("MatMul", [q, b.node("Transpose", [q], perm=[0, 1, 3, 2])])
    y = b.node("Add", [scores, b.init("onnx::Add_8142", [1, 2, 6, 6])])
    _, totals = _totals(tmp_path, b, y)
    assert totals.trainable == 48 + 72 and totals.non_trainable == 0


def test_inv_freq_expanded_into_a_matmul_before_cos_and_sin_is_derived(tmp_path):
    # transformers' rotary embedding computed in the graph: inv_freq[None, :, None] @ positions
    b = GraphBuilder()
    pos = b.input("positions", [1, 1, 6])
    inv = b.node("Expand", [b.init("inv_freq", [1, 4, 1]),
                            b.node("Shape", [pos], start=0, end=1)])
    inv = b.node("Expand", [inv, b.constant("full", np.array([1, 4, 1]))])
    freqs = b.node("Transpose", [b.node("MatMul", [inv, pos])], perm=[0, 2, 1])
    emb = b.node("Concat", [freqs, freqs], axis=-1)
    y = b.node("Add", [b.node("Cos", [emb]), b.node("Sin", [emb])])
    model, totals = _totals(tmp_path, b, y)
    assert totals.trainable == 0 and totals.non_trainable == 4


def test_a_weight_matrix_before_a_sine_stays_trainable(tmp_path):
    # a SIREN layer: sin(W x + b) learns W
    b = GraphBuilder()
    x = b.input("x", [1, 2])
    y = b.node("Sin", [linear_matmul(b, x, 2, 16, scope="/siren")])
    _, totals = _totals(tmp_path, b, y)
    assert totals.trainable == 2 * 16 + 16


def test_dynamic_quantisation_weight_scales_and_zero_points_are_non_trainable(tmp_path):
    # onnxruntime quantize_dynamic on a Linear(8, 4): the weight scale is a
    # single element, yet a quantisation parameter, not a literal
    b = GraphBuilder()
    x = b.input("x", [1, 8])
    xq, xs, xz = b.node("DynamicQuantizeLinear", [x], 3)
    scale = b.node("Mul", [xs, b.init("w_scale", [], 0.01)])
    wq = b.init("w_quantized", [8, 4], np.arange(32).reshape(8, 4), TensorProto.INT8)
    mm = b.node("MatMulInteger", [xq, wq, xz, b.init("w_zero_point", [], 0, TensorProto.INT8)])
    y = b.node("Mul", [b.node("Cast", [mm], to=TensorProto.FLOAT), scale])
    y = b.node("Add", [y, b.init("bias", [4])])
    _, totals = _totals(tmp_path, b, y)
    assert totals.trainable == 8 * 4 + 4
    assert totals.non_trainable == 1 + 1
