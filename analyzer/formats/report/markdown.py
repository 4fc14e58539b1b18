"""Markdown for ``report --format markdown``: a PR comment or job summary.

Rendered from each FileReport's document (report-json.md): a heading per
model, its layer table, its totals, then its findings.
"""

from __future__ import annotations

from typing import Any

from paramlint.analysis.modules import Row, max_depth, rows
from paramlint.formats.report import partial
from paramlint.ir import escape
from paramlint.ir.model import format_shape
from paramlint.lint.baseline import repo_path
from paramlint.lint.results import FileReport
from .memory_rows import memory_rows

#: The most a GitHub pull-request comment or job summary holds.
LIMIT = 65_536

TOTALS = (
    ("params", "Parameters"),
    ("active_params", "Active per token"),
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
    """A table cell: one line, inert (escape.markdown)."""
    return escape.markdown(value, escape.NAME_LIMIT)


def inline(value: Any) -> str:
    """Text inside a list item or heading: one line, inert (escape.markdown)."""
    return escape.markdown(value)


def code_span(value: Any) -> str:
    """Text shown as code: visible escapes, no backtick to close the span early."""
    return "`" + escape.text(value).replace("`", "'") + "`"


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


def _layers(table: list[Row], totals: dict[str, Any]) -> list[str]:
    out = ["| Module | Op | Output shape | Params | MACs | Unshared | Factor |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for row in table:
        sharing = row.sharing
        macs = "?" if row.macs is None else ("≥" if row.macs_unknown else "") + count(row.macs)
        out.append("| " + " | ".join([
            cell(row.path),
            cell(row.op),
            cell(shape(row.output_shape)),
            count(row.params),
            macs,
            count(sharing.get("unshared")) if sharing else "—",
            f"{sharing['factor']}×" if sharing and sharing.get("factor") is not None
            else "—",
        ]) + " |")
    return out


def _findings(report: FileReport, per_rule: int | None = None) -> list[str]:
    if not report.findings:
        return ["No findings."]
    out = []
    shown: dict[str, int] = {}
    for f in report.findings:
        shown[f.code] = shown.get(f.code, 0) + 1
        if per_rule is not None and shown[f.code] > per_rule:
            continue
        where = []
        if f.layer:
            where.append(code_span(f.layer))
        if f.line is not None:
            where.append(f"line {f.line}")
        elif f.node_index is not None:
            where.append(f"node {f.node_index}")
        loc = f" ({', '.join(where)})" if where else ""
        icon = ICONS.get(f.severity, "")
        out.append(f"- {icon} **{f.code}** {f.rule}{loc}: {inline(f.message)}")
    if per_rule is not None:
        for rule_code, n in shown.items():
            if n > per_rule:
                out.append(f"- … and {n - per_rule} more **{rule_code}** findings "
                           f"(`paramlint check` lists them all)")
    return out


def total(doc: dict[str, Any], key: str, value: Any = None) -> str:
    """A total's cell: "at least N (K layers unknown)" when it is a lower
    bound, "unknown" when it is not known (docs/unknowns.md)."""
    value = (doc.get("totals") or {}).get(key) if value is None else value
    if value is None:
        return "unknown"
    return f"{partial.at_least(doc, key)}{count(value)}{partial.why(doc, key)}"


def _compute(doc: dict[str, Any]) -> list[str]:
    totals = doc.get("totals") or {}
    if totals.get("macs") is None:
        return []
    out = [f"| MACs | {total(doc, 'macs')} |",
           f"| FLOPs | {total(doc, 'flops')} |"]
    if totals.get("weight_bytes") is not None:
        out.append(f"| Weight bytes (as stored) | {total(doc, 'weight_bytes')} |")
        for label, value in (totals.get("weight_bytes_at") or {}).items():
            out.append(f"| Weight bytes at {cell(label)} | {total(doc, 'weight_bytes', value)} |")
    return out


def render_one(report: FileReport, depth: int | None = None, show_all: bool = False,
               per_rule: int | None = None, max_rows: int | None = None) -> list[str]:
    doc = report.document or {}
    path = repo_path(report.path)
    name = doc.get("name") or path
    lines = [f"## {inline(name)}", "", f"{code_span(path)} · {inline(doc.get('format', '?'))}"]
    if doc.get("error"):
        lines += ["", f"**Could not be loaded:** {inline(doc['error'])}"]
    totals = doc.get("totals") or {}
    if doc.get("layers"):
        table = rows(doc, depth, show_all)
        if depth is not None:
            lines += ["", f"Modules rolled up to depth {depth}."]
        cut = 0
        if max_rows is not None and len(table) > max_rows:
            cut = len(table) - max_rows
            table = table[:max_rows]
        lines += ["", *_layers(table, totals)]
        if cut:
            lines.append(f"\n… and {cut:,} more rows.")
    if doc.get("totals"):
        lines += ["", "| Total | Count |", "| --- | ---: |"]
        for key, label in TOTALS:
            if key == "active_params" and totals.get(key) == totals.get("params"):
                continue  # only a mixture of experts makes it differ
            if key in totals:
                lines.append(f"| {label} | {total(doc, key)} |")
        lines += _compute(doc)
    memory = memory_rows(doc)
    if memory:
        lines += ["", "| Memory | Bytes |", "| --- | ---: |"]
        lines += [f"| {cell(label)} | {cell(value)} |" for label, value in memory]
    lines += ["", f"### Findings ({len(report.findings)})", "", *_findings(report, per_rule)]
    return lines


def _document(reports: list[FileReport], version: str, note: str | None, **how: Any) -> str:
    lines = ["# paramlint report", ""]
    if note:
        lines += [f"_{note}_", ""]
    if not reports:
        lines.append("No model files were checked.")
    for i, report in enumerate(reports):
        if i:
            lines.append("")
        lines += render_one(report, **how)
    n = sum(len(r.findings) for r in reports)
    lines += ["", f"<sub>paramlint {version}: {len(reports)} model(s), "
                  f"{n} finding(s).</sub>"]
    return escape.log_lines("\n".join(lines)) + "\n"


def render(reports: list[FileReport], *, rules: list[dict], version: str,
           depth: int | None = None, show_all: bool = False, limit: int = LIMIT,
           **_options: Any) -> str:
    """The whole report, within ``limit`` characters (a GitHub comment holds
    65,536). When the full report is longer: findings capped at 20 per rule,
    then modules rolled up one level at a time, then findings capped at 5,
    then rows cut; the text says which."""
    text = _document(reports, version, None, depth=depth, show_all=show_all)
    if len(text) <= limit:
        return text
    deepest = max((max_depth(r.document or {}) for r in reports), default=1)
    start = min(depth, deepest) if depth is not None else deepest
    fits = f"to fit in {limit:,} characters (a GitHub comment); `--depth` chooses"
    capped = "findings capped at 20 per rule"
    text = _document(reports, version, f"The {capped} {fits}.", depth=depth, per_rule=20)
    if len(text) <= limit:
        return text
    for d in range(max(start - 1, 1), 0, -1):
        note = f"Modules rolled up to depth {d} and {capped} {fits}."
        text = _document(reports, version, note, depth=d, per_rule=20)
        if len(text) <= limit:
            return text
    note = f"Modules rolled up to depth 1 and findings capped at 5 per rule {fits}."
    text = _document(reports, version, note, depth=1, per_rule=5)
    max_rows = 400
    while len(text) > limit and max_rows > 1:
        max_rows //= 2
        text = _document(reports, version, note, depth=1, per_rule=1, max_rows=max_rows)
    if len(text) > limit:  # thousands of models: the end is cut, and says so
        tail = "\n\n… cut to fit; the JSON output has everything.\n"
        text = text[:limit - len(tail)] + tail
    return text
