"""Weights tied across layers (`share`) and repeats (`share_repeats`), end to end."""

import json
from pathlib import Path

from click.testing import CliRunner

from paramlint.cli.app import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def model_doc(name):
    result = CliRunner().invoke(main, ["report", "--no-cache", "-f", "json", str(FIXTURES / f"{name}.yaml")])
    (doc,) = json.loads(result.output)["models"]
    return doc


def conv(cin, cout, k):
    return cout * cin * k * k + cout


def test_siamese_towers_count_their_shared_weights_once():
    tower = conv(1, 64, 10) + conv(64, 128, 7) + conv(128, 128, 4) + conv(128, 256, 4) + (9216 * 4096 + 4096)
    score = 8192 * 1 + 1
    totals = model_doc("siamese")["totals"]
    assert totals["params"] == tower + score == 38_955_841
    assert totals["per_use_params"] == 2 * tower + score
    assert totals["tied_savings"] == tower


def test_siamese_layers_name_their_twin():
    layers = {layer["name"]: layer for layer in model_doc("siamese")["layers"]}
    assert layers["r_conv1"]["shared_with"] == ["l_conv1"]
    assert layers["l_conv1"]["shared_with"] == ["r_conv1"]
    assert layers["r_conv1"]["params"] == layers["l_conv1"]["params"] == conv(1, 64, 10)


def test_tied_dense_pair_is_reported_once_at_its_owner():
    findings = [(f["code"], f["layer"]) for f in model_doc("siamese")["findings"]]
    assert ("PRM301", "l_fc") in findings and ("PRM301", "r_fc") not in findings


def test_share_repeats_counts_one_block_and_saves_the_other_eleven():
    proj = 768 * 768 + 768
    norm = 2 * 768
    block = 4 * proj + norm + (3072 * 768 + 3072) + (768 * 3072 + 768) + norm
    outside = 30000 * 128 + (768 * 128 + 768) + norm + proj
    doc = model_doc("albert")
    totals = doc["totals"]
    assert totals["params"] == outside + block == 11_619_072
    assert totals["per_use_params"] == outside + 12 * block
    assert totals["tied_savings"] == 11 * block
    query_tie = next(t for t in doc["ties"] if t["layers"][0] == "encoder.0.query")
    assert len(query_tie["layers"]) == 12 and query_tie["layers"][-1] == "encoder.11.query"
