"""MACs of the format 2 transformer layers, against hand arithmetic and
torchvision's published ViT-B/16 figure (17.56 GFLOPS, which are MACs)."""

from __future__ import annotations

from paramlint.analysis.macs import compute

from yaml_helpers import FIXTURES, load_text
from paramlint.loaders.yaml.loader import load


def macs_of(tmp_path, text: str) -> dict:
    return compute(load_text(tmp_path, "paramlint: 2\n" + text)).layers


def test_self_attention_projections_and_both_products(tmp_path):
    macs = macs_of(tmp_path, "input: [10, 512]\nlayers:\n  - {name: a, type: attention, heads: 8}\n")
    # q, k, v, out: 4 x T x 512 x 512; Q*K^T and A*V: 8 heads x 10 x 10 x 64 each
    assert macs["a"] == 4 * 10 * 512 * 512 + 2 * 8 * 10 * 10 * 64


def test_grouped_query_attention_shrinks_only_the_kv_projections(tmp_path):
    text = "input: [10, 512]\nlayers:\n  - {name: a, type: attention, heads: 8, kv_heads: %d}\n"
    mha = macs_of(tmp_path, text % 8)["a"]
    gqa = macs_of(tmp_path, text % 2)["a"]
    # k and v project to 2 x 64 instead of 8 x 64; every query head still meets every key
    assert mha - gqa == 2 * 10 * 512 * (8 - 2) * 64


def test_cross_attention_uses_both_lengths(tmp_path):
    macs = macs_of(tmp_path, "inputs: {x: [10, 512], m: [77, 768]}\nlayers:\n"
                             "  - {name: a, type: attention, heads: 8, inputs: [x, m]}\n")
    q = 10 * 512 * 512
    kv = 2 * 77 * 768 * 512
    out = 10 * 512 * 512
    assert macs["a"] == q + kv + out + 2 * 8 * 10 * 77 * 64


def test_per_token_dense_and_mlps(tmp_path):
    macs = macs_of(tmp_path, "input: [7, 64]\nlayers:\n"
                             "  - {name: d, type: dense, units: 32}\n"
                             "  - {name: m, type: mlp, hidden: 128}\n"
                             "  - {name: g, type: gated_mlp, hidden: 128, out: 64}\n")
    assert macs["d"] == 7 * 64 * 32
    assert macs["m"] == 7 * (32 * 128 + 128 * 32)
    assert macs["g"] == 7 * (2 * 32 * 128 + 128 * 64)


def test_moe_counts_the_router_and_only_the_routed_experts(tmp_path):
    macs = macs_of(tmp_path, "input: [5, 64]\nlayers:\n"
                             "  - {name: e, type: moe, experts: 8, top_k: 2, shared_experts: 1,"
                             " expert: {type: gated_mlp, hidden: 256, bias: false}}\n")
    expert = 3 * 64 * 256
    assert macs["e"] == 5 * (64 * 8 + (2 + 1) * expert)


def test_recurrent_layer_reads_time_first_in_format_2(tmp_path):
    macs = macs_of(tmp_path, "input: [30, 16]\nlayers:\n  - {name: r, type: lstm, units: 8}\n")
    assert macs["r"] == 30 * 4 * 8 * (16 + 8)


def test_vit_b16_matches_torchvision_17_56_gmacs():
    result = compute(load(str(FIXTURES / "vit-b16.yaml")))
    assert not result.lower_bound
    assert round(result.total / 1e9, 2) == 17.56


def test_gpt2_macs_at_1024_tokens_by_hand():
    result = compute(load(str(FIXTURES / "gpt2.yaml")))
    per_token = 12 * (768 * 2304 + 768 * 768 + 2 * 768 * 3072) + 768 * 50257  # layers + tied head
    attention = 12 * 2 * 12 * 1024 * 1024 * 64
    assert result.total == 1024 * per_token + attention
