"""Findings as text lines, flake8-style: ``path:line:col: CODE [severity] message``."""

from __future__ import annotations

from collections import Counter
from typing import Any

import click

from paramlint.ir import escape
from paramlint.lint.results import FileReport
from paramlint.lint.rule import Finding

#: What a run that found no model file says (cli-and-rules.md).
NO_MODELS = "no model files found"
COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}


def where(finding: Finding) -> str:
    out = escape.text(finding.path)
    if finding.line is not None:
        out += f":{finding.line}"
        if finding.column is not None:
            out += f":{finding.column}"
    return out


def line(finding: Finding) -> str:
    """One finding on one line; ONNX findings name their node."""
    message = escape.message(finding.message)
    if finding.line is None and finding.node_index is not None:
        name = escape.name(finding.node_name or finding.layer)
        named = name is not None and f"'{name}'" in message
        message += f" (node {finding.node_index})" if named else f" (node {finding.node_index} '{name}')"
    severity = click.style(f"[{finding.severity}]", fg=COLOURS.get(finding.severity))
    return f"{click.style(where(finding), bold=True)}: {click.style(finding.code, bold=True)} {severity} {message}"


def summary(reports: list[FileReport], findings: list[Finding]) -> str:
    files = len(reports)
    if not files:  # a mistyped path must not read as a pass
        return NO_MODELS
    noun = "file" if files == 1 else "files"
    if not findings:
        return click.style(f"All checks passed ({files} {noun}).", fg="green")
    by_sev = Counter(f.severity for f in findings)
    parts = [f"{by_sev[s]} {s}{'' if by_sev[s] == 1 else 's'}"
             for s in ("error", "warning", "info") if by_sev[s]]
    touched = len({f.path for f in findings})
    return (f"Found {len(findings)} finding{'' if len(findings) == 1 else 's'} "
            f"({', '.join(parts)}) in {touched} of {files} {noun}.")


def statistics(findings: list[Finding]) -> list[str]:
    """Counts per rule, most frequent first (``--statistics``)."""
    counts = Counter((f.code, f.rule) for f in findings)
    return [f"{count:6d}  {code}  {rule}" for (code, rule), count in
            sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def render(reports: list[FileReport], quiet: bool = False, show_statistics: bool = False,
           **_: Any) -> str:
    findings = [f for r in reports for f in r.findings]
    lines = [] if quiet else [line(f) for f in findings]
    if show_statistics:
        lines.extend(statistics(findings))
    if not quiet:
        lines.append(summary(reports, findings))
    return escape.log_lines("\n".join(lines))
