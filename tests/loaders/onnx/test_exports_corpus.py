"""paramlint against torch's own figures, file by file, on the real-export corpus.

fixtures/exports/ holds graph-only ONNX files made by the TorchScript and
dynamo exporters (and onnxruntime's quantizer) with torch's figures beside
them (fixtures/exports/README.md). Every test here is parametrized per
file, so a family that breaks shows by name. The truth is computed in
torch, never by paramlint:

* trainable == what the file can hold in torch's terms
  (``exports.<e>.held.trainable``: torch's count, minus what the exporter
  folded away, e.g. BatchNorm into the Conv before it);
* non-trainable == the buffers the file holds (BN running statistics) plus
  the derived tables it stores; quantized: the weight scales and zero points;
* every conv's sharing figures == counting.md on torch's shapes;
* PRM301 exactly on the Linear layers torch saw reading a flattened map;
* no PRM002 on a file whose every figure torch knows.
"""

from __future__ import annotations

import json
from functools import lru_cache
from math import prod
from pathlib import Path

import pytest

from paramlint.analysis.counting import CONV_OPS, count
from paramlint.lint.engine import Settings, run_rules
from paramlint.loaders.onnx.loader import load
from paramlint.lint.plugins import discover

CORPUS = Path(__file__).resolve().parents[3] / "fixtures" / "exports"
INDEX = json.loads((CORPUS / "index.json").read_text())["files"] if (CORPUS / "index.json").exists() else []
FILES = [item["file"] for item in INDEX]
ITEMS = {item["file"]: item for item in INDEX}


@lru_cache(maxsize=None)
def _truth(path: str) -> dict:
    return json.loads((CORPUS / path).read_text())


@lru_cache(maxsize=4)
def _loaded(file: str):
    """(model, counts, findings) for one corpus file, loaded once per test run."""
    model = load(str(CORPUS / file))
    assert not model.failed, model.error
    rules = [r for r in discover().rules if r.code in ("PRM002", "PRM301")]
    findings, _ = run_rules(model, rules, Settings())
    return model, count(model), findings


def _export(file: str) -> tuple[dict, dict]:
    item = ITEMS[file]
    doc = _truth(item["truth"])
    return doc, doc["exports"][item["exporter"]]


def _quantized(file: str) -> bool:
    return ITEMS[file]["family"] == "quantized"


#: Corpus files that landed before paramlint (or this test) handles them,
#: per test: strict xfails, so each fails loudly the day it is fixed. The
#: figures are in fixtures/exports/README.md ("paramlint on this corpus").
PENDING = {
    "trainable": {
        "quantized/lstm_text_qdyn.ts.onnx": "com.microsoft DynamicQuantizeLSTM is not read as a layer",
        "quantized/lstm_text_qdyn.dynamo.onnx": "the float LSTM weights behind Slice are not counted",
        "transformers/wav2vec2_small.ts.onnx": "GroupNorm exported as InstanceNormalization with constant "
                                              "unit scale and zero bias [512] (+1,024) counts as trainable",
        "transformers/wav2vec2_small.dynamo.onnx": "GroupNorm exported as InstanceNormalization with "
                                                  "constant unit scale and zero bias [512] (+1,024)",
    },
    "non_trainable": {
        "quantized/llama_small_qdyn.ts.onnx": "rotary/mask constants besides the weight scales",
        "quantized/llama_small_qdyn.dynamo.onnx": "rotary/mask constants besides the weight scales",
        "quantized/lstm_text_qdyn.ts.onnx": "DynamicQuantizeLSTM scales not read",
        "quantized/lstm_text_qdyn.dynamo.onnx": "LSTM initial state besides the weight scales",
    },
    "sharing": {
        "transformers/wav2vec2_small.ts.onnx": "weight_norm: the module path ends in parametrizations.weight",
        "transformers/wav2vec2_small.dynamo.onnx": "weight_norm: the module path ends in parametrizations.weight",
    },
    "prm002": {
    },
}


def _pending(files, test):
    return [pytest.param(f, marks=pytest.mark.xfail(reason=PENDING[test][f], strict=True))
            if f in PENDING[test] else f for f in files]


def test_the_corpus_is_there_and_broad():
    assert len(FILES) >= 25
    assert {item["exporter"] for item in INDEX} >= {"ts", "dynamo"}


@pytest.mark.parametrize("file", _pending(FILES, "trainable"))
def test_trainable_equals_what_torch_counts_in_the_file(file):
    doc, export = _export(file)
    _, counts, _ = _loaded(file)
    if _quantized(file):
        expected = export["expected"].get("trainable")
        if expected is None:
            pytest.skip("the quantized truth gives no trainable figure for this file")
    else:
        held = export["held"]
        assert held.get("known", True), held.get("note")
        expected = held["trainable"]
    assert counts.totals.trainable == expected


