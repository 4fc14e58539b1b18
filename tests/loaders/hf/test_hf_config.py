"""config.json read into format 2 layers, against transformers on the meta device.

Truth: fixtures/hf/truth.json, written by fixtures/hf/make_truth.py (run by
hand in a venv with torch and transformers) from the very config.json files
beside it; the configs hold the published sizes of the real models
(write_configs.py), and the totals are the published counts
(Llama-2-7B: 6,738,415,616; Mixtral-8x7B: 46,702,792,704, 12,879,925,248 active).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paramlint.analysis.counting import count
from paramlint.ir.model import LoadError
from paramlint.lint.engine import identify, load_model
from paramlint.loaders.hf.claim import claims
from paramlint.loaders.hf.families import NEEDS
from paramlint.loaders.hf.loader import load
from paramlint.loaders.yaml.types import TYPES

HERE = Path(__file__).resolve().parents[3] / "fixtures" / "hf"
TRUTH = json.loads((HERE / "truth.json").read_text())
ALL = sorted(name for name in TRUTH if name != "how")


def _type(name: str) -> str:
    return json.loads((HERE / name / "config.json").read_text())["model_type"]


#: DeepSeek's latent attention is format 2's ``mla`` type (issue 26); until this paramlint has it,
#: those configs are the coverage finding (test below), and exact from the day it does
WAITING = [name for name in ALL if NEEDS.get(_type(name), "dense") not in TYPES[2]]
MODELS = [name for name in ALL if name not in WAITING]
#: transformers' module -> the layers paramlint names for it, where the names differ
MODULES = {
    "bert": {"embeddings": ("word_embeddings", "position_embeddings", "token_type_embeddings", "embeddings_norm"),
             "encoder": ("layer",)},
    "vit": {"embeddings": ("patch_embeddings", "cls_token", "position_embeddings"), "layers": ("layer",)},
    # T5's stacks read the shared table (transformers counts it in each)
    "t5": {"encoder": ("shared", "encoder_block", "encoder_final_layer_norm"),
           "decoder": ("shared", "decoder_block", "decoder_final_layer_norm")},
    "whisper": {"encoder": ("conv1", "conv2", "encoder_embed_positions", "encoder_layers", "encoder_layer_norm"),
                "decoder": ("embed_tokens", "decoder_embed_positions", "decoder_layers", "decoder_layer_norm")},
}
MODULES["roberta"] = MODULES["bert"]


def model_of(name: str):
    model = load(str(HERE / name / "config.json"))
    assert not model.diagnostics, model.diagnostics
    return model


def module_params(model, prefixes) -> int:
    counts = count(model).layers
    return sum(counts[layer.name].params for layer in model.layers
               if any(layer.name == p or layer.name.startswith(p + ".") or layer.name.startswith(p + "_")
                      for p in prefixes))


@pytest.mark.parametrize("name", MODELS)
def test_totals_are_transformers_own(name):
    truth, totals = TRUTH[name], count(model_of(name)).totals
    assert totals.params == truth["params"]
    assert totals.trainable == truth["trainable"]
    assert totals.active_params == truth.get("active_params", truth["params"])


@pytest.mark.parametrize("name", MODELS)
def test_without_embeddings_is_transformers_own(name):
    model = model_of(name)
    counts = count(model)
    # transformers leaves out its nn.Embedding modules: the token and position tables, T5's relative
    # position bias too; ViT's positions are a plain nn.Parameter, so they stay in
    kind = model.facts["model_type"]
    ops = ("embedding",) if kind == "vit" else ("embedding", "pos_embed")
    names = {w for layer in model.layers if layer.op in ops for w in layer.weights}  # a shared table once
    names |= {n for n in model.weights if n.endswith(".relative_bias")}
    tables = sum(model.weights[n].elements for n in names)
    assert counts.totals.params - tables == TRUTH[name]["without_embeddings"]


@pytest.mark.parametrize("name", MODELS)
def test_each_module_is_transformers_own(name):
    model, truth = model_of(name), TRUTH[name]
    names = MODULES.get(model.facts["model_type"], {})
    for module, params in truth["modules"].items():
        if params:
            assert module_params(model, names.get(module, (module,))) == params, module
    if not names:
        block = next(layer.name.split(".")[0] for layer in model.layers if ".0." in layer.name)
        for child, params in truth["layer0"].items():
            assert module_params(model, (f"{block}.0.{child}",)) == params, child


def test_families_waiting_for_a_layer_type_are_a_coverage_finding_until_it_exists():
    for name in WAITING:
        model = load(str(HERE / name / "config.json"))
        (diag,) = model.diagnostics
        assert f"needs format 2's '{NEEDS[_type(name)]}' layer type" in diag.message
        assert model.layers == []
    assert len(WAITING) + len(MODELS) == len(ALL) >= 28


def test_llama2_7b_is_its_published_count():
    assert count(model_of("llama2-7b")).totals.params == 6_738_415_616


def test_claim_takes_config_json_with_a_model_type_and_never_a_keras_config(tmp_path):
    config = HERE / "llama2-7b" / "config.json"
    assert claims(str(config), config.read_bytes())
    assert identify(str(config)).name == "hf-config"
    keras = Path(__file__).resolve().parents[3] / "fixtures" / "keras" / "vgg16.json"
    target = tmp_path / "config.json"
    target.write_bytes(keras.read_bytes())
    assert not claims(str(target), target.read_bytes())
    other = tmp_path / "settings.json"
    other.write_text('{"model_type": "llama"}')
    assert not claims(str(other), other.read_bytes())


def test_model_type_after_a_long_label_map_is_still_claimed(tmp_path):
    labels = {str(i): f"label number {i}" for i in range(2000)}
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"id2label": labels, "model_type": "llama"}, sort_keys=True))
    assert claims(str(path), path.read_bytes()[:16384])


def test_unknown_model_type_is_a_coverage_finding_with_the_fields_it_read(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "mamba9", "hidden_size": 768, "num_hidden_layers": 24,
                                "vocab_size": 50280}, indent=1))
    model = load(str(path))
    assert not model.failed and model.layers == []
    (diag,) = model.diagnostics
    assert diag.message.startswith("config.json: model_type 'mamba9' is not modelled by paramlint")
    assert "read: hidden_size 768, num_hidden_layers 24, vocab_size 50280" in diag.message
    assert (diag.location.line, diag.location.column) == (2, 2)


@pytest.mark.parametrize("text,why,line", [
    ('{"model_type": "llama", "hidden_size": 4096,,}', "not valid JSON", 1),
    ('{"model_type": "llama", "hidden_size": "4096"}', "'hidden_size' must be an integer of at least 1", 1),
    ('{\n "model_type": "llama",\n "hidden_size": 4096}', "missing 'num_attention_heads', which llama needs", 2),
    ('{"model_type": "llama", "hidden_size": 4097, "intermediate_size": 8, "num_attention_heads": 32, '
     '"num_hidden_layers": 1, "vocab_size": 8}', "not divisible by heads (32)", 1),
    ('{"model_type": ' + "[" * 200 + "]" * 200 + "}", "nested more than 64 levels deep", 1),
])
def test_broken_config_is_one_clear_error_with_its_line(tmp_path, text, why, line):
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(LoadError) as caught:
        load(str(path))
    assert why in caught.value.message
    assert caught.value.location.line == line


def test_check_on_a_folder_with_a_broken_config_reports_it_once_and_the_other_files(tmp_path):
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "config.json").write_bytes((HERE / "gpt2" / "config.json").read_bytes())
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "config.json").write_text('{"model_type": "llama", "hidden_size": }')
    out = subprocess.run([sys.executable, "-m", "paramlint", "check", "-f", "json", str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    errors = {Path(m["path"]).parent.name: [f["code"] for f in m["findings"] if f["code"] == "PRM001"]
              for m in doc["models"]}
    assert errors == {"bad": ["PRM001"], "good": []}
    good = next(m for m in doc["models"] if "good" in m["path"])
    assert good["totals"]["params"] == TRUTH["gpt2"]["params"]
