"""KV cache per attention layer and in total (counting.md, "Compute and memory"),
against hand arithmetic: 2 x kv_heads x head_dim x bytes per token per layer."""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper

from paramlint.analysis.kv_cache import kv_cache
from paramlint.lint.engine import load_model
from yaml_helpers import FIXTURES, load_text


def test_llama2_7b_caches_524_288_bytes_per_token_and_2_gib_at_its_4096_tokens():
    kv = kv_cache(load_model(str(FIXTURES / "llama2-7b.yaml")))
    # 32 layers x 2 (key, value) x 32 heads x 128 x 2 bytes (fp16)
    assert kv.bytes_per_token == 32 * 2 * 32 * 128 * 2 == 524_288
    assert kv.context == 4096 and kv.context_source == "model"
    assert kv.bytes == 524_288 * 4096 == 2_147_483_648
    assert {e.kind for e in kv.layers} == {"mha"}


def test_llama2_7b_with_8_kv_heads_caches_a_quarter(tmp_path):
    text = (FIXTURES / "llama2-7b.yaml").read_text().replace("kv_heads: 32", "kv_heads: 8")
    kv = kv_cache(load_text(tmp_path, text))
    assert kv.bytes_per_token == 32 * 2 * 8 * 128 * 2 == 131_072
    assert {e.kind for e in kv.layers} == {"gqa"}


def test_context_batch_and_dtype_scale_the_bytes():
    model = load_model(str(FIXTURES / "llama2-7b.yaml"))
    kv = kv_cache(model, context=1000, batch=3, dtype="fp8")
    assert kv.bytes_per_token == 524_288 // 2
    assert kv.bytes == 3 * 1000 * 262_144 and kv.context_source == "given"


def test_mistral_window_caps_every_layer_at_4096_tokens_of_a_32768_context():
    kv = kv_cache(load_model(str(FIXTURES / "mistral-7b.yaml")))
    assert kv.context == 32_768
    assert all(e.kind == "window" and e.tokens == 4096 for e in kv.layers)
    per_layer = 2 * 8 * 128 * 2
    assert kv.bytes == 32 * 4096 * per_layer == 536_870_912  # 8x less than 32 x 32768 x 4096


ALTERNATING = """\
paramlint: 2
input: [100]
layers:
  - {name: embed, type: embedding, num_embeddings: 10, dim: 32}
  - type: block
    name: layers
    repeat: 4
    layers:
      - {name: attn, type: attention, heads: 4, kv_heads: 2, causal: true, window: 16,
         window_pattern: [slide, full]}
"""


def test_window_pattern_alternates_over_the_repeats(tmp_path):
    kv = kv_cache(load_text(tmp_path, ALTERNATING))
    assert [e.kind for e in kv.layers] == ["window", "gqa", "window", "gqa"]
    assert [e.tokens for e in kv.layers] == [16, 100, 16, 100]
    assert kv.bytes == (16 + 100 + 16 + 100) * 2 * 2 * 8 * 2


def test_t5_decoder_caches_self_and_cross_attention_and_the_encoder_none():
    kv = kv_cache(load_model(str(FIXTURES / "t5-small.yaml")))
    kinds = [e.kind for e in kv.layers]
    assert kinds.count("none") == 6 and kinds.count("mha") == 6 and kinds.count("cross") == 6
    cross = [e for e in kv.layers if e.kind == "cross"]
    assert all(e.tokens == 512 for e in cross)  # the encoder's length, whatever the context
    per = 2 * 8 * 64 * 2
    assert kv.bytes_per_token == 6 * per      # cross caches do not grow with tokens
    assert kv.bytes == 6 * 128 * per + 6 * 512 * per
    assert all(e.bytes == 0 and e.note for e in kv.layers if e.kind == "none")


def test_latent_attention_caches_the_latent_and_the_rope_key(tmp_path):
    model = load_text(tmp_path, """\
        paramlint: 2
        input: [10]
        layers:
          - {name: embed, type: embedding, num_embeddings: 10, dim: 64}
          - {name: attn, type: mla, heads: 4, kv_lora_rank: 32, qk_rope_head_dim: 8,
             qk_nope_head_dim: 16, v_head_dim: 16}
        """)
    (entry,) = kv_cache(model).layers
    assert entry.kind == "mla" and entry.bytes_per_token == (32 + 8) * 2
    assert entry.decompressed_bytes_per_token == 4 * (16 + 8 + 16) * 2


def test_a_model_without_attention_has_no_cache_entries():
    kv = kv_cache(load_model(str(FIXTURES / "alexnet.yaml")))
    assert kv.layers == [] and kv.context is None


def _past_kv_model(tmp_path, past_len, heads=4):
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", 1])]
    outputs = []
    nodes = []
    for i in range(2):
        for role in ("key", "value"):
            name = f"past_key_values.{i}.{role}"
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", heads, past_len, 16]))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{role}", TensorProto.FLOAT, None))
            nodes.append(helper.make_node("Identity", [name], [f"present.{i}.{role}"], name=f"id_{i}_{role}"))
    graph = helper.make_graph(nodes, "past", inputs, outputs)
    path = tmp_path / "past.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return load_model(str(path))


def test_onnx_past_key_values_inputs_give_each_layer_its_cache(tmp_path):
    kv = kv_cache(_past_kv_model(tmp_path, 128))
    assert [e.layer for e in kv.layers] == ["past_key_values.0", "past_key_values.1"]
    assert all(e.bytes_per_token == 2 * 4 * 16 * 2 for e in kv.layers)
    assert kv.context == 128 and kv.bytes == 2 * 128 * 256


def test_onnx_symbolic_past_length_leaves_the_bytes_unknown_until_given(tmp_path):
    model = _past_kv_model(tmp_path, "past_sequence_length", heads=1)
    kv = kv_cache(model)
    assert kv.context is None and kv.bytes is None and kv.bytes_per_token == 2 * 2 * 1 * 16 * 2
    assert {e.kind for e in kv.layers} == {"mqa"}
    assert kv_cache(model, context=10).bytes == 10 * 2 * 64


@pytest.mark.parametrize("field, message", [
    ("window_pattern: [slide, full]", "no 'window' is given"),
    ("window: 8, window_pattern: [slid]", "a list of 'slide' and 'full'"),
])
def test_window_fields_are_checked_with_their_position(tmp_path, field, message):
    from paramlint.ir.model import LoadError

    text = f"paramlint: 2\ninput: [4, 8]\nlayers:\n  - {{name: a, type: attention, heads: 2, {field}}}\n"
    with pytest.raises(LoadError) as info:
        load_text(tmp_path, text)
    assert message in info.value.message and info.value.location.line == 4
