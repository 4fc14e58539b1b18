"""JUnit XML: a testsuite per file, a failing testcase per finding.

A file without findings gets one passing testcase so CI lists it as
checked. Built with xml.etree, which escapes markup; escape.xml makes every name
and message one line of text that XML 1.0 allows.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from paramlint.ir.escape import xml
from paramlint.lint.baseline import repo_path
from paramlint.lint.results import FileReport


def _where(f) -> str:
    parts = []
    if f.line is not None:
        parts.append(f"line {f.line}" + (f", column {f.column}" if f.column is not None else ""))
    if f.node_index is not None:
        parts.append(f"node {f.node_index}" + (f" ({xml(f.node_name)})" if f.node_name else ""))
    if f.layer:
        parts.append(f"layer {xml(f.layer)}")
    return "; ".join(parts)


def render(reports: list[FileReport], *, rules: list[dict], version: str, **_options) -> str:
    root = ET.Element("testsuites", name="paramlint")
    total = failures = 0
    for report in reports:
        path = xml(repo_path(report.path))
        suite = ET.SubElement(root, "testsuite", name=path)
        findings = report.findings
        if not findings:
            ET.SubElement(suite, "testcase", name="paramlint", classname=path, file=path)
        for f in findings:
            name = xml(f"{f.code} {f.rule}" + (f" {f.layer}" if f.layer else ""))
            attrs = {"name": name, "classname": path, "file": path}
            if f.line is not None:
                attrs["line"] = str(f.line)
            case = ET.SubElement(suite, "testcase", **attrs)
            message = xml(f.message)
            failure = ET.SubElement(case, "failure", message=message, type=xml(f.code))
            where = _where(f)
            failure.text = (f"{path}: {where}: " if where else f"{path}: ") + \
                f"{xml(f.code)} [{f.severity}] {message}"
        tests = max(len(findings), 1)
        suite.set("tests", str(tests))
        suite.set("failures", str(len(findings)))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total += tests
        failures += len(findings)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
