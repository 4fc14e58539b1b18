"""Format 2 layer types: output shapes and parameters against hand arithmetic."""

from __future__ import annotations

import pytest

from paramlint.analysis.counting import count

from yaml_helpers import load_text, params


def model2(tmp_path, input_shape, *layers: str):
    body = "".join(f"  - {layer}\n" for layer in layers)
    return load_text(tmp_path, f"paramlint: 2\ninput: {input_shape}\nlayers:\n{body}")


def only(tmp_path, input_shape, layer: str):
    """(params, output shape, layer) of a one-layer format 2 model."""
    model = model2(tmp_path, input_shape, layer)
    first = model.layers[0]
    return params(model, first), first.output_shape, first


# ------------------------------------------------------------ per token


def test_dense_acts_on_the_last_axis_at_every_token(tmp_path):
    p, shape, layer = only(tmp_path, [128, 768], "{type: dense, units: 3072}")
    assert shape == (128, 3072)
    assert p == 768 * 3072 + 3072
    assert layer.attrs["positions"] == 128


def test_dense_on_a_vector_is_the_format_1_dense(tmp_path):
    p, shape, layer = only(tmp_path, [768], "{type: dense, units: 10}")
    assert (p, shape) == (768 * 10 + 10, (10,))
    assert "positions" not in layer.attrs


def test_format_1_dense_still_flattens(tmp_path):
    model = load_text(tmp_path, "input: [128, 768]\nlayers:\n  - {type: dense, units: 10}\n")
    assert model.layers[0].output_shape == (10,)
    assert params(model, model.layers[0]) == 128 * 768 * 10 + 10


def test_per_token_dense_is_shared_t_times(tmp_path):
    model = model2(tmp_path, [50, 64], "{name: fc, type: dense, units: 32}")
    sharing = count(model).layers["fc"].sharing
    p = 64 * 32 + 32
    assert (sharing.shared, sharing.unshared, sharing.savings, sharing.factor) == (p, 50 * p, 49 * p, 50)
    assert sharing.dense_equivalent is None  # as for a recurrent layer
    totals = count(model).totals
    assert totals.unshared_params == 50 * p and totals.sharing_savings == 49 * p


@pytest.mark.parametrize("layer, expected", [
    ("{type: layernorm}", 2 * 512),
    ("{type: layernorm, bias: false}", 512),
    ("{type: layernorm, affine: false}", 0),
    ("{type: rmsnorm}", 512),
    ("{type: rmsnorm, affine: false}", 0),
])
def test_norms_on_the_last_axis(tmp_path, layer, expected):
    p, shape, _ = only(tmp_path, [16, 512], layer)
    assert (p, shape) == (expected, (16, 512))


def test_embedding_gives_tokens_first(tmp_path):
    p, shape, _ = only(tmp_path, [10], "{type: embedding, num_embeddings: 100, dim: 8}")
    assert (p, shape) == (800, (10, 8))


@pytest.mark.parametrize("layer, expected", [
    # up 64->256, down 256->64, biases
    ("{type: mlp, hidden: 256}", 64 * 256 + 256 + 256 * 64 + 64),
    # gate and up 64->256, down 256->64, no biases: three projections
    ("{type: gated_mlp, hidden: 256, bias: false}", 3 * 64 * 256),
    ("{type: gated_mlp, hidden: 256, bias: false, fused: true}", 3 * 64 * 256),
    ("{type: mlp, hidden: 256, gated: true}", 2 * (64 * 256 + 256) + 256 * 64 + 64),
    ("{type: mlp, hidden: 256, out: 32}", 64 * 256 + 256 + 256 * 32 + 32),
])
def test_mlps(tmp_path, layer, expected):
    p, shape, _ = only(tmp_path, [7, 64], layer)
    assert p == expected
    assert shape[0] == 7


def test_gated_mlp_from_its_pieces_equals_the_gated_mlp(tmp_path):
    pieces = model2(tmp_path, [7, 64],
                    "{name: gate, type: dense, units: 256, bias: false}",
                    "{type: silu}",
                    "{name: up, type: dense, units: 256, bias: false, inputs: input}",
                    "{name: prod, type: multiply, inputs: [silu_2, up]}",
                    "{name: down, type: dense, units: 64, bias: false}")
    assert count(pieces).totals.params == 3 * 64 * 256
    assert pieces.layer("down").output_shape == (7, 64)


def test_recurrent_layers_read_time_first(tmp_path):
    p, shape, layer = only(tmp_path, [30, 16], "{type: lstm, units: 8}")
    assert shape == (30, 8)
    assert p == 4 * (16 * 8 + 8 * 8 + 2 * 8)
    assert layer.attrs["sequence_length"] == 30


# ------------------------------------------------------------ attention


def attention(tmp_path, fields: str, shape=(10, 512)):
    p, out, layer = only(tmp_path, list(shape), "{type: attention, " + fields + "}")
    return p, out, layer


