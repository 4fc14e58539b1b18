"""``report --format html``: one self-contained page, for people who would
rather look than read.

Per model: the totals, a chart of where the parameters and the MACs sit per
module, the sharing picture per convolution (shared vs unshared vs fully
connected, on a log scale), the findings, and the module table. Charts are
inline SVG drawn here; the page loads nothing (no script, no font, no CDN),
so it reads the same offline, attached to a CI run or mailed. Everything a
model file controls goes through ``esc``.
"""

from __future__ import annotations

import html
import math
from typing import Any

from paramlint.analysis.modules import Row, max_depth, rows
from paramlint.formats.report import partial
from .text import human
from paramlint.ir import escape
from paramlint.ir.model import format_shape
from paramlint.lint.results import FileReport
from .memory_html import memory_section

#: A chart shows modules at the deepest depth that keeps it this short.
MAX_BARS = 40
#: The sharing chart shows at most this many convolutions.
MAX_CONVS = 60
FINDINGS_PER_RULE = 20
COLORS = {"params": "#3b6fd4", "macs": "#e07b24", "shared": "#2e9e5b",
          "unshared": "#d9a21b", "dense_equivalent": "#c8443a"}

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1200px;color:#1d2330;background:#fff;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 2px;border-top:1px solid #dde;
padding-top:18px}h3{font-size:15px;margin:22px 0 6px}
.meta{color:#5a6270;margin:0 0 12px}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{border:1px solid #dde2ea;border-radius:6px;padding:8px 12px;min-width:150px}
.card b{display:block;font-size:17px}.card span{color:#5a6270;font-size:12px}
table{border-collapse:collapse;font-size:12.5px;width:100%}
td,th{border-bottom:1px solid #eceff3;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f7fa}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.sev-error{color:#b42318;font-weight:600}.sev-warning{color:#a15c00;font-weight:600}
.sev-info{color:#3b6fd4}.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
svg text{font:11.5px system-ui,-apple-system,Segoe UI,Roboto,sans-serif;fill:#1d2330}
.note{color:#5a6270;font-size:12px}details{margin:10px 0}summary{cursor:pointer}
.error{color:#b42318}
"""


def esc(value: Any) -> str:
    """Text a model controls, safe in element content and attribute values."""
    return html.escape(escape.text(value), quote=True)


def num(value: Any) -> str:
    return "?" if value is None else f"{value:,}" if isinstance(value, int) else esc(value)


def _label(text: str, width: int = 34) -> str:
    return text if len(text) <= width else "…" + text[len(text) - width + 1:]


def _legend(keys: list[tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i style="background:{COLORS[k]}"></i>{esc(label)}</span>' for k, label in keys
    ) + "</div>"


def _chart_depth(doc: dict[str, Any]) -> int:
    """The deepest roll-up whose rows fit in MAX_BARS bars (at least 1)."""
    best = 1
    for d in range(1, max_depth(doc) + 1):
        if len(rows(doc, d)) > MAX_BARS:
            break
        best = d
    return best


def where_chart(doc: dict[str, Any]) -> str:
    """Params and MACs per module: two bars a module, as shares of the totals."""
    totals = doc.get("totals") or {}
    depth = _chart_depth(doc)
    table = rows(doc, depth)
    if not table:
        return '<p class="note">No layer holds parameters or does MACs.</p>'
    total_p = totals.get("params") or 0
    total_m = totals.get("macs") or 0
    label_w, bar_w, row_h = 260, 600, 30
    height = row_h * len(table) + 24
    # bars scaled to the largest share shown, so small models' bars are not slivers
    top = max([(r.params or 0) / total_p for r in table if total_p]
              + [(r.macs or 0) / total_m for r in table if total_m] + [1e-9])
    out = [f'<svg width="{label_w + bar_w + 190}" height="{height}" role="img" '
           f'aria-label="parameters and MACs per module">']
    for i, row in enumerate(table):
        y = 18 + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">'
                   f'<title>{esc(row.path)}</title>{esc(_label(row.path))}</text>')
        for k, (key, value, total) in enumerate((("params", row.params, total_p),
                                                 ("macs", row.macs, total_m))):
            frac = (value or 0) / total if total else 0.0
            w = max(frac / top * bar_w, 1.0 if value else 0.0)
            by = y + 2 + k * 12
            out.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="11" '
                       f'fill="{COLORS[key]}"><title>{esc(row.path)}: {num(value)} {key} '
                       f'({100 * frac:.1f}%)</title></rect>')
            out.append(f'<text x="{label_w + w + 5:.1f}" y="{by + 9.5}">'
                       f'{human(value)} ({100 * frac:.1f}%)</text>')
    out.append(f'<line x1="{label_w}" y1="10" x2="{label_w}" y2="{height - 4}" stroke="#99a"/>')
    out.append("</svg>")
    note = (f'<p class="note">Modules at depth {depth} of their path; bars in proportion, '
            f'the longest {100 * top:.1f}% of the model.</p>')
    return _legend([("params", "parameters"), ("macs", "MACs")]) + "".join(out) + note


def sharing_chart(doc: dict[str, Any]) -> str:
    """Per convolution: shared, unshared and fully connected params, log scale."""
    convs = [r for r in rows(doc) if r.sharing and r.sharing.get("unshared") is not None]
    if not convs:
        return '<p class="note">No convolution or recurrent layer shares weights here.</p>'
    note = ""
    if len(convs) > MAX_CONVS:
        note = (f'<p class="note">The {MAX_CONVS} convolutions whose sharing saves most, '
                f'of {len(convs)}.</p>')
        keep = sorted(convs, key=lambda r: -(r.sharing.get("savings") or 0))[:MAX_CONVS]
        ids = {id(r) for r in keep}
        convs = [r for r in convs if id(r) in ids]
    keys = ("shared", "unshared", "dense_equivalent")
    top = max((r.sharing.get(k) or 1) for r in convs for k in keys)
    decades = max(1, math.ceil(math.log10(max(top, 10))))
    label_w, bar_w, row_h = 260, 600, 40
    height = row_h * len(convs) + 40
    out = [f'<svg width="{label_w + bar_w + 90}" height="{height}" role="img" '
           f'aria-label="parameter sharing per convolution, log scale">']
    for d in range(decades + 1):
        x = label_w + bar_w * d / decades
        out.append(f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{height - 18}" stroke="#e3e6ec"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle">10<tspan dy="-5" '
                   f'font-size="9">{d}</tspan></text>')
    for i, row in enumerate(convs):
        y = 16 + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end">'
                   f'<title>{esc(row.path)}</title>{esc(_label(row.path))}</text>')
        for k, key in enumerate(keys):
            value = row.sharing.get(key)
            if not value:
                continue
            w = bar_w * math.log10(max(value, 1)) / decades
            out.append(f'<rect x="{label_w}" y="{y + 2 + k * 11}" width="{max(w, 1):.1f}" '
                       f'height="10" fill="{COLORS[key]}"><title>{esc(row.path)}: '
                       f'{num(value)} {key.replace("_", " ")}</title></rect>')
        factor = row.sharing.get("factor")
        if factor:
            out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 20}">×{factor}</text>')
    out.append("</svg>")
    legend = _legend([("shared", "shared (what the layer holds)"),
                      ("unshared", "unshared (locally connected)"),
                      ("dense_equivalent", "fully connected")])
    return legend + "".join(out) + note


def _findings(report: FileReport) -> str:
    if not report.findings:
        return "<p>No findings.</p>"
    shown: dict[str, int] = {}
    body = []
    for f in report.findings:
        shown[f.code] = shown.get(f.code, 0) + 1
        if shown[f.code] > FINDINGS_PER_RULE:
            continue
        where = f"line {f.line}" if f.line is not None else (
            f"node {f.node_index}" if f.node_index is not None else "")
        body.append(f'<tr><td>{esc(f.code)}</td><td class="sev-{esc(f.severity)}">'
                    f'{esc(f.severity)}</td><td>{esc(f.layer or "")}</td><td>{esc(where)}</td>'
                    f'<td>{esc(f.message)}</td></tr>')
    more = "".join(f'<p class="note">… and {n - FINDINGS_PER_RULE} more {esc(code)} findings.</p>'
                   for code, n in shown.items() if n > FINDINGS_PER_RULE)
    return ("<table><tr><th>Code</th><th>Severity</th><th>Layer</th><th>Where</th>"
            "<th>Message</th></tr>" + "".join(body) + "</table>" + more)


def _table(table: list[Row]) -> str:
    body = []
    for row in table:
        macs = "?" if row.macs is None else ("≥" if row.macs_unknown else "") + num(row.macs)
        body.append(f"<tr><td>{esc(row.path)}</td><td>{esc(row.op)}</td>"
                    f"<td>{esc(format_shape(row.output_shape))}</td>"
                    f'<td class="n">{num(row.params)}</td><td class="n">{macs}</td></tr>')
    return ("<table><tr><th>Module</th><th>Op</th><th>Output shape</th><th>Params</th>"
            "<th>MACs</th></tr>" + "".join(body) + "</table>")


def known(value: Any, bound: str = "") -> str:
    """A figure, "unknown" when it is not known, ``bound`` before a partial one."""
    return "unknown" if value is None else bound + num(value)


def _cards(doc: dict[str, Any]) -> str:
    """The headline figures; a partial one reads "at least N" with the count
    of layers it leaves out, an unknown one "unknown" (docs/unknowns.md)."""
    totals = doc.get("totals") or {}
    at_least = partial.at_least(doc, "macs")
    bound = partial.at_least(doc, "params")
    what_if = totals.get("weight_bytes_at") or {}
    active = totals.get("active_params")
    per_token = f", {num(active)} active per token" if active not in (None, totals.get("params")) else ""
    cards = [
        ("Parameters", bound + num(totals.get("params")),
         f"{bound}{num(totals.get('trainable'))} trainable{per_token}{partial.why(doc, 'params')}"),
        ("MACs", at_least + human(totals.get("macs")),
         f"FLOPs {at_least}{human(totals.get('flops'))}{partial.why(doc, 'macs')}"),
        ("Weight memory", bound + human(totals.get("weight_bytes"), "B"),
         ", ".join(f"{esc(k)} {bound}{human(v, 'B')}" for k, v in what_if.items())),
        ("Saved by sharing", known(totals.get("sharing_savings"), bound),
         f"{known(totals.get('unshared_params'), bound)} unshared"),
        ("Saved by ties", known(totals.get("tied_savings"), bound),
         f"{num(totals.get('unused_params'))} unused"),
    ]
    return '<div class="cards">' + "".join(
        f"<div class=\"card\"><span>{label}</span><b>{value}</b><span>{sub}</span></div>"
        for label, value, sub in cards) + "</div>"


def render_model(report: FileReport) -> str:
    doc = report.document or {}
    parts = [f"<h2>{esc(doc.get('name') or report.path)}</h2>",
             f'<p class="meta">{esc(report.path)} · {esc(doc.get("format", "?"))} · '
             + ", ".join(f"input {esc(i['name'])} {esc(format_shape(i['shape']))}"
                         for i in doc.get("inputs") or []) + "</p>"]
    if doc.get("error"):
        parts.append(f'<p class="error">Could not be loaded: {esc(doc["error"])}</p>')
        parts += ["<h3>Findings</h3>", _findings(report)]
        return "\n".join(parts)
    parts += [_cards(doc), memory_section(doc),
              "<h3>Where the parameters and the MACs sit</h3>", where_chart(doc),
              "<h3>What sharing saves, per convolution (log scale)</h3>", sharing_chart(doc),
              f"<h3>Findings ({len(report.findings)})</h3>", _findings(report),
              "<details><summary>Every module</summary>", _table(rows(doc)), "</details>"]
    return "\n".join(parts)


def render(reports: list[FileReport], *, version: str = "", **_: Any) -> str:
    body = "\n".join(render_model(r) for r in reports) or "<p>No model files were checked.</p>"
    n = sum(len(r.findings) for r in reports)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>paramlint report</title><style>{STYLE}</style></head><body>"
            f"<h1>paramlint report</h1><p class=\"meta\">paramlint {esc(version)}: "
            f"{len(reports)} model(s), {n} finding(s)</p>\n{body}\n</body></html>\n")
