"""The per-layer table and totals, modelled on Keras's summary() and torchinfo.

Fits in 100 columns; long names are shortened in the middle, where dotted
block names differ least.
"""

from __future__ import annotations

from typing import Any

import click

from ..ir import format_shape
from ..results import FileReport
from . import findings_text

WIDTH = 99
COLUMNS = (("Layer", 28, "<"), ("Op", 13, "<"), ("Output shape", 19, "<"),
           ("Params", 13, ">"), ("Unshared", 15, ">"), ("Factor", 6, ">"))
SHARING_COLUMNS = (("Layer", 28, "<"), ("Shared", 11, ">"), ("Unshared", 15, ">"),
                   ("Fully connected", 19, ">"), ("Savings", 15, ">"), ("Factor", 6, ">"))
TOTALS = (("Total params", "params"), ("Trainable params", "trainable"),
          ("Non-trainable params", "non_trainable"), ("Per-use params", "per_use_params"),
          ("Tied savings", "tied_savings"), ("Unshared params", "unshared_params"),
          ("Sharing savings", "sharing_savings"), ("Unused params", "unused_params"))


def num(value: Any) -> str:
    if value is None:
        return "?"
    return f"{value:,}" if isinstance(value, int) else str(value)


def ratio(value: Any) -> str:
    """A factor is a ratio, printed bare (3025), as counting.md writes it."""
    return "?" if value is None else str(value)


def shorten(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    keep = width - 1
    head = keep // 2
    return text[:head] + "…" + text[len(text) - (keep - head):]


def _row(cells: list[str], columns) -> str:
    return " ".join(f"{shorten(cell, width):{align}{width}}"
                    for cell, (_, width, align) in zip(cells, columns)).rstrip()


def _header(columns) -> list[str]:
    return [click.style(_row([c[0] for c in columns], columns), bold=True), "─" * WIDTH]


def render_model(report: FileReport) -> list[str]:
    doc = report.document
    title = f"{doc.get('name')}  ({doc.get('path')}, {doc.get('format')})"
    out = [click.style(title, bold=True)]
    if doc.get("error"):
        out.append("  could not be loaded; see the finding below")
        return out
    for inp in doc.get("inputs", []):
        out.append(f"  input {inp['name']}: {format_shape(inp['shape'])}")
    out.extend(_header(COLUMNS))
    for layer in doc["layers"]:
        sharing = layer.get("sharing") or {}
        out.append(_row([
            layer["name"], layer["op"], format_shape(layer.get("output_shape")),
            num(layer.get("params")),
            num(sharing.get("unshared")) if sharing else "",
            ratio(sharing.get("factor")) if sharing else "",
        ], COLUMNS))
    out.append("─" * WIDTH)
    sharing_rows = [layer for layer in doc["layers"] if layer.get("sharing")]
    if sharing_rows:
        out.append("")
        out.append(click.style("Parameter sharing: shared vs the same layer unshared "
                               "(locally connected) and fully connected", bold=True))
        out.extend(_header(SHARING_COLUMNS))
        for layer in sharing_rows:
            s = layer["sharing"]
            out.append(_row([layer["name"], num(s["shared"]), num(s["unshared"]),
                             num(s["dense_equivalent"]), num(s["savings"]), ratio(s["factor"])],
                            SHARING_COLUMNS))
        out.append("─" * WIDTH)
    totals = doc.get("totals") or {}
    label_width = max(len(label) for label, _ in TOTALS)
    for label, key in TOTALS:
        out.append(f"{label + ':':<{label_width + 1}} {num(totals.get(key)):>15}")
    for tie in doc.get("ties", []):
        out.append(f"  tied: {tie['name']} ({num(tie['elements'])}) read by {', '.join(tie['layers'])}")
    merged = doc.get("merged_constants", [])
    if merged:
        out.append(f"  merged constants (counted once per reader, not ties): {len(merged)}")
    return out


def render(reports: list[FileReport], quiet: bool = False, **_: Any) -> str:
    blocks = []
    for report in reports:
        lines = render_model(report)
        if report.findings:
            lines.append("")
            lines.extend(findings_text.line(f) for f in report.findings)
        blocks.append("\n".join(lines))
    findings = [f for r in reports for f in r.findings]
    blocks.append(findings_text.summary(reports, findings))
    return "\n\n".join(blocks)
