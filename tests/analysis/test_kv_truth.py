"""paramlint's KV cache against transformers' own cache tensors.

fixtures/memory/make_kv_truth.py (run by hand, in its own venv) ran one
forward of tiny configs of each attention kind and recorded every layer's
cache tensors; here the same architectures, written as format 2 files by
that script, must give the same bytes per token for every layer.
"""

from __future__ import annotations

import json

import pytest

from paramlint.analysis.counting import count
from paramlint.analysis.kv_cache import kv_cache
from paramlint.analysis.macs import compute
from paramlint.lint.engine import load_model
from yaml_helpers import FIXTURES

TRUTH = json.loads((FIXTURES / "memory" / "kv_truth.json").read_text())
KINDS = {"llama_gqa": {"gqa"}, "mistral_window": {"window"}, "gemma2_alternating": {"window", "gqa"},
         "falcon_mqa": {"mqa"}, "deepseek_v2_mla": {"mla"}}


def _model(name):
    return load_model(str(FIXTURES / "memory" / f"{name}.yaml"))


@pytest.mark.parametrize("name", sorted(TRUTH["models"]))
def test_bytes_per_token_of_every_layer_match_transformers_cache(name):
    truth = TRUTH["models"][name]["layers"]
    kv = kv_cache(_model(name), batch=TRUTH["batch"])
    assert [e.bytes_per_token for e in kv.layers] == [layer["bytes_per_token_fp16"] for layer in truth]
    assert {e.kind for e in kv.layers} == KINDS[name]


@pytest.mark.parametrize("name", sorted(TRUTH["models"]))
def test_cached_tokens_match_transformers_up_to_the_token_being_decoded(name):
    """Full layers hold every token, as transformers does. A sliding layer
    holds ``window`` tokens: transformers keeps ``window - 1`` between
    steps and attends with the new token's key and value added, so the
    window is what the layer needs while it runs (docs/memory.md)."""
    tokens = TRUTH["tokens"]
    kv = kv_cache(_model(name), batch=TRUTH["batch"])
    for entry, layer in zip(kv.layers, TRUTH["models"][name]["layers"]):
        if layer["sliding_window"] and tokens >= layer["sliding_window"]:
            assert entry.window == layer["sliding_window"] and entry.tokens == layer["stored_tokens"] + 1
        else:
            assert entry.window is None and entry.tokens == layer["stored_tokens"] == tokens


def test_gemma2_slides_on_even_layers_as_transformers_does():
    windows = [layer["sliding_window"] is not None for layer in TRUTH["models"]["gemma2_alternating"]["layers"]]
    kv = kv_cache(_model("gemma2_alternating"))
    assert [e.kind == "window" for e in kv.layers] == windows == [True, False, True, False]


def test_latent_attention_params_and_macs_match_deepseek_v2_attention():
    truth = TRUTH["models"]["deepseek_v2_mla"]["attention"]
    model = _model("deepseek_v2_mla")
    assert count(model).layers["layers.0.self_attn"].params == truth["params"]
    assert compute(model).layers["layers.0.self_attn"] == truth["macs"]
