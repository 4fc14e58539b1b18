"""The format 2 architecture files hold their published counts, digit for digit.

Truth: the papers' and model cards' figures (Llama-2-7B 6,738,415,616;
GPT-2 124,439,808; BERT-base with pooler 109,482,240; Mixtral-8x7B
46,702,792,704 and 12,879,925,248 active; torchvision ViT-B/16 86,567,656),
and hand arithmetic for what a change of ``kv_heads`` must do.
"""

from __future__ import annotations

import re

import pytest

from paramlint.analysis.axes import contracted
from paramlint.analysis.counting import count
from paramlint.lint.engine import Settings, run_rules
from paramlint.loaders.yaml.loader import load
from paramlint.lint.plugins import discover

from yaml_helpers import FIXTURES, write

PUBLISHED = {
    "llama2-7b.yaml": 6_738_415_616,
    "gpt2.yaml": 124_439_808,
    "bert-base.yaml": 109_482_240,
    "mixtral-8x7b.yaml": 46_702_792_704,
    "vit-b16.yaml": 86_567_656,
    "t5-small.yaml": 60_506_624,  # transformers' T5ForConditionalGeneration(T5Config()).num_parameters()
}


def fixture(name: str):
    return load(str(FIXTURES / name))


@pytest.mark.parametrize("name, published", sorted(PUBLISHED.items()))
def test_fixture_holds_its_published_count(name, published):
    totals = count(fixture(name)).totals
    assert totals.params == totals.trainable == published
    assert totals.non_trainable == 0 and totals.unused_params == 0


def test_gpt2_head_tied_to_the_token_embedding_is_counted_once():
    model = fixture("gpt2.yaml")
    counts = count(model)
    # 50,257 x 768: the table read by the embedding and, transposed, by the head.
    assert counts.totals.tied_savings == 50_257 * 768 == 38_597_376
    assert counts.totals.per_use_params == 124_439_808 + 38_597_376
    (tie,) = counts.ties
    assert tie.name == "wte.table" and tie.layers == ["wte", "lm_head"]
    assert model.layer("lm_head").weights == ["wte.table"]


def test_t5_one_table_read_by_encoder_decoder_and_head():
    model = fixture("t5-small.yaml")
    (tie,) = count(model).ties
    assert tie.layers == ["shared", "decoder_embed", "lm_head"]
    assert count(model).totals.tied_savings == 2 * 32_128 * 512
    cross = model.layer("decoder.4.cross_attention")
    assert cross.inputs == ["decoder.4.norm_2", "encoder_norm"]
    assert (cross.attrs["q_len"], cross.attrs["kv_len"]) == (128, 512)


def test_mixtral_active_params_per_token():
    totals = count(fixture("mixtral-8x7b.yaml")).totals
    assert totals.active_params == 12_879_925_248
    # Hand arithmetic: 6 of 8 experts of 3 x 4096 x 14336 idle in each of 32 layers.
    assert totals.params - totals.active_params == 32 * 6 * 3 * 4096 * 14336


@pytest.mark.parametrize("name", ["llama2-7b.yaml", "gpt2.yaml", "bert-base.yaml", "vit-b16.yaml", "t5-small.yaml"])
def test_active_params_equal_params_without_experts(name):
    totals = count(fixture(name)).totals
    assert totals.active_params == totals.params


def test_llama_kv_heads_32_to_8_lowers_each_attention_by_2x24x128x4096(tmp_path):
    text = (FIXTURES / "llama2-7b.yaml").read_text(encoding="utf-8")
    assert text.count("kv_heads: 32") == 1
    gqa = load(write(tmp_path, text.replace("kv_heads: 32", "kv_heads: 8"), "llama-gqa.yaml"))
    mha = fixture("llama2-7b.yaml")
    before = count(mha).layers["layers.0.self_attn"].params
    after = count(gqa).layers["layers.0.self_attn"].params
    assert before - after == 2 * 24 * 128 * 4096 == 25_165_824
    assert count(mha).totals.params - count(gqa).totals.params == 32 * 25_165_824


def test_every_decoder_layer_is_one_attention_and_one_mlp_row():
    model = fixture("llama2-7b.yaml")
    ops = [layer.op for layer in model.layers if layer.weights]
    assert ops.count("attention") == 32 and ops.count("gated_mlp") == 32
    assert model.layer("layers.31.mlp").module == "layers.31.mlp"


