import json
import re

from paramlint.formats.findings import gitlab
from report_helpers import finding, onnx_finding, report, rules_meta


def render(reports):
    return json.loads(gitlab.render(reports, rules=rules_meta(), version="0"))


def sample():
    return [report("m/a.yaml", [finding("PRM301", path="m/a.yaml", line=21),
                                finding("PRM101", path="m/a.yaml", line=2, layer=None),
                                finding("PRM201", path="m/a.yaml", line=9, layer="lc")]),
            report("m/b.onnx", [onnx_finding(path="m/b.onnx")])]


def test_one_issue_per_finding_with_the_required_fields():
    issues = render(sample())
    assert len(issues) == 4
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
    assert issues[0]["check_name"] == "PRM301"
    assert issues[0]["location"] == {"path": "m/a.yaml", "lines": {"begin": 21}}
    assert "fc6" in issues[0]["description"]


def test_severities_are_on_gitlabs_scale():
    assert [i["severity"] for i in render(sample())] == ["major", "critical", "info", "major"]


def test_onnx_findings_start_at_line_one():
    assert render(sample())[3]["location"]["lines"]["begin"] == 1


def test_fingerprints_are_unique_and_stable_across_line_moves():
    issues = render(sample())
    assert len({i["fingerprint"] for i in issues}) == 4
    moved = render([report("m/a.yaml", [finding("PRM301", path="m/a.yaml", line=99)])])
    assert moved[0]["fingerprint"] == issues[0]["fingerprint"]


def test_no_findings_is_an_empty_array():
    assert render([report("a.yaml", [])]) == []
