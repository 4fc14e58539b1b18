"""Serving and training memory and the device fit (docs/memory.md), by hand."""

from __future__ import annotations

import pytest

from paramlint.analysis.activations import activations
from paramlint.analysis.counting import count
from paramlint.analysis.serving import fit, parse_bytes, training
from paramlint.lint.engine import load_model
from yaml_helpers import FIXTURES, load_text

GIB = 2**30
LLAMA_PARAMS = 6_738_415_616


@pytest.mark.parametrize("text, value", [
    ("24GiB", 24 * GIB), ("500MB", 500_000_000), ("1024", 1024), ("1.5KiB", 1536), (4096, 4096),
    ("80 GB", 80 * 10**9), ("2tib", 2 * 2**40),
])
def test_sizes_take_binary_and_decimal_units(text, value):
    assert parse_bytes(text) == value


@pytest.mark.parametrize("bad", ["24 gigs", "-5", "GiB", True, -1, "1e9"])
def test_a_bad_size_is_refused(bad):
    with pytest.raises(ValueError):
        parse_bytes(bad)


def test_llama2_7b_at_fp16_fits_18_902_tokens_in_24_gib():
    model = load_model(str(FIXTURES / "llama2-7b.yaml"))
    weights = 2 * LLAMA_PARAMS                                   # 13,476,831,232
    acts = activations(model, 1, "fp16").peak_bytes
    # the first attention at 4,096 tokens: Q, context, K, V (4 x 4096 x 4096) and the
    # scores and probabilities (2 x 32 x 4096 x 4096), plus its input, the residual and its output
    assert acts == (68 * 4096 * 4096 + 3 * 4096 * 4096) * 2 == 2_382_364_672
    result = fit(model, weights, 24 * GIB, None, 1, "fp16", "fp16")
    assert result["max_context"] == (24 * GIB - weights - acts) // 524_288 == 18_902
    assert result["fits"] is True and result["headroom_bytes"] == 24 * GIB - weights - acts - 2 * GIB
    # each sequence adds its 2 GiB of cache and its 2.22 GiB of activations
    assert result["max_batch"] == (24 * GIB - weights) // (2 * GIB + acts) == 2


def test_a_model_too_big_says_by_how_much():
    model = load_model(str(FIXTURES / "llama2-7b.yaml"))
    result = fit(model, 4 * LLAMA_PARAMS, 24 * GIB, None, 1, "fp16", "fp32")
    need = 4 * LLAMA_PARAMS + 2 * GIB + activations(model).peak_bytes
    assert result["fits"] is False and result["over_bytes"] == need - 24 * GIB
    assert result["max_context"] is None and result["max_batch"] is None


def test_every_layer_sliding_makes_the_longest_context_unbounded(tmp_path):
    model = load_text(tmp_path, """\
        paramlint: 2
        input: [64]
        layers:
          - {name: embed, type: embedding, num_embeddings: 10, dim: 32}
          - {name: attn, type: attention, heads: 4, causal: true, window: 16}
        """)
    assert fit(model, 0, GIB, None, 1, "fp16", "fp32")["max_context"] == "unbounded"


@pytest.mark.parametrize("optimizer, precision, per_param", [
    ("adamw", "mixed", 2 + 4 + 2 + 8), ("adam", "fp32", 4 + 4 + 8), ("sgd", "fp32", 4 + 4 + 4),
    ("adam8bit", "mixed", 2 + 4 + 2 + 2),
])
def test_training_bytes_per_parameter_follow_the_formula(optimizer, precision, per_param):
    model = load_model(str(FIXTURES / "alexnet.yaml"))
    params = count(model).totals.params
    t = training(model, params, params, 1, optimizer, precision)
    assert t.weights + t.gradients + t.optimizer_state == per_param * params
    assert t.bytes == per_param * params + t.activations and t.complete
