"""The HTML report's memory section: a stacked bar of serving memory
(weights / KV cache / activations), the device size as a line when one is
given, and the figures' table. Inline SVG, nothing loaded."""

from __future__ import annotations

import html
from typing import Any

from paramlint.ir import escape
from .memory_rows import bar_parts, memory_rows
from .memory_text import size

PART_COLORS = {"weights": "#3b6fd4", "KV cache": "#2e9e5b", "activations": "#e07b24"}


def _esc(value: Any) -> str:
    return html.escape(escape.text(value), quote=True)


def stacked_bar(doc: dict[str, Any]) -> str:
    parts = bar_parts(doc)
    if not parts:
        return ""
    fits = (doc.get("memory") or {}).get("serving", {}).get("fits") or {}
    device = fits.get("device_bytes")
    total = sum(value for _, value in parts)
    scale_to = max(total, device or 0) or 1
    width, left = 900, 10
    out = [f'<svg width="{width + 2 * left}" height="64" role="img" aria-label="serving memory by part">']
    x = float(left)
    for label, value in parts:
        w = value / scale_to * width
        out.append(f'<rect x="{x:.1f}" y="8" width="{max(w, 1.0):.1f}" height="26" fill="{PART_COLORS[label]}">'
                   f'<title>{label}: {_esc(size(value))} ({100 * value / total:.1f}%)</title></rect>')
        x += w
    if device:
        dx = left + device / scale_to * width
        out.append(f'<line x1="{dx:.1f}" y1="2" x2="{dx:.1f}" y2="40" stroke="#b42318" stroke-width="2"/>')
        short = size(device).split("(")[-1].rstrip(")")
        out.append(f'<text x="{dx:.1f}" y="54" text-anchor="end">device {_esc(short)}</text>')
    out.append("</svg>")
    legend = "".join(f'<span><i style="background:{PART_COLORS[label]}"></i>{label} {_esc(size(value))}</span>'
                     for label, value in parts)
    return f'<div class="legend">{legend}</div>' + "".join(out)


def memory_section(doc: dict[str, Any]) -> str:
    rows = memory_rows(doc)
    if not rows:
        return ""
    table = "<table>" + "".join(f'<tr><td>{_esc(label)}</td><td class="n">{_esc(value)}</td></tr>'
                                for label, value in rows) + "</table>"
    note = ('<p class="note">Serving = weights + KV cache at the context and batch + the activation peak '
            '(tensors alive at once in file order, no buffer reuse: an upper bound).</p>')
    return "<h3>Memory</h3>" + stacked_bar(doc) + table + note
