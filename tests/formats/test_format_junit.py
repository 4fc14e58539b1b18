import xml.etree.ElementTree as ET

from paramlint.formats.findings import junit
from report_helpers import finding, onnx_finding, report, rules_meta


def parse(reports):
    return ET.fromstring(junit.render(reports, rules=rules_meta(), version="0"))


def test_a_suite_per_file_and_a_failure_per_finding():
    root = parse([report("a.yaml", [finding(path="a.yaml"), finding("PRM302", path="a.yaml")]),
                  report("b.onnx", [onnx_finding(path="b.onnx")])])
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["a.yaml", "b.onnx"]
    assert len(root.findall(".//failure")) == 3
    assert suites[0].get("tests") == "2" and suites[0].get("failures") == "2"
    assert root.get("failures") == "3"
    failure = suites[0].find("testcase/failure")
    assert failure.get("type") == "PRM301" and "line 21" in failure.text


def test_a_clean_file_is_one_passing_testcase():
    root = parse([report("clean.yaml", [])])
    (case,) = root.findall("testsuite/testcase")
    assert case.find("failure") is None
    assert root.find("testsuite").get("tests") == "1"
    assert root.find("testsuite").get("failures") == "0"


def test_markup_in_messages_and_names_is_escaped():
    nasty = 'a <b> & "c" ]]> d'
    root = parse([report("x&y.yaml", [finding(path="x&y.yaml", layer="<l>", message=nasty)])])
    failure = root.find(".//failure")
    assert failure.get("message") == nasty
    assert root.find("testsuite").get("name") == "x&y.yaml"
    assert "<l>" in root.find(".//testcase").get("name")
