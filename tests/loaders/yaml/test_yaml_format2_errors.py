"""Format 2 refusals: one line, the offending node's line and column, a did-you-mean."""

from __future__ import annotations

import pytest

from yaml_helpers import refusal


def where(error):
    return error.location.line, error.location.column


def two(layer: str, input_shape: str = "[10, 64]") -> str:
    return f"paramlint: 2\ninput: {input_shape}\nlayers:\n  - {layer}\n"


@pytest.mark.parametrize("layer, typo, suggestion", [
    ("{type: attention, heads: 4, kv_head: 2}", "kv_head", "kv_heads"),
    ("{type: attention, heads: 4, head_dims: 16}", "head_dims", "head_dim"),
    ("{type: attention, heads: 4, qkv_bais: false}", "qkv_bais", "qkv_bias"),
    ("{type: attention, heads: 4, out_bais: false}", "out_bais", "out_bias"),
    ("{type: attention, heads: 4, qk_nrom: rmsnorm}", "qk_nrom", "qk_norm"),
    ("{type: attention, heads: 4, out_projection: false}", "out_projection", "out_proj"),
    ("{type: attention, head: 4}", "head", "heads"),
    ("{type: attention, heads: 4, relative_bais: 32}", "relative_bais", "relative_bias"),
    ("{type: mlp, hiden: 32}", "hiden", "hidden"),
    ("{type: gated_mlp, hidden: 32, activaton: silu}", "activaton", "activation"),
    ("{type: gated_mlp, hidden: 32, fuse: true}", "fuse", "fused"),
    ("{type: rmsnorm, afine: false}", "afine", "affine"),
    ("{type: layernorm, biass: false}", "biass", "bias"),
    ("{type: position_embedding, max_position: 64}", "max_position", "max_positions"),
    ("{type: class_token, counts: 2}", "counts", "count"),
    ("{type: select, indx: 0}", "indx", "index"),
    ("{type: transpose, perms: [1, 0]}", "perms", "perm"),
    ("{type: moe, experts: 4, top-k: 1, expert: {type: dense, units: 64}}", "top-k", "top_k"),
    ("{type: moe, experts: 4, top_k: 1, expert: {type: dense, units: 64}, router_bais: true}",
     "router_bais", "router_bias"),
    ("{type: moe, experts: 4, top_k: 1, expert: {type: dense, units: 64}, sharedexperts: 1}",
     "sharedexperts", "shared_experts"),
])
def test_unknown_field_suggests_the_right_one(tmp_path, layer, typo, suggestion):
    error = refusal(tmp_path, two(layer))
    assert f"unknown field '{typo}'" in error.message
    assert f"(did you mean '{suggestion}'?)" in error.message
    assert where(error) == (4, 5 + layer.index(typo))
    assert "\n" not in str(error)


@pytest.mark.parametrize("layer, key, expected", [
    ("{type: attention, heads: 4, qkv: fuse}", "qkv", "did you mean 'fused'?"),
    ("{type: attention, heads: 4, qk_norm: rms_norm}", "qk_norm", "did you mean 'rmsnorm'?"),
    ("{type: mlp, hidden: 32, activation: gleu}", "activation", "did you mean 'gelu'?"),
    ("{type: attention, heads: 0}", "heads", "must be a positive integer, got 0"),
    ("{type: attention, heads: 4, bias: 1}", "bias", "must be true, false or a mapping of q, k, v, o to true or false, got 1"),
    ("{type: moe, experts: 4, top_k: 1, expert: 3}", "expert", "a layer (a mapping with a 'type')"),
])
def test_bad_value_is_refused_at_the_value(tmp_path, layer, key, expected):
    error = refusal(tmp_path, two(layer))
    assert expected in error.message
    assert where(error) == (4, 5 + layer.index(key + ":") + len(key) + 2)


def test_new_type_in_a_format_1_file_says_to_add_the_version(tmp_path):
    error = refusal(tmp_path, "input: [10, 64]\nlayers:\n  - {type: relu}\n  - {type: attention, heads: 4}\n")
    assert where(error) == (4, 12)  # the type's value
    assert "layer type 'attention' needs format 2: add 'paramlint: 2'" in error.message


