import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, Draft7Validator

from paramlint.formats.findings import sarif
from report_helpers import finding, onnx_finding, report, rules_meta

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())


def render(reports):
    return json.loads(sarif.render(reports, rules=rules_meta(), version="1.2.3"))


def sample():
    return [report("models/net.yaml", [finding("PRM301", path="models/net.yaml", line=21,
                                               column=5),
                                       finding("PRM201", path="models/net.yaml", line=9,
                                               column=7, layer="lc1")]),
            report("models/net.onnx", [onnx_finding("PRM302", path="models/net.onnx",
                                                    layer="/fc/Gemm", node_index=12)]),
            report("models/clean.yaml", [])]


def test_output_is_valid_sarif_2_1_0():
    log = render(sample())
    errors = sorted(Draft4Validator(SCHEMA).iter_errors(log), key=str)
    assert errors == []
    # The schema declares draft-07; check with that too.
    assert sorted(Draft7Validator(SCHEMA).iter_errors(log), key=str) == []
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_driver_names_the_tool_and_describes_every_rule():
    driver = render(sample())["runs"][0]["tool"]["driver"]
    assert driver["name"] == "paramlint" and driver["version"] == "1.2.3"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == [m["code"] for m in rules_meta()]
    dense = driver["rules"][ids.index("PRM301")]
    assert dense["name"] == "dense-on-large-spatial"
    assert dense["defaultConfiguration"]["level"] == "warning"
    assert dense["shortDescription"]["text"] and dense["fullDescription"]["text"]
    assert dense["help"]["text"]
    info = driver["rules"][ids.index("PRM201")]
    assert info["defaultConfiguration"]["level"] == "note"


def test_each_yaml_result_points_at_its_line():
    log = render(sample())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    results = log["runs"][0]["results"]
    assert len(results) == 3
    first = results[0]
    assert first["ruleId"] == "PRM301" and first["level"] == "warning"
    assert rules[first["ruleIndex"]]["id"] == "PRM301"
    assert first["message"]["text"]
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "models/net.yaml", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 21, "startColumn": 5}
    assert results[1]["level"] == "note"


def test_onnx_results_point_at_line_1_and_name_the_node():
    result = render(sample())["runs"][0]["results"][2]
    location = result["locations"][0]
    assert location["physicalLocation"]["region"] == {"startLine": 1}
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "models/net.onnx"
    assert location["logicalLocations"][0]["name"] == "/fc/Gemm"
    assert location["logicalLocations"][0]["properties"] == {"nodeIndex": 12}
    assert result["properties"]["node_index"] == 12
    assert result["properties"]["node_name"] == "/fc/Gemm"


def test_partial_fingerprints_survive_line_moves_and_distinguish_repeats():
    a = render([report("m.yaml", [finding(path="m.yaml", line=3)])])
    b = render([report("m.yaml", [finding(path="m.yaml", line=30)])])
    fp = lambda log: [r["partialFingerprints"] for r in log["runs"][0]["results"]]  # noqa: E731
    assert fp(a) == fp(b)
    twice = render([report("m.yaml", [finding(path="m.yaml"), finding(path="m.yaml")])])
    first, second = fp(twice)
    assert first != second


@pytest.mark.parametrize("path", ["models\\win\\net.yaml", "./models/net.yaml"])
def test_uris_are_relative_with_forward_slashes(path):
    uri = render([report(path, [finding(path=path)])])["runs"][0]["results"][0][
        "locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("models/") and "\\" not in uri


def test_absolute_paths_under_the_cwd_become_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / "zoo" / "m.yaml")
    result = render([report(path, [finding(path=path)])])["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "zoo/m.yaml"


def test_a_rule_missing_from_the_metadata_still_gets_a_descriptor():
    log = render([report("m.yaml", [finding("ABC123", path="m.yaml")])])
    assert Draft4Validator(SCHEMA).is_valid(log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]["id"] == "ABC123"


def test_no_findings_is_a_valid_log_with_no_results():
    log = render([report("m.yaml", [])])
    assert Draft4Validator(SCHEMA).is_valid(log) and log["runs"][0]["results"] == []


# ---- what GitHub code scanning requires and reads (docs/sarif.md)

def test_every_result_has_a_region_and_the_fingerprint_github_reads():
    for result in render(sample())["runs"][0]["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert isinstance(region["startLine"], int) and region["startLine"] >= 1
        lhash = result["partialFingerprints"]["primaryLocationLineHash"]
        digest, occurrence = lhash.split(":")
        assert len(digest) == 16 and int(digest, 16) >= 0 and occurrence == "1"
        assert result["message"]["text"] and len(result["locations"]) <= 10


def test_every_rule_has_the_descriptions_and_markdown_help_github_shows():
    rules = render(sample())["runs"][0]["tool"]["driver"]["rules"]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"].startswith(f"**{rule['id']} ")
    dense = next(r for r in rules if r["id"] == "PRM301")
    assert "| `min-spatial` | `16` |" in dense["help"]["markdown"]


def test_uris_are_percent_encoded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = "models/le net#5%.yaml"
    log = render([report(path, [finding(path=path)])])
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "models/le%20net%235%25.yaml",
                                            "uriBaseId": "%SRCROOT%"}


def test_uris_are_relative_to_the_repository_root_not_the_working_folder(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "ml" / "zoo").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "ml")
    log = render([report("zoo/m.yaml", [finding(path="zoo/m.yaml")])])
    run = log["runs"][0]
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "ml/zoo/m.yaml", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.as_uri() + "/"}}


def test_a_file_outside_the_repository_gets_an_absolute_file_uri(tmp_path, monkeypatch):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo")
    outside = str(tmp_path / "elsewhere" / "m 1.onnx")
    log = render([report(outside, [onnx_finding(path=outside)])])
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": (tmp_path / "elsewhere" / "m 1.onnx").as_uri()}
    assert "%20" in artifact["uri"]


def test_end_to_end_on_real_yaml_and_onnx_files_in_a_repository(tmp_path):
    import shutil
    import subprocess
    import sys

    import onnx_builders as ob

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "models").mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "fixtures" / "alexnet.yaml",
                repo / "models" / "alex net.yaml")
    ob.save(ob.alexnet_graph(), repo / "models" / "alexnet.onnx")
    proc = subprocess.run([sys.executable, "-m", "paramlint", "check", "--no-cache", "-f", "sarif",
                           "."], cwd=repo / "models", capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    log = json.loads(proc.stdout)
    assert sorted(Draft7Validator(SCHEMA).iter_errors(log), key=str) == []
    results = log["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"models/alex%20net.yaml", "models/alexnet.onnx"}
    for r in results:
        location = r["locations"][0]
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        assert "primaryLocationLineHash" in r["partialFingerprints"]
        if location["physicalLocation"]["artifactLocation"]["uri"].endswith(".onnx"):
            assert location["physicalLocation"]["region"] == {"startLine": 1}
            assert location["logicalLocations"][0]["name"]
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(set(hashes)) == len(hashes)