def _findings(model, codes):
    rules = [r for r in discover().rules if r.code in codes]
    found, _ = run_rules(model, rules, Settings())
    return found


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_no_dense_on_spatial_or_dense_dominates_noise(name):
    model = fixture(name)
    assert _findings(model, {"PRM301", "PRM302"}) == []


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_every_dense_of_a_fixture_contracts_channels_alone(name):
    # axis provenance, what PRM301 asks: a per-token dense (the heads, the
    # pooler) reads features, never positions
    model = fixture(name)
    dense = [layer for layer in model.layers if layer.op == "dense"]
    assert dense
    for layer in dense:
        assert contracted(model, layer).kinds == {"channel"}, layer.name


def test_dense_on_a_flattened_map_still_warns_in_format_2(tmp_path):
    model = load(write(tmp_path, """
        paramlint: 2
        input: [512, 7, 7]
        layers:
          - {type: flatten}
          - {name: fc6, type: dense, units: 4096}
    """))
    (finding,) = _findings(model, {"PRM301"})
    assert finding.layer == "fc6" and finding.extra["pooled_params"] == 512 * 4096 + 4096


# ------------------------------------------------------------ reports


def _cli(*args):
    from click.testing import CliRunner

    from paramlint.cli.app import main

    return CliRunner().invoke(main, [str(a) for a in args])


def test_json_totals_carry_active_params_beside_params():
    import json

    result = _cli("report", "--format", "json", FIXTURES / "mixtral-8x7b.yaml", FIXTURES / "alexnet.yaml")
    mixtral, alexnet = json.loads(result.output)["models"]
    assert mixtral["totals"]["active_params"] == 12_879_925_248
    assert alexnet["totals"]["active_params"] == alexnet["totals"]["params"] == 62_378_344


def test_text_report_prints_active_params_only_for_a_mixture_of_experts():
    mixtral = _cli("report", FIXTURES / "mixtral-8x7b.yaml").output
    assert re.search(r"^Active params/token: +12,879,925,248$", mixtral, re.M)
    # a per-token figure too wide for its column is printed whole, never cut
    assert "5,772,570,263,552" in mixtral and "…263" not in mixtral
    assert "Active params" not in _cli("report", FIXTURES / "llama2-7b.yaml").output


def test_markdown_and_html_show_active_params_of_a_mixture_of_experts():
    assert "| Active per token | 12,879,925,248 |" in _cli("report", "-f", "markdown",
                                                         FIXTURES / "mixtral-8x7b.yaml").output
    assert "12,879,925,248 active per token" in _cli("report", "-f", "html", FIXTURES / "mixtral-8x7b.yaml").output
    assert "active per token" not in _cli("report", "-f", "html", FIXTURES / "gpt2.yaml").output


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_check_passes_on_every_transformer_fixture(name):
    result = _cli("check", FIXTURES / name)
    assert result.exit_code == 0, result.output
    assert "PRM301" not in result.output and "PRM302" not in result.output


# ------------------------------------------------------------ against a real export

VIT_EXPORTS = FIXTURES / "exports" / "torchvision"


def _vit_truth() -> int:
    import json

    return json.loads((VIT_EXPORTS / "vit_b_16.truth.json").read_text(encoding="utf-8"))["params"]["trainable"]


def test_vit_yaml_equals_torchvisions_own_count():
    assert _vit_truth() == count(fixture("vit-b16.yaml")).totals.params == 86_567_656


@pytest.mark.parametrize("exporter", ["ts", "dynamo"])
def test_vit_yaml_equals_the_exports_report_params_and_macs(exporter):
    from paramlint.lint.engine import load_model
    from paramlint.analysis.macs import compute

    yaml_model = fixture("vit-b16.yaml")
    onnx_model = load_model(str(VIT_EXPORTS / f"vit_b_16.{exporter}.onnx"))
    assert not onnx_model.failed
    assert count(onnx_model).totals.trainable == count(yaml_model).totals.params
    # the same 17.56 G from two independent descriptions of one network
    assert compute(onnx_model).total == compute(yaml_model).total == 17_563_828_224
