"""``paramlint diff`` for people: a short table per changed model.

Totals first (before, after, change), then the layers that were added,
removed or changed (unchanged ones counted on one line), the modules that
moved, the findings that appeared or went away. Colour only on a terminal
(click strips it otherwise).
"""

from __future__ import annotations

from typing import Any

import click

from paramlint.diff.compare import ModelDiff, label, same_shape
from paramlint.ir.escape import log_lines
from paramlint.ir.model import format_shape, one_line

LABELS = {"params": "params", "active_params": "active params", "trainable": "trainable",
          "non_trainable": "non-trainable", "macs": "MACs", "weight_bytes": "weight bytes",
          "kv_bytes_per_token": "KV bytes/token", "kv_cache_bytes": "KV cache bytes",
          "activation_peak_bytes": "activation peak", "serving_bytes": "serving bytes"}
MARKS = {"added": "+", "removed": "-", "changed": "~"}
NAME_WIDTH = 34
#: Layers listed for a file added or deleted whole (the largest).
MOST_ADDED = 10


def num(value: Any) -> str:
    return "?" if value is None else f"{value:,}"


def signed(value: Any) -> str:
    return "?" if value is None else f"{value:+,}"


def percent(value: float | None) -> str:
    return "" if value is None else f"({value:+.1f}%)"


def shorten(text: str, width: int = NAME_WIDTH) -> str:
    """Escaped, and cut at the front: a layer's distinctive part is its end."""
    text = one_line(text)
    return text if len(text) <= width else "…" + text[len(text) - width + 1:]


def _colour(text: str, delta: int | None) -> str:
    if not delta:
        return text
    return click.style(text, fg="red" if delta > 0 else "green")


def totals(diff: ModelDiff):
    """(label, before, after, delta, change text or None when unchanged)
    for each total worth showing; text and markdown lay them out."""
    for key, name in LABELS.items():
        before, after = diff.before.get(key), diff.after.get(key)
        if not diff.shows(key) or (before is None and after is None):
            continue
        delta = diff.delta(key)
        change = ("?" if delta is None else f"{signed(delta)} {percent(diff.percent(key))}".rstrip()
                  if delta else None)
        yield name, before, after, delta, change


def totals_lines(diff: ModelDiff) -> list[str]:
    width = max([15] + [len(num(v)) for side in (diff.before, diff.after) for v in side.values()])
    rows = list(totals(diff))
    label = max([14] + [len(row[0]) for row in rows])
    return [f"  {name:<{label}} {num(before):>{width}} -> {num(after):>{width}}   "
            f"{_colour(change or 'unchanged', delta)}"
            for name, before, after, delta, change in rows]


def layer_lines(diff: ModelDiff) -> list[str]:
    if not diff.layers and not diff.unchanged:
        return []
    out = [click.style(f"  {'layer':<{NAME_WIDTH + 2}} {'params before':>15} {'after':>15} "
                       f"{'change':>13} {'MACs change':>16}  shape", bold=True)]
    listed = diff.layers
    if diff.status != "modified" and len(listed) > MOST_ADDED:
        # a whole model added or deleted: its largest layers, not all of them
        top = {id(c) for c in sorted(listed, key=lambda c: -abs(c.delta("params") or 0))[:MOST_ADDED]}
        listed = [c for c in listed if id(c) in top]
    for c in listed:
        old_shape = format_shape(c.old.get("output_shape")) if c.old else ""
        new_shape = format_shape(c.new.get("output_shape")) if c.new else ""
        shape = new_shape or old_shape
        if c.old and c.new and not same_shape(c.old.get("output_shape"), c.new.get("output_shape")):
            shape = f"{old_shape} -> {new_shape}"
        name = shorten(one_line(label(c)))
        before = num(c.figure("params", "old")) if c.old else "-"
        after = num(c.figure("params", "new")) if c.new else "-"
        d = c.delta("params")
        out.append(f"  {MARKS[c.status]} {name:<{NAME_WIDTH}} {before:>15} {after:>15} "
                   f"{_colour(f'{signed(d):>13}', d)} {signed(c.delta('macs')) if c.delta('macs') else '':>16}"
                   f"  {shape}".rstrip())
    if len(listed) < len(diff.layers):
        out.append(f"    …and {len(diff.layers) - len(listed)} more {diff.status} layers")
    if diff.unchanged:
        out.append(f"    {diff.unchanged} unchanged layer{'s' if diff.unchanged != 1 else ''}"
                   f" ({num(diff.unchanged_params)} params)")
    return out


def module_lines(diff: ModelDiff) -> list[str]:
    if not diff.grouped:
        return []
    out = [click.style(f"  {'module':<{NAME_WIDTH + 2}} {'params before':>15} {'after':>15} "
                       f"{'change':>13} {'MACs change':>16}", bold=True)]
    for m in diff.modules:
        d = m.delta("params")
        out.append(f"    {shorten(one_line(m.module)):<{NAME_WIDTH}} {num(m.before.get('params')):>15} "
                   f"{num(m.after.get('params')):>15} {_colour(f'{signed(d):>13}', d)} "
                   f"{signed(m.delta('macs')) if m.delta('macs') else '':>16}".rstrip())
    return out


def finding_lines(diff: ModelDiff) -> list[str]:
    out = []
    for f in diff.findings:
        mark = click.style("new  ", fg="red") if f.status == "new" else click.style("fixed", fg="green")
        where = f" (line {f.line})" if f.line else ""
        out.append(f"  {mark} {f.code} [{f.severity}]{where} {one_line(f.message)}")
    return out


def render_model(diff: ModelDiff) -> list[str]:
    title = one_line(diff.path)
    out = [click.style(f"{title} ({diff.status})", bold=True)]
    for side, message in diff.errors.items():
        out.append(click.style(f"  {side} side failed to load: {one_line(message)}", fg="red"))
    for line in diff.over:
        out.append(click.style(f"  FAIL: {one_line(line)}", fg="red", bold=True))
    out += totals_lines(diff)
    for section in (layer_lines(diff), module_lines(diff), finding_lines(diff)):
        if section:
            out += [""] + section
    for note in diff.notes:
        out.append(f"  note: {one_line(note)}")
    return out


def render(diffs: list[ModelDiff], **_options) -> str:
    if not diffs:
        return "No model files changed.\n"
    blocks = ["\n".join(render_model(d)) for d in diffs]
    failed = sum(1 for d in diffs if d.over)
    summary = (f"{len(diffs)} model file{'s' if len(diffs) != 1 else ''} changed"
               + (f"; {failed} over budget." if failed else "."))
    return log_lines("\n\n".join(blocks) + "\n\n" + summary + "\n")