def test_multi_head_attention_four_projections(tmp_path):
    p, out, layer = attention(tmp_path, "heads: 8")
    assert out == (10, 512)
    assert p == 4 * (512 * 512 + 512)
    assert (layer.attrs["head_dim"], layer.attrs["kv_heads"]) == (64, 8)


def test_fused_qkv_counts_the_same_as_separate(tmp_path):
    assert attention(tmp_path, "heads: 8, qkv: fused")[0] == attention(tmp_path, "heads: 8")[0]


def test_grouped_query_attention_shrinks_k_and_v(tmp_path):
    # q: 512 -> 8*64, k and v: 512 -> 2*64, out: 8*64 -> 512; no biases
    p, _, _ = attention(tmp_path, "heads: 8, kv_heads: 2, bias: false")
    assert p == 512 * 512 + 2 * 512 * 128 + 512 * 512


def test_multi_query_attention(tmp_path):
    p, _, _ = attention(tmp_path, "heads: 8, kv_heads: 1, bias: false")
    assert p == 2 * 512 * 512 + 2 * 512 * 64


def test_explicit_head_dim_and_bias_split(tmp_path):
    # Qwen2-style: q/k/v biased, output not; head_dim independent of D
    p, out, _ = attention(tmp_path, "heads: 4, kv_heads: 2, head_dim: 32, qkv_bias: true, out_bias: false")
    q, kv = 4 * 32, 2 * 32
    assert p == (512 * q + q) + 2 * (512 * kv + kv) + q * 512
    assert out == (10, 512)


@pytest.mark.parametrize("norm, scope, expected", [
    ("rmsnorm", "head", 2 * 64),            # Qwen3: one head_dim scale each for q and k
    ("layernorm", "head", 2 * 2 * 64),
    ("rmsnorm", "all", 8 * 64 + 2 * 64),    # OLMo-2: over all q (and all k) features
])
def test_qk_norm(tmp_path, norm, scope, expected):
    base = attention(tmp_path, "heads: 8, kv_heads: 2, bias: false")[0]
    p = attention(tmp_path, f"heads: 8, kv_heads: 2, bias: false, qk_norm: {norm}, qk_norm_scope: {scope}")[0]
    assert p - base == expected


def test_relative_position_bias_table(tmp_path):
    # T5: 32 buckets, one learned bias per head; Swin-T stage 1: (2*7-1)^2 offsets, 3 heads
    base = attention(tmp_path, "heads: 8, bias: false")[0]
    assert attention(tmp_path, "heads: 8, bias: false, relative_bias: 32")[0] - base == 32 * 8
    swin = attention(tmp_path, "heads: 3, bias: true, relative_bias: 169", shape=(49, 96))[0]
    assert swin == 4 * (96 * 96 + 96) + 169 * 3


def test_attention_without_output_projection(tmp_path):
    p, out, _ = attention(tmp_path, "heads: 8, out_proj: false, bias: false")
    assert p == 3 * 512 * 512 and out == (10, 512)


def test_cross_attention_reads_keys_and_values_from_the_memory(tmp_path):
    model = load_text(tmp_path, """
        paramlint: 2
        inputs: {x: [10, 512], memory: [77, 768]}
        layers:
          - {name: xattn, type: attention, heads: 8, inputs: [x, memory], bias: false}
    """)
    layer = model.layers[0]
    assert layer.output_shape == (10, 512)
    assert params(model, layer) == 512 * 512 + 2 * 768 * 512 + 512 * 512
    assert (layer.attrs["q_len"], layer.attrs["kv_len"], layer.attrs["cross"]) == (10, 77, True)
    assert count(model).layers["xattn"].sharing.factor == 10  # applied at each query


def test_attention_is_shared_across_its_tokens(tmp_path):
    model = model2(tmp_path, [197, 768], "{name: attn, type: attention, heads: 12}")
    p = 4 * (768 * 768 + 768)
    sharing = count(model).layers["attn"].sharing
    assert (sharing.shared, sharing.unshared, sharing.factor) == (p, 197 * p, 197)


# ------------------------------------------------------------ tokens


def test_vision_tokens_class_token_and_positions(tmp_path):
    model = model2(tmp_path, [3, 32, 32],
                   "{type: conv2d, filters: 64, kernel: 8, stride: 8}",
                   "{name: t, type: tokens}",
                   "{name: cls, type: class_token, count: 2}",
                   "{name: pos, type: position_embedding}",
                   "{name: first, type: select, index: 0}")
    assert model.layer("t").output_shape == (16, 64)
    assert model.layer("cls").output_shape == (18, 64)
    assert params(model, model.layer("cls")) == 2 * 64
    assert params(model, model.layer("pos")) == 18 * 64
    assert model.layer("first").output_shape == (64,)


def test_position_table_may_be_longer_than_the_input(tmp_path):
    p, shape, _ = only(tmp_path, [100, 32], "{type: position_embedding, max_positions: 512}")
    assert (p, shape) == (512 * 32, (100, 32))


