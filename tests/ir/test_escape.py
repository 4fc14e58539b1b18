"""Hostile names cannot reach a terminal, a CI log, XML, markdown or JSON raw.

Unit tests pin analyzer/escape.py; property tests feed names of arbitrary
Unicode, control characters, terminal escapes, workflow commands and
markup through real files (YAML and ONNX) and the real engine, then check
every format of ``check`` and ``report``:

- no control character (C0, C1, ESC, NUL, bidi and other format
  characters, line/paragraph separators) anywhere but ``\\n`` line ends;
- no line that GitHub Actions would run as a workflow command (``::`` at
  the start after whitespace, or ``##[`` anywhere), except the github
  format's own one line per finding;
- JUnit parses with an XML parser; markdown tables keep their columns;
  JSON parses and keeps names exactly.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
import xml.etree.ElementTree as ET

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paramlint import formats
from paramlint.ir import escape
from paramlint.cli.commands import rule_metadata
from paramlint.lint.engine import Settings
from paramlint.run.pool import analyze
from paramlint.lint.plugins import discover

HOSTILE = [
    "\n", "\r\n", "\x1b[2J", "\x1b]0;pwned\x07", "\x00", "\x7f", "\x85", "\x9b31m", "\t",
    "\u202e", "\u2066", "\u200f", "\u061c", "\u2028", "\u2029", "\ufeff", "\u00ad",
    "::error file=README.md,line=1::injected", "\n::warning::x", "  ::notice::y",
    "##[error]legacy", "##[set-output name=a;]b",
    "|", "`", "``", "<script>alert(1)</script>", "&amp;", "]]>", "<![CDATA[", "\"'",
    "[link](https://evil.example)", "*bold*", "_u_", "%0A%25", ",", ":", "\\", "\U0001F600",
    "\uffff", "\ufffe", "x" * 300,
]

CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"}
WORKFLOW = re.compile(r"^\s*::")
GITHUB_LINE = re.compile(r"^::(error|warning|notice) file=[^:\n]*?(,line=\d+(,col=\d+)?)?,"
                         r"title=[^:\n]*::[^\n]*$")

name_part = st.sampled_from(HOSTILE) | st.text(
    alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
names = st.lists(name_part, min_size=1, max_size=4).map("".join)


def bad_characters(output: str) -> list[str]:
    return sorted({repr(ch) for ch in output
                   if ch != "\n" and unicodedata.category(ch) in CONTROL_CATEGORIES
                   and ch not in "\ufe0f"})


#: The colour and bold codes the text formats add themselves (click.style;
#: click.echo drops them unless stdout is a terminal). Nothing else passes.
OWN_STYLES = re.compile(r"\x1b\[(?:0|1|3[0-7]|9[0-7])m")


def check_output(fmt: str, output: str, n_findings: int) -> None:
    output = OWN_STYLES.sub("", output)
    assert not bad_characters(output), (fmt, bad_characters(output))
    assert "##[" not in output, fmt
    lines = output.splitlines()
    if fmt == "github":
        assert len(lines) == n_findings
        for line in lines:
            assert GITHUB_LINE.match(line), line
        return
    assert not [ln for ln in lines if WORKFLOW.match(ln)], fmt
    if fmt == "junit":
        root = ET.fromstring(output.encode("utf-8"))
        assert len(root.findall(".//failure")) == n_findings
    elif fmt in ("json", "sarif", "gitlab"):
        json.loads(output)
    elif fmt == "markdown":
        for block in _tables(lines):
            widths = {_cells(row) for row in block}
            assert len(widths) == 1, block


def _tables(lines: list[str]) -> list[list[str]]:
    out, current = [], []
    for line in lines + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            out.append(current)
            current = []
    return out


def _cells(row: str) -> int:
    """Columns of a GFM table row: pipes not escaped by a backslash."""
    return len(re.findall(r"(?<!\\)(?:\\\\)*\|", row)) - 1


RULES = None


def run_all_formats(paths: list[str]) -> dict[str, tuple[str, int]]:
    global RULES
    if RULES is None:
        RULES = discover().rules
    reports = analyze(paths, Settings(), jobs=1)
    n = sum(len(r.findings) for r in reports)
    out = {}
    meta = rule_metadata(RULES)
    for fmt in formats.CHECK_FORMATS:
        out["check " + fmt] = (formats.get(fmt, formats.CHECK_FORMATS).render(
            reports, rules=meta, version="0"), n)
    for fmt in formats.REPORT_FORMATS:
        out["report " + fmt] = (formats.get(fmt, formats.REPORT_FORMATS).render(
            reports, rules=meta, version="0"), n)
    return out


def yaml_name(value: str) -> str:
    """A name the YAML format accepts (no '.', no leading '@'); anything else goes."""
    return "n" + value.replace(".", "_")


def yaml_model(model: str, inp: str, conv: str, dense: str, missing: str) -> tuple[str, str]:
    inp, conv, dense = yaml_name(inp), yaml_name(conv), yaml_name(dense)
    good = {"paramlint": 1, "name": model, "inputs": {inp: [8, 8, 8]},
            "layers": [{"name": conv, "type": "conv2d", "filters": 8, "kernel": 1, "inputs": [inp]},
                       {"name": dense, "type": "dense", "units": 10}]}
    bad = {**good, "layers": [{"name": conv, "type": "conv2d", "filters": 8, "kernel": 1,
                               "inputs": [missing]}]}
    return yaml.safe_dump(good, allow_unicode=False), yaml.safe_dump(bad, allow_unicode=False)


def safe_filename(value: str) -> str:
    cleaned = "".join(ch for ch in value if ch not in "/\x00" and not 0xD800 <= ord(ch) <= 0xDFFF)
    return cleaned.encode("utf-8")[:120].decode("utf-8", "ignore") or "m"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(names, names, names, names, names).filter(
    lambda t: len({yaml_name(n) for n in t}) == 5))
def test_hostile_yaml_names_are_inert_in_every_format(ns):
    model, inp, conv, dense, missing = ns
    good, bad = yaml_model(model, inp, conv, dense, missing)
    with tempfile.TemporaryDirectory() as folder:
        stem = safe_filename(model)
        paths = [os.path.join(folder, stem + ".yaml"), os.path.join(folder, "bad " + stem + ".yml")]
        for path, text in zip(paths, (good, bad)):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        outputs = run_all_formats(paths)
    for fmt, (output, n) in outputs.items():
        check_output(fmt.split()[1], output, n)
    document = json.loads(outputs["report json"][0])
    names_out = {layer["name"] for m in document["models"] for layer in m.get("layers", [])}
    assert {yaml_name(conv), yaml_name(dense)} <= names_out  # JSON keeps names exactly


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(names, names, names, names).filter(lambda t: len(set(t)) == 4))
def test_hostile_onnx_names_are_inert_in_every_format(ns):
    import onnx_builders as ob

    graph, inp, conv, dense = ns
    b = ob.GraphBuilder(graph, weights=None)
    x = b.input(inp, [1, 8, 8, 8])
    x = b.node("Conv", [x, b.init(conv + ".weight", [8, 8, 1, 1])], name=conv, kernel_shape=[1, 1])
    x = b.node("Flatten", [x], name="/Flatten", axis=1)
    x = b.node("Gemm", [x, b.init(dense + ".weight", [10, 512])], name=dense, transB=1)
    b.output(x, [1, 10])
    with tempfile.TemporaryDirectory() as folder:
        path = ob.save(b.model(), os.path.join(folder, safe_filename(graph) + ".onnx"))
        outputs = run_all_formats([path])
    assert outputs["check json"][1] >= 1  # the dense layer on an 8x8 map is reported
    for fmt, (output, n) in outputs.items():
        check_output(fmt.split()[1], output, n)


@given(st.text())
def test_text_is_one_inert_line(value):
    out = escape.text(value)
    assert not bad_characters(out) and "\n" not in out
    assert not WORKFLOW.match(out) and "##[" not in out
    assert escape.text(out) == out  # idempotent: escaping twice changes nothing


@given(st.text())
def test_markdown_never_ends_a_cell_or_opens_markup(value):
    out = escape.markdown(value)
    assert _cells("| " + out + " |") == 1
    assert "<" not in out and "`" not in out.replace("\\`", "")


@given(st.text())
def test_xml_text_parses(value):
    element = ET.Element("e", a=escape.xml(value))
    element.text = escape.xml(value)
    ET.fromstring(ET.tostring(element))


def test_printable_names_are_left_as_they_are():
    for value in ("conv1", "features.0.weight", "/model/layer1/Conv", "画像", "ä-ö [3, 224]"):
        assert escape.text(value) == value


def test_controls_are_shown_as_python_escapes():
    assert escape.text("a\nb\x1b[2J\u202ec\x00") == "a\\nb\\x1b[2J\\u202ec\\x00"


def test_workflow_commands_are_defused():
    assert escape.text("::error::x") == "\\::error::x"
    assert escape.text("  ::error::x") == "  \\::error::x"
    assert escape.text("a ##[error]b") == "a ##\\[error]b"
    assert escape.log_lines("ok\n  ::set-output name=x::y\nz") == "ok\n  \\::set-output name=x::y\nz"


def test_workflow_properties_follow_githubs_escaping():
    assert escape.workflow_property("a,b:c%") == "a%2Cb%3Ac%25"
    assert escape.workflow_data("50% a:b,c") == "50%25 a:b,c"


def test_long_names_are_cut_in_the_middle_saying_how_much():
    long = "encoder.layers." + "x" * 500 + ".attention"
    out = escape.name(long)
    assert len(out) == escape.NAME_LIMIT
    assert out.startswith("encoder.layers.") and out.endswith(".attention")
    shown, omitted = out.split("…(")[0] + out.split(" more)…")[1], out.split("…(")[1].split(" ")[0]
    assert len(shown) + int(omitted) == len(long) == 525


def test_long_names_inside_messages_are_cut():
    out = escape.message(f"dense '{'y' * 5000}' holds 60% of the model")
    assert len(out) < 200 and out.endswith("holds 60% of the model")


def test_markdown_keeps_ordinary_names_and_shapes():
    assert escape.markdown("layer_1 [96, 55, 55]") == "layer_1 [96, 55, 55]"
    assert escape.markdown("a|b <i> `c` [x](y)") == "a\\|b &lt;i&gt; \\`c\\` [x\\](y)"


def test_hostile_names_are_inert_in_every_diff_format(tmp_path):
    import subprocess
    import sys

    from paramlint.formats import DIFF_FORMATS

    hostile = [yaml_name("".join(HOSTILE[i:i + 4])) for i in range(0, 24, 4)]
    old = {"name": hostile[0], "inputs": {hostile[1]: [8, 8, 8]},
           "layers": [{"name": hostile[2], "type": "conv2d", "filters": 8, "kernel": 1,
                       "inputs": [hostile[1]]},
                      {"name": hostile[3], "type": "dense", "units": 10}]}
    new = {**old, "layers": [*old["layers"][:1],
                             {"name": hostile[4], "type": "conv2d", "filters": 16, "kernel": 1},
                             {"name": hostile[5], "type": "dense", "units": 20}]}
    for name, doc in (("old.yaml", old), ("new.yaml", new)):
        (tmp_path / name).write_text(yaml.safe_dump(doc, allow_unicode=False))
    for fmt in DIFF_FORMATS:
        proc = subprocess.run([sys.executable, "-m", "paramlint", "diff", "-f", fmt, "old.yaml",
                               "new.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode in (0, 1), proc.stderr
        assert proc.stdout.strip(), fmt
        n_lines = len(proc.stdout.splitlines())
        check_output(fmt, proc.stdout, n_lines if fmt == "github" else 0)
