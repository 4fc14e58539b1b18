from paramlint.formats.findings import github
from report_helpers import finding, onnx_finding, report, rules_meta


def render(reports):
    return github.render(reports, rules=rules_meta(), version="0").splitlines()


def test_one_annotation_per_finding_with_file_line_col_and_title():
    lines = render([report("m/net.yaml", [finding("PRM301", path="m/net.yaml", line=21,
                                                  column=5, message="too big")])])
    assert lines == ["::warning file=m/net.yaml,line=21,col=5,"
                     "title=PRM301 dense-on-large-spatial::too big"]


def test_severities_map_to_error_warning_notice():
    lines = render([report("a.yaml", [finding("PRM101", path="a.yaml"),
                                      finding("PRM201", path="a.yaml"),
                                      finding("PRM302", path="a.yaml")])])
    assert [ln.split(" ", 1)[0] for ln in lines] == ["::error", "::notice", "::warning"]


def test_onnx_findings_name_only_the_file():
    (line,) = render([report("m.onnx", [onnx_finding(path="m.onnx", message="m")])])
    assert line.startswith("::warning file=m.onnx,title=") and "line=" not in line


def test_message_and_properties_are_escaped():
    f = finding("PRM301", path="a,b:c%.yaml", message="50% of\r\nthe model, really: yes")
    (line,) = render([report("a,b:c%.yaml", [f])])
    assert "file=a%2Cb%3Ac%25.yaml," in line
    # A line break from a model is shown, not sent: escape.text writes it
    # as a visible \r\n, as every other output does.
    assert line.endswith("::50%25 of\\r\\nthe model, really: yes")


def test_no_findings_prints_nothing():
    assert render([report("a.yaml", [])]) == []