@pytest.mark.parametrize("file", _pending(FILES, "non_trainable"))
def test_non_trainable_equals_the_buffers_the_file_holds(file):
    doc, export = _export(file)
    model, counts, _ = _loaded(file)
    nt = counts.totals.non_trainable
    if _quantized(file):
        assert nt == export["expected"]["weight_quant_params"]
        return
    held = export["held"]
    stats = held["bn_running_stats"]
    derived = nt - stats
    # BN statistics exactly; beyond them, only derived tables (rotary,
    # masks) the file stores beyond its parameters (stored_minus_held > 0).
    assert derived >= 0, f"{nt} non-trainable, fewer than the {stats} BN statistics held"
    if held.get("stored_minus_held", 0) <= 0 and not doc["params"].get("derived_float_buffers"):
        assert derived == 0, [w.name for w in model.weights.values() if not w.trainable][:10]


def _conv_truth(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for layer in doc.get("layers", []):
        if layer.get("kind") in ("conv", "conv_transpose") and layer.get("calls", 0) > 0:
            out[layer["module"]] = [layer]
    return out


def _expected_sharing(layer: dict, bias: bool) -> tuple[int, int, int]:
    """counting.md on torch's shapes, with the bias the file holds."""
    b = 1 if bias else 0
    cout = layer["out_channels"]
    s_in = prod(layer["input_shape"][2:])
    s_out = prod(layer["output_shape"][2:])
    shared = prod(layer["weight_shape"]) + b * cout
    dense = layer["in_channels"] * s_in * cout * s_out + b * cout * s_out
    return shared, s_out * shared, dense


@pytest.mark.parametrize("file", _pending([f for f in FILES if not ITEMS[f]["family"] == "quantized"],
                                         "sharing"))
def test_every_conv_has_torch_sharing_figures(file):
    doc, export = _export(file)
    model, counts, _ = _loaded(file)
    truth = _conv_truth(doc)
    folded = {doc["bn_folding_candidates"]["bn_after_conv_conv"][bn]
              for bn in export["held"].get("bn_folded", [])} if doc.get("bn_folding_candidates") else set()
    untrained = doc.get("weights") == "torch init"
    seen = set()
    for layer in model.layers:
        if layer.op not in CONV_OPS or not counts.layers[layer.name].trainable:
            continue
        assert layer.module in truth, f"conv '{layer.name}' (module {layer.module}) is not a torch conv"
        t = truth[layer.module][0]
        bias = bool(layer.attrs.get("bias"))
        if bias != t["bias"]:  # the exporter folded a BN in, or dropped an all-zero bias
            assert (bias and layer.module in folded) or (not bias and untrained), layer.module
        s = counts.layers[layer.name].sharing
        assert (s.shared, s.unshared, s.dense_equivalent) == _expected_sharing(t, bias), layer.module
        if not bias and not t["bias"]:
            assert (s.shared, s.unshared, s.dense_equivalent) == (
                t["sharing"]["shared"], t["sharing"]["unshared"], t["sharing"]["dense_equivalent"])
        seen.add(layer.module)
    assert seen == set(truth), f"torch convs without a layer: {sorted(set(truth) - seen)[:5]}"


@pytest.mark.parametrize("file", FILES)
def test_prm301_exactly_on_the_dense_layers_torch_saw_reading_a_flattened_map(file):
    doc, _ = _export(file)
    model, _, findings = _loaded(file)
    flagged = {model.layer(f.layer).module for f in findings if f.code == "PRM301"}
    expected = {layer["module"] for layer in doc.get("layers", [])
                if layer.get("contracts_flattened_map") and layer.get("calls", 0) > 0
                and _positions(layer) >= 16}
    assert flagged == expected
    for f in findings:
        if f.code == "PRM301":
            layer = model.layer(f.layer)
            t = next(x for x in doc["layers"] if x["module"] == layer.module)
            # torch's pooled cost, with the bias the file holds (dynamo drops all-zero ones)
            dropped = int(t["bias"]) - int(bool(layer.attrs.get("bias")))
            assert f.extra["pooled_params"] == t["pooled_params"] - dropped * t["out_features"]


def _positions(layer: dict) -> int:
    """Positions of the flattened map, from torch's evidence ("512 channels x 49 positions")."""
    evidence = layer.get("flatten_evidence", "")
    words = evidence.split(" positions")[0].split()
    return int(words[-1]) if words and words[-1].isdigit() else 0


#: Files where paramlint cannot yet find a figure torch knows, and why. Each
#: is a strict xfail: it fails loudly the day it is fixed, and it is listed
#: in docs/onnx-decisions.md ("Known limits").
KNOWN_GAPS = {
    "torchvision/swin_t.ts.onnx": (
        "TorchScript computes each block's pad and window sizes from the previous block's "
        "shape (Shape -> Div -> Pad -> Shape -> Reshape); onnx's data propagation stops at "
        "Div and shape folding resolves two levels, so the attention MatMuls of stages 2-4 "
        "keep an unknown dimension and their MACs are unknown"),
}


def _gaps(files):
    return [pytest.param(f, marks=pytest.mark.xfail(reason=KNOWN_GAPS[f], strict=True))
            if isinstance(f, str) and f in KNOWN_GAPS else f for f in files]



@pytest.mark.parametrize("file", _gaps(_pending(FILES, "prm002")))
def test_no_prm002_where_every_figure_is_known(file):
    _, _, findings = _loaded(file)
    assert [f.message for f in findings if f.code == "PRM002"] == []
