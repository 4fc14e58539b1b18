"""Markdown for ``report --format markdown``: a PR comment or job summary.

Rendered from each FileReport's document (report-json.md): a heading per
model, its layer table, its totals, then its findings.
"""

from __future__ import annotations

from typing import Any

from ..baseline import repo_path
from ..ir import format_shape
from ..results import FileReport

TOTALS = (
    ("params", "Parameters"),
    ("trainable", "Trainable"),
    ("non_trainable", "Non-trainable"),
    ("per_use_params", "Per-use parameters"),
    ("tied_savings", "Saved by ties"),
    ("unshared_params", "Without sharing"),
    ("sharing_savings", "Saved by sharing"),
    ("unused_params", "Unused"),
)
ICONS = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}


def cell(value: Any) -> str:
    """A table cell: escaped pipes, no line breaks."""
    text = str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def inline(value: Any) -> str:
    """Text inside a list item or heading: Markdown's active characters escaped."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text


def count(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"
    return str(value)


def shape(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, (list, tuple)):
        return format_shape(value)
    return str(value)


def _layers(layers: list[dict[str, Any]]) -> list[str]:
    out = ["| Layer | Op | Output shape | Params | Unshared | Factor |",
           "| --- | --- | --- | ---: | ---: | ---: |"]
    for layer in layers:
        sharing = layer.get("sharing") or None
        name = cell(layer.get("name", ""))
        if layer.get("shared_with"):
            name += " (shared with " + cell(", ".join(layer["shared_with"])) + ")"
        out.append("| " + " | ".join([
            name,
            cell(layer.get("op", "")),
            cell(shape(layer.get("output_shape"))),
            count(layer.get("params")),
            count(sharing.get("unshared")) if sharing else "—",
            f"{sharing['factor']}×" if sharing and sharing.get("factor") is not None
            else "—",
        ]) + " |")
    return out


def _findings(report: FileReport) -> list[str]:
    if not report.findings:
        return ["No findings."]
    out = []
    for f in report.findings:
        where = []
        if f.layer:
            where.append(f"`{f.layer.replace('`', '')}`")
        if f.line is not None:
            where.append(f"line {f.line}")
        elif f.node_index is not None:
            where.append(f"node {f.node_index}")
        loc = f" ({', '.join(where)})" if where else ""
        icon = ICONS.get(f.severity, "")
        out.append(f"- {icon} **{f.code}** {f.rule}{loc}: {inline(f.message)}")
    return out


def render_one(report: FileReport) -> list[str]:
    doc = report.document or {}
    path = repo_path(report.path)
    name = doc.get("name") or path
    lines = [f"## {inline(name)}", "", f"`{path.replace('`', '')}` · {doc.get('format', '?')}"]
    if doc.get("error"):
        lines += ["", f"**Could not be loaded:** {inline(doc['error'])}"]
    layers = doc.get("layers") or []
    if layers:
        lines += ["", *_layers(layers)]
    totals = doc.get("totals")
    if totals:
        lines += ["", "| Total | Count |", "| --- | ---: |"]
        for key, label in TOTALS:
            if key in totals:
                lines.append(f"| {label} | {count(totals[key])} |")
    lines += ["", f"### Findings ({len(report.findings)})", "", *_findings(report)]
    return lines


def render(reports: list[FileReport], *, rules: list[dict], version: str, **_options) -> str:
    lines = ["# paramlint report", ""]
    if not reports:
        lines.append("No model files were checked.")
    for i, report in enumerate(reports):
        if i:
            lines.append("")
        lines += render_one(report)
    n = sum(len(r.findings) for r in reports)
    lines += ["", f"<sub>paramlint {version}: {len(reports)} model(s), "
                  f"{n} finding(s).</sub>"]
    return "\n".join(lines) + "\n"