def test_misspelt_new_type_gets_a_suggestion(tmp_path):
    error = refusal(tmp_path, two("{type: atention, heads: 4}"))
    assert "unknown layer type 'atention' (did you mean 'attention'?)" in error.message


def test_dense_on_a_map_in_format_2_says_flatten_or_tokens(tmp_path):
    error = refusal(tmp_path, two("{name: fc, type: dense, units: 10}", "[512, 7, 7]"))
    assert where(error) == (4, 5)
    assert error.message.startswith("dense 'fc': acts on the last axis of its input in format 2")
    assert "add 'flatten' before it" in error.message and "'tokens'" in error.message


@pytest.mark.parametrize("layer, message", [
    ("{type: attention, heads: 6}", "the input width 64 (D of [T, D]) is not divisible by heads (6); give 'head_dim'"),
    ("{type: attention, heads: 4, kv_heads: 3}", "heads (4) must be a multiple of kv_heads (3)"),
    ("{type: attention, heads: 4, out_proj: false, out_dim: 32}", "'out_proj' is false"),
    ("{type: mlp, hidden: 32, fused: true}", "this MLP is not gated"),
    ("{type: position_embedding, max_positions: 5}", "the input has 10 positions, more than max_positions (5)"),
    ("{type: select, index: 10}", "index 10 is out of range for axis 0 of size 10"),
    ("{type: transpose, perm: [0, 0]}", "perm [0, 0] is not a permutation"),
    ("{type: moe, experts: 2, top_k: 3, expert: {type: dense, units: 64}}", "top_k (3) cannot exceed experts (2)"),
])
def test_inconsistent_layers_are_refused(tmp_path, layer, message):
    error = refusal(tmp_path, two(layer))
    assert message in error.message
    assert error.location.line == 4


def test_cross_attention_cannot_fuse_qkv(tmp_path):
    line = "  - {type: attention, heads: 4, qkv: fused, inputs: [x, m]}"
    error = refusal(tmp_path, f"paramlint: 2\ninputs: {{x: [4, 64], m: [9, 64]}}\nlayers:\n{line}\n")
    assert "'qkv: fused' needs self-attention" in error.message
    assert where(error) == (4, 1 + line.index("fused"))


def test_error_inside_an_expert_points_into_the_expert(tmp_path):
    text = ("paramlint: 2\ninput: [10, 64]\nlayers:\n"
            "  - name: moe\n"
            "    type: moe\n"
            "    experts: 4\n"
            "    top_k: 1\n"
            "    expert: {type: gated_mlp, hiden: 128}\n")
    error = refusal(tmp_path, text)
    assert error.message == ("gated_mlp 'moe.expert': unknown field 'hiden' for gated_mlp "
                             "(did you mean 'hidden'?)")
    assert where(error) == (8, 31)


def test_expert_of_a_wrong_type_gets_a_suggestion(tmp_path):
    layer = "{type: moe, experts: 4, top_k: 1, expert: {type: gated_mpl, hidden: 8}}"
    error = refusal(tmp_path, two(layer))
    assert "did you mean 'gated_mlp'?" in error.message
    assert where(error) == (4, 5 + layer.index("gated_mpl"))


def test_tied_head_of_the_wrong_shape_names_both_layers(tmp_path):
    error = refusal(tmp_path, "paramlint: 2\ninput: [12]\nlayers:\n"
                              "  - {name: emb, type: embedding, num_embeddings: 1000, dim: 64}\n"
                              "  - {name: head, type: dense, units: 999, bias: false, share: emb}\n")
    assert error.message.startswith("dense 'head': cannot share the parameters of embedding 'emb': "
                                    "this layer's kernel is [999, 64], 'emb' has table [1000, 64]")
    assert where(error) == (5, 63)


def test_duplicate_expert_layer_names_are_refused(tmp_path):
    layer = ("{type: moe, experts: 2, top_k: 1, expert: [{name: fc, type: dense, units: 64},"
             " {name: fc, type: dense, units: 64}]}")
    error = refusal(tmp_path, two(layer))
    assert "duplicate expert layer name 'fc'" in error.message
    assert where(error) == (4, 5 + layer.rindex("fc"))