@pytest.mark.parametrize("layer, shape", [
    ("{type: mean}", (32,)),
    ("{type: mean, axis: -1}", (100,)),
    ("{type: select, axis: 1, index: -1}", (100,)),
    ("{type: transpose}", (32, 100)),
    ("{type: transpose, perm: [1, 0]}", (32, 100)),
])
def test_shape_only_token_layers(tmp_path, layer, shape):
    p, out, _ = only(tmp_path, [100, 32], layer)
    assert (p, out) == (0, shape)


# ------------------------------------------------------------ moe


def test_moe_stacks_the_expert_and_charges_top_k_of_it(tmp_path):
    model = model2(tmp_path, [5, 64],
                   "{name: moe, type: moe, experts: 4, top_k: 1, shared_experts: 1,"
                   " expert: {type: gated_mlp, hidden: 128, bias: false}}")
    expert = 3 * 64 * 128
    layer = model.layers[0]
    assert layer.output_shape == (5, 64)
    assert params(model, layer) == 4 * 64 + 4 * expert + expert  # router, routed, shared
    totals = count(model).totals
    assert totals.params == 4 * 64 + 5 * expert
    assert totals.active_params == 4 * 64 + 1 * expert + expert
    assert model.weights["moe.experts.gate_kernel"].shape == (4, 128, 64)


def test_moe_expert_as_a_list_of_layers(tmp_path):
    model = model2(tmp_path, [5, 64],
                   "{name: moe, type: moe, experts: 8, top_k: 2, router_bias: true, expert: ["
                   "{name: fc1, type: dense, units: 256}, {type: gelu}, {name: fc2, type: dense, units: 64}]}")
    expert = (64 * 256 + 256) + (256 * 64 + 64)
    assert count(model).totals.params == (8 * 64 + 8) + 8 * expert
    assert count(model).totals.active_params == (8 * 64 + 8) + 2 * expert
    assert "moe.experts.fc1.kernel" in model.weights


def test_moe_in_shared_repeats_is_charged_once(tmp_path):
    model = load_text(tmp_path, """
        paramlint: 2
        input: [5, 16]
        layers:
          - type: block
            name: b
            repeat: 3
            share_repeats: true
            layers:
              - {name: moe, type: moe, experts: 4, top_k: 2, expert: {type: dense, units: 16, bias: false}}
    """)
    totals = count(model).totals
    assert totals.params == 4 * 16 + 4 * 256
    assert totals.active_params == 4 * 16 + 2 * 256


# ------------------------------------------------------------ ties


def test_tied_head_with_its_own_bias(tmp_path):
    # BERT's MLM decoder: the table tied, a bias of its own
    model = model2(tmp_path, [12],
                   "{name: emb, type: embedding, num_embeddings: 1000, dim: 64}",
                   "{name: head, type: dense, units: 1000, share: emb}")
    head = model.layer("head")
    assert head.weights == ["emb.table", "head.bias"]
    totals = count(model).totals
    assert totals.params == 1000 * 64 + 1000
    assert totals.tied_savings == 1000 * 64


def test_embedding_may_share_an_earlier_head(tmp_path):
    model = load_text(tmp_path, """
        paramlint: 2
        inputs: {h: [4, 64], ids: [4]}
        layers:
          - {name: head, type: dense, units: 1000, bias: false, inputs: h}
          - {name: emb, type: embedding, num_embeddings: 1000, dim: 64, inputs: ids, share: head}
    """)
    assert model.layer("emb").weights == ["head.kernel"]
    assert count(model).totals.tied_savings == 64_000


def test_yaml_layers_carry_their_module_path(tmp_path):
    model = load_text(tmp_path, """
        paramlint: 2
        input: [4, 8]
        layers:
          - {name: stem, type: dense, units: 8}
          - type: block
            name: layers
            repeat: 2
            layers:
              - {name: attn, type: attention, heads: 2}
    """)
    assert [layer.module for layer in model.layers] == ["stem", "layers.0.attn", "layers.1.attn"]


# ------------------------------------------------------------ axis provenance


@pytest.mark.parametrize("layers, kinds", [
    # a tagger: per-token head after an LSTM over [T, F]
    (["{type: embedding, num_embeddings: 100, dim: 16}", "{type: lstm, units: 8}",
      "{name: head, type: dense, units: 5}"], {"channel"}),
    # a ViT-style head on the class token
    (["{type: conv2d, filters: 8, kernel: 4, stride: 4}", "{type: tokens}", "{type: class_token}",
      "{type: select}", "{name: head, type: dense, units: 5}"], {"channel"}),
    # a classifier on a flattened map: channels and positions, what PRM301 is for
    (["{type: conv2d, filters: 8, kernel: 4, stride: 4}", "{type: flatten}",
      "{name: head, type: dense, units: 5}"], {"channel", "space"}),
])
def test_what_a_format_2_dense_contracts(tmp_path, layers, kinds):
    from paramlint.analysis.axes import contracted

    shape = [30] if "embedding" in layers[0] else [3, 16, 16]
    model = model2(tmp_path, shape, *layers)
    assert contracted(model, model.layer("head")).kinds == kinds
