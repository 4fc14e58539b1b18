"""Format 2's issue 27 gains: per-projection bias, trainable: false, shared experts of their own width.

Figures are hand arithmetic from each layer's formula (docs/yaml-format-2.md)
and the module sizes transformers reports for the models that need them
(fixtures/hf/truth.json: Qwen1.5-MoE-A2.7B's layer 0 mlp, 553,773,056).
"""

from __future__ import annotations

import pytest

from paramlint.analysis.counting import count
from paramlint.analysis.macs import compute

from yaml_helpers import load_text, params, refusal, totals


def model2(tmp_path, input_shape, *layers: str):
    body = "".join(f"  - {layer}\n" for layer in layers)
    return load_text(tmp_path, f"paramlint: 2\ninput: {input_shape}\nlayers:\n{body}")


def test_bias_mapping_gives_each_projection_its_own_bias(tmp_path):
    # Whisper: q, v and out have a bias, k none (a bias on k in its 36 attentions would add 36 x 768 = 27,648)
    model = model2(tmp_path, [10, 768], "{type: attention, heads: 12, bias: {q: true, k: false, v: true, o: true}}")
    layer = model.layers[0]
    assert params(model, layer) == 4 * 768 * 768 + 3 * 768
    assert not any(name.endswith("k_bias") for name in layer.weights)


def test_projection_left_out_of_the_mapping_has_no_bias(tmp_path):
    model = model2(tmp_path, [10, 64], "{type: attention, heads: 4, bias: {q: true}}")
    assert params(model, model.layers[0]) == 4 * 64 * 64 + 64


@pytest.mark.parametrize("layer,why", [
    ("{type: attention, heads: 4, bias: {q: true, kk: false}}", "unknown projection 'kk' (did you mean 'k'?)"),
    ("{type: attention, heads: 4, bias: {q: 1}}", "field 'bias.q' must be true or false"),
    ("{type: attention, heads: 4, qkv: fused, bias: {q: true, k: false, v: true}}", "stores one bias for q, k and v"),
])
def test_bad_bias_mapping_is_refused(tmp_path, layer, why):
    error = refusal(tmp_path, f"paramlint: 2\ninput: [10, 64]\nlayers:\n  - {layer}\n")
    assert why in error.message and error.location.line == 4


def test_trainable_false_keeps_the_params_and_counts_them_non_trainable(tmp_path):
    # Whisper-small's encoder positions: a sinusoidal [1500, 768] table stored, never trained
    model = model2(tmp_path, [1500, 768], "{type: position_embedding, max_positions: 1500, trainable: false}",
                   "{type: dense, units: 8}")
    assert totals(model) == (768 * 8 + 8, 1500 * 768)
    c = count(model).totals
    assert (c.params, c.trainable, c.non_trainable) == (1500 * 768 + 768 * 8 + 8, 768 * 8 + 8, 1500 * 768)


def test_trainable_must_be_a_boolean_and_needs_format_2(tmp_path):
    assert "field 'trainable' must be true or false" in refusal(
        tmp_path, "paramlint: 2\ninput: [4, 8]\nlayers:\n  - {type: dense, units: 2, trainable: 0}\n").message
    assert "unknown field 'trainable'" in refusal(
        tmp_path, "input: [8]\nlayers:\n  - {type: dense, units: 2, trainable: false}\n").message


def test_shared_expert_of_its_own_width_with_its_gate(tmp_path):
    # Qwen1.5-MoE-A2.7B's layer 0 mlp: 60 experts of 1408, top 4, one shared expert of 5632 with a sigmoid gate
    moe = ("{type: moe, experts: 60, top_k: 4, expert: {type: gated_mlp, hidden: 1408, bias: false}, "
           "shared_expert: {type: gated_mlp, hidden: 5632, bias: false}, shared_expert_gate: true}")
    model = model2(tmp_path, [3, 2048], moe)
    layer = model.layers[0]
    assert params(model, layer) == 553_773_056
    routed, shared = 3 * 2048 * 1408, 3 * 2048 * 5632
    assert compute(model).layers[layer.name] == 3 * (2048 * 60 + 4 * routed + shared + 2048)
    c = count(model).totals
    assert c.active_params == c.params - routed * 56


def test_shared_experts_default_to_copies_of_the_expert(tmp_path):
    model = model2(tmp_path, [3, 64], "{type: moe, experts: 4, top_k: 1, shared_experts: 2, expert: {type: dense, units: 64}}")
    layer = model.layers[0]
    assert params(model, layer) == 4 * 64 + 6 * (64 * 64 + 64)
    assert compute(model).layers[layer.name] == 3 * (64 * 4 + 3 * 64 * 64)


@pytest.mark.parametrize("extra,why", [
    ("shared_experts: 0, shared_expert: {type: dense, units: 64}", "'shared_experts' is 0"),
    ("shared_expert_gate: true", "there are none"),
    ("shared_expert: {type: dense, units: 32}", "differs from the routed experts'"),
])
def test_bad_shared_expert_is_refused(tmp_path, extra, why):
    text = ("paramlint: 2\ninput: [3, 64]\nlayers:\n"
            f"  - {{type: moe, experts: 4, top_k: 1, expert: {{type: dense, units: 64}}, {extra}}}\n")
    assert why in refusal(tmp_path, text).message
