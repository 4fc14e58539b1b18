"""The text formats: one finding per line, flake8-style, and the layer table."""

import click

from paramlint.formats.findings import text as findings_text
from paramlint.formats.report import text as report_text
from paramlint.lint.results import FileReport

from report_helpers import document, finding, layer, onnx_finding


def plain(text):
    return click.unstyle(text)


def test_yaml_finding_is_path_line_col_code_severity_message():
    line = plain(findings_text.line(finding(message="dense 'fc6' is big")))
    assert line == "models/net.yaml:21:5: PRM301 [warning] dense 'fc6' is big"


def test_onnx_finding_names_its_node_once():
    named = plain(findings_text.line(onnx_finding(layer="/fc/Gemm", message="dense '/fc/Gemm' is big")))
    assert named == "models/net.onnx: PRM301 [warning] dense '/fc/Gemm' is big (node 7)"
    unnamed = plain(findings_text.line(onnx_finding(layer="/fc/Gemm", message="something is big")))
    assert unnamed.endswith("something is big (node 7 '/fc/Gemm')")


def test_multi_line_and_control_characters_stay_on_one_line():
    line = plain(findings_text.line(finding(message="a\nb\x1b[31m c")))
    assert "\n" not in line and "\x1b" not in line and line.endswith("a\\nb\\x1b[31m c")


def test_summary_counts_findings_by_severity_and_files():
    reports = [FileReport("a.yaml", document("a.yaml"), [finding(), finding("PRM101")]),
               FileReport("b.yaml", document("b.yaml"), [])]
    out = plain(findings_text.render(reports))
    assert out.splitlines()[-1] == "Found 2 findings (1 error, 1 warning) in 1 of 2 files."


def test_clean_run_says_so():
    out = plain(findings_text.render([FileReport("a.yaml", document("a.yaml"), [])]))
    assert out == "All checks passed (1 file)."


def test_report_table_fits_100_columns_and_keeps_the_distinctive_end_of_long_names():
    name = "/backbone/stages.3/blocks.11/attention/query_key_value/MatMul"
    rows = [layer(name, "dense", params=123_456_789, output_shape=("batch", 197, 2304))]
    out = plain(report_text.render([FileReport("m.onnx", document("m.onnx", layers=rows), [])]))
    assert max(len(line) for line in out.splitlines()) <= 100
    row = next(line for line in out.splitlines() if "123,456,789" in line)
    shown = row.split()[0]
    assert shown.startswith("…") and shown.endswith("/query_key_value/MatMul")
