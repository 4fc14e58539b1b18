"""GGUF: header, metadata and tensor infos, against the gguf package's own figures.

Truth: fixtures/gguf/truth.json, what gguf.GGUFReader reads back from the
Q4_0 and Q8_0 files gguf.GGUFWriter wrote (make_gguf.py, run by hand);
hostile cases come from the minimal writer in tests/helpers/gguf_builders.py.
"""

from __future__ import annotations

import json
import struct
from math import prod
from pathlib import Path

import pytest

import gguf_builders as gb
from paramlint.analysis.counting import count
from paramlint.analysis.memory import weight_bytes
from paramlint.ir.model import LoadError
from paramlint.lint.engine import load_model
from paramlint.loaders.gguf.loader import load
from paramlint.loaders.gguf.types import GGML_TYPES, bits_per_weight

HERE = Path(__file__).resolve().parents[3] / "fixtures" / "gguf"
TRUTH = json.loads((HERE / "truth.json").read_text())
FILES = [name for name in TRUTH if name != "how"]


@pytest.mark.parametrize("name", FILES)
def test_element_counts_and_stored_bytes_are_the_gguf_packages(name):
    truth = TRUTH[name]
    model = load(str(HERE / name))
    for tensor, want in truth["tensors"].items():
        weight = model.weights[tensor]
        assert weight.elements == want["elements"]
        assert weight.nbytes == want["bytes"]
        assert list(reversed(weight.shape)) == want["shape"]
    counts = count(model)
    assert counts.totals.params == sum(t["elements"] for t in truth["tensors"].values())
    assert weight_bytes(model, counts)["weight_bytes"] == sum(t["bytes"] for t in truth["tensors"].values())


@pytest.mark.parametrize("name", FILES)
def test_bits_per_weight_and_architecture_keys_come_from_the_file(name):
    truth = TRUTH[name]
    facts = load(str(HERE / name)).facts
    assert facts["architecture"] == truth["metadata"]["general.architecture"]
    for kind, entry in facts["ggml_types"].items():
        assert entry["bits_per_weight"] == truth["bits_per_weight"][kind]
        assert entry["bytes"] == sum(t["bytes"] for t in truth["tensors"].values() if t["type"] == kind)
    meta = truth["metadata"]
    head_dim = meta["llama.embedding_length"] // meta["llama.attention.head_count"]
    per_token = 2 * meta["llama.block_count"] * meta["llama.attention.head_count_kv"] * 2 * head_dim
    assert facts["kv_cache_bytes_per_token"] == per_token
    assert facts["kv_cache_bytes_at_context"] == per_token * meta["llama.context_length"]


def test_type_table_matches_the_published_bits_per_weight():
    by_name = {name: tid for tid, (name, _, _) in GGML_TYPES.items()}
    assert bits_per_weight(by_name["Q4_0"]) == 4.5
    assert bits_per_weight(by_name["Q8_0"]) == 8.5
    assert bits_per_weight(by_name["Q4_K"]) == 4.5
    assert bits_per_weight(by_name["Q6_K"]) == 6.5625


def test_header_only_file_with_a_large_vocabulary_is_read_without_the_data(tmp_path):
    # Llama-3-8B's tensor infos at Q4_0, its 128,256-token vocabulary, no tensor data at all
    dims = [("token_embd.weight", (4096, 128256)), ("output.weight", (4096, 128256))]
    for i in range(32):
        dims += [(f"blk.{i}.attn_q.weight", (4096, 4096)), (f"blk.{i}.attn_k.weight", (4096, 1024)),
                 (f"blk.{i}.attn_v.weight", (4096, 1024)), (f"blk.{i}.attn_output.weight", (4096, 4096)),
                 (f"blk.{i}.ffn_gate.weight", (4096, 14336)), (f"blk.{i}.ffn_up.weight", (4096, 14336)),
                 (f"blk.{i}.ffn_down.weight", (14336, 4096))]
    path = tmp_path / "llama3-8b-q4_0.gguf"
    path.write_bytes(gb.gguf(gb.llama_metadata(vocab=128256), [(n, d, 2, 0) for n, d in dims]))
    model = load(str(path))
    elements = sum(prod(d) for _, d in dims)
    assert count(model).totals.params == elements
    assert weight_bytes(model, count(model))["weight_bytes"] == elements // 32 * 18
    assert model.facts["kv_cache_bytes_per_token"] == 2 * 32 * 8 * 256  # 128 KiB per token
    assert "tokenizer.ggml.tokens" not in model.facts["hyperparameters"]


@pytest.mark.parametrize("payload,why", [
    (b"GGU", "not a GGUF file"),
    (b"GGML" + bytes(20), "not a GGUF file"),
    (b"GGUF" + struct.pack("<I", 7) + bytes(16), "unsupported GGUF version 7"),
    (b"GGUF" + struct.pack("<IQQ", 3, 10**15, 0), "tensor count is 1,000,000,000,000,000, over the limit"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**60), "over the limit"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gb.string("k") + struct.pack("<IIQ", 9, 8, 10**12), "over the limit"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gb.string("k") + struct.pack("<IQ", 8, 10**6), "truncated GGUF file"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gb.string("k") + struct.pack("<I", 77), "unknown value type 77"),
    (gb.gguf([], [("w", (32,), 99, 0)]), "ggml type 99, which paramlint does not know"),
    (gb.gguf([], [("w", (33,), 2, 0)]), "do not fill Q4_0 blocks of 32"),
    (gb.gguf([], [("w", (1,) * 9, 0, 0)]), "9 dimensions"),
    (gb.gguf([], [("w", (4,), 0, 0), ("w", (4,), 0, 16)]), "listed twice"),
    (gb.gguf([("general.alignment", gb.U32, 3)], []), "power of two"),
])
def test_hostile_or_broken_files_are_one_clear_error(tmp_path, payload, why):
    path = tmp_path / "bad.gguf"
    path.write_bytes(payload)
    with pytest.raises(LoadError) as caught:
        load(str(path))
    assert why in caught.value.message
    model = load_model(str(path))
    assert model.failed and not model.error.internal
