"""The per-module table and totals, modelled on torchinfo and Keras's summary().

Rows are modules, not plumbing (analyzer/modules.py); fits in 100
columns; long module paths keep their distinctive end.
"""

from __future__ import annotations

from typing import Any

import click

from paramlint.analysis.modules import Row, rows, shorten
from paramlint.formats.findings import text as findings_text
from paramlint.formats.report import partial
from paramlint.ir import escape
from paramlint.ir.model import format_shape
from paramlint.lint.results import FileReport
from .memory_text import memory_lines

WIDTH = 99
COLUMNS = (("Module", 31, "<"), ("Op", 10, "<"), ("Output shape", 17, "<"),
           ("Params", 11, ">"), ("%", 5, ">"), ("MACs", 14, ">"), ("%", 5, ">"))
SHARING_COLUMNS = (("Module", 31, "<"), ("Shared", 11, ">"), ("Unshared", 14, ">"),
                   ("Fully connected", 18, ">"), ("Savings", 13, ">"), ("Factor", 6, ">"))
#: A report lists this many findings of one rule, then counts the rest
#: (`paramlint check` lists them all).
FINDINGS_PER_RULE = 10
TOTALS = (("Total params", "params"), ("Active params/token", "active_params"),
          ("Trainable params", "trainable"),
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


def share(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return ""
    return f"{100 * part / whole:.1f}"


def macs_cell(row: Row) -> str:
    if row.macs is None:
        return "?"
    return ("≥" if row.macs_unknown else "") + f"{row.macs:,}"


def human(value: int | None, unit: str = "") -> str:
    """1,814,073,344 -> 1.81 G (decimal prefixes, as the papers print them)."""
    if value is None:
        return "?"
    for size, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if value >= size:
            return f"{value / size:.2f} {prefix}{unit}"
    return f"{value} {unit}".rstrip()


#: columns -> one format string for a whole row ("{:<31} {:<10} ..."): a
#: 50,000-layer report formats a row per module, cell by cell this cost
#: more than building the rows.
_TEMPLATES: dict[tuple, str] = {}


def _row(cells: list[str], columns) -> str:
    template = _TEMPLATES.get(columns)
    if template is None:
        template = _TEMPLATES[columns] = " ".join(f"{{:{align}{width}}}" for _, width, align in columns)
    if len(cells) != len(columns):
        return " ".join(f"{shorten(cell, width) if align == '<' else cell:{align}{width}}"
                        for cell, (_, width, align) in zip(cells, columns)).rstrip()
    return template.format(*[shorten(cell, width) if align == "<" else cell
                             for cell, (_, width, align) in zip(cells, columns)]).rstrip()


def _header(columns) -> list[str]:
    return [click.style(_row([c[0] for c in columns], columns), bold=True), "─" * WIDTH]


def compute_lines(totals: dict[str, Any], doc: dict[str, Any] | None = None) -> list[str]:
    """MACs, FLOPs and weight bytes, with their what-ifs; "at least" where partial."""
    doc = doc if doc is not None else {"totals": totals}
    macs = totals.get("macs")
    if macs is None:
        return []
    at_least = partial.at_least(doc, "macs")
    out = [f"MACs: {at_least}{num(macs)} ({human(macs)})   "
           f"FLOPs: {at_least}{num(totals.get('flops'))} ({human(totals.get('flops'))})"
           f"{partial.why(doc, 'macs')}"]
    stored = totals.get("weight_bytes")
    if stored is not None:
        what_if = totals.get("weight_bytes_at") or {}
        bound = partial.at_least(doc, "weight_bytes")
        out.append(f"Weight memory: {bound}{num(stored)} bytes ({human(stored, 'B')}) as stored"
                   f"{partial.why(doc, 'weight_bytes')}")
        if what_if:
            out.append("  at " + ", ".join(f"{k} {bound}{human(v, 'B')}" for k, v in what_if.items()))
    return out


def fact_lines(facts: dict[str, Any]) -> list[str]:
    """What a GGUF file's metadata says: its stored types with their bits per weight, its KV cache."""
    out = []
    for kind, entry in (facts.get("ggml_types") or {}).items():
        out.append(f"  {escape.text(kind)}: {num(entry['elements'])} weights in {num(entry['bytes'])} bytes "
                   f"({entry['bits_per_weight']:g} bits per weight), {entry['tensors']} tensors")
    if facts.get("architecture"):
        out.append(f"Architecture: {escape.text(facts['architecture'])}")
    per_token = facts.get("kv_cache_bytes_per_token")
    if per_token is not None:
        at = facts.get("kv_cache_bytes_at_context")
        tail = f", {human(at, 'B')} at its context of {num(facts['context_length'])}" if at is not None else ""
        out.append(f"KV cache (f16): {num(per_token)} bytes per token{tail}")
    elif facts.get("kv_cache_unknown"):
        out.append(f"KV cache: unknown ({escape.text(facts['kv_cache_unknown'])})")
    return out


def total_cell(doc: dict[str, Any], key: str) -> str:
    """A total as the report prints it: the figure, "at least N (K layers
    unknown)" when it is a lower bound, "unknown" when it is not known."""
    value = (doc.get("totals") or {}).get(key)
    if value is None:
        return "unknown"
    if partial.is_partial(doc, key):
        return f"at least {num(value)}{partial.why(doc, key)}"
    return num(value)


def render_model(report: FileReport, depth: int | None = None, show_all: bool = False) -> list[str]:
    doc = report.document
    title = f"{escape.name(doc.get('name'))}  ({escape.text(doc.get('path'))}, {doc.get('format')})"
    out = [click.style(title, bold=True)]
    if doc.get("error"):
        out.append("  could not be loaded; see the finding below")
        return out
    for inp in doc.get("inputs", []):
        out.append(f"  input {escape.name(inp['name'])}: {format_shape(inp['shape'])}")
    if depth is not None:
        out.append(f"  modules rolled up to depth {depth}")
    totals = doc.get("totals") or {}
    table = rows(doc, depth, show_all)
    # A share of a partial total is a share of a lower bound: not printed.
    whole_params = None if partial.is_partial(doc, "params") else totals.get("params")
    whole_macs = None if partial.is_partial(doc, "macs") else totals.get("macs")
    out.extend(_header(COLUMNS))
    for row in table:
        out.append(_row([
            escape.text(row.path), escape.text(row.op), format_shape(row.output_shape), num(row.params),
            share(row.params, whole_params), macs_cell(row),
            share(row.macs, whole_macs),
        ], COLUMNS))
    hidden = len(doc.get("layers") or []) - sum(len(r.layers) for r in table)
    out.append("─" * WIDTH)
    if hidden > 0:
        out.append(f"  {hidden:,} layers without parameters or MACs not shown (--all shows them)")
    sharing_rows = [row for row in table if row.sharing]
    if sharing_rows:
        out.append("")
        out.append(click.style("Parameter sharing: shared vs the same layer unshared "
                               "(locally connected) and fully connected", bold=True))
        out.extend(_header(SHARING_COLUMNS))
        for row in sharing_rows:
            s = row.sharing
            # A per-token or recurrent layer has no fully connected figure: blank, not unknown.
            dense = "" if s["dense_equivalent"] is None and s["unshared"] is not None else num(s["dense_equivalent"])
            out.append(_row([escape.text(row.path), num(s["shared"]), num(s["unshared"]),
                             dense, num(s["savings"]),
                             ratio(s["factor"]) if s.get("factor") is not None else ""],
                            SHARING_COLUMNS))
        out.append("─" * WIDTH)
    label_width = max(len(label) for label, _ in TOTALS)
    for label, key in TOTALS:
        if key == "active_params" and totals.get(key, totals.get("params")) == totals.get("params"):
            continue  # only a mixture of experts makes it differ
        out.append(f"{label + ':':<{label_width + 1}} {total_cell(doc, key):>15}")
    out.extend(compute_lines(totals, doc))
    out.extend(fact_lines(doc.get("facts") or {}))
    for tie in doc.get("ties", []):
        readers = ", ".join(escape.name(r) for r in tie["layers"])
        out.append(f"  tied: {escape.name(tie['name'])} ({num(tie['elements'])}) read by {readers}")
    merged = doc.get("merged_constants", [])
    if merged:
        out.append(f"  merged constants (counted once per reader, not ties): {len(merged)}")
    out.extend(memory_lines(doc))
    return out


def _findings(findings: list) -> list[str]:
    """Each finding on its line, at most FINDINGS_PER_RULE of one rule."""
    out: list[str] = []
    shown: dict[str, int] = {}
    for f in findings:
        shown[f.code] = shown.get(f.code, 0) + 1
        if shown[f.code] <= FINDINGS_PER_RULE:
            out.append(findings_text.line(f))
    for code, n in shown.items():
        if n > FINDINGS_PER_RULE:
            out.append(f"  ... and {n - FINDINGS_PER_RULE} more {code} findings "
                       f"(paramlint check lists them all)")
    return out


def render(reports: list[FileReport], quiet: bool = False, depth: int | None = None,
           show_all: bool = False, **_: Any) -> str:
    blocks = []
    for report in reports:
        lines = render_model(report, depth, show_all)
        if report.findings:
            lines.append("")
            lines.extend(_findings(report.findings))
        blocks.append("\n".join(lines))
    findings = [f for r in reports for f in r.findings]
    blocks.append(findings_text.summary(reports, findings))
    return escape.log_lines("\n\n".join(blocks))
