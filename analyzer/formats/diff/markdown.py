"""``paramlint diff -f markdown``: a pull-request comment or job summary.

GitHub refuses a comment over 65,536 characters, so the layer and module
tables shrink (largest changes kept, the rest counted) until the whole
fits.
"""

from __future__ import annotations

from paramlint.diff.compare import ModelDiff, label, same_shape
from .text import num, signed, totals
from paramlint.formats.report.markdown import cell, inline
from paramlint.ir.model import format_shape

LIMIT = 65_536
ICONS = {"added": "➕", "removed": "➖", "changed": "✏️"}


def _totals(diff: ModelDiff) -> list[str]:
    return ["| | before | after | change |", "| --- | ---: | ---: | ---: |"] + [
        f"| {name} | {num(before)} | {num(after)} | **{change or '0'}** |"
        for name, before, after, _delta, change in totals(diff)]


def _layers(diff: ModelDiff, most: int) -> list[str]:
    if not diff.layers:
        return []
    if diff.status != "modified":
        most = min(most, 10)  # a whole model added or deleted: its largest layers
    ranked = sorted(diff.layers, key=lambda c: -abs(c.delta("params") or 0))[:most]
    keep = {id(c) for c in ranked}
    out = ["| | layer | op | params before | after | change | MACs change | output shape |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for c in diff.layers:
        if id(c) not in keep:
            continue
        row = c.new or c.old
        name = label(c).replace(" => ", " → ")
        old_shape = format_shape(c.old.get("output_shape")) if c.old else ""
        new_shape = format_shape(c.new.get("output_shape")) if c.new else ""
        shape = new_shape or old_shape
        if c.old and c.new and not same_shape(c.old.get("output_shape"), c.new.get("output_shape")):
            shape = f"{old_shape} → {new_shape}"
        out.append(f"| {ICONS[c.status]} | `{cell(name).replace('`', '')}` | {cell(row.get('op'))} | "
                   f"{num(c.figure('params', 'old')) if c.old else '–'} | "
                   f"{num(c.figure('params', 'new')) if c.new else '–'} | {signed(c.delta('params'))} | "
                   f"{signed(c.delta('macs')) if c.delta('macs') else ''} | {cell(shape)} |")
    hidden = len(diff.layers) - len(ranked)
    if hidden:
        out.append(f"\n…and {hidden} more changed layers (smaller changes; `-f json` lists all).")
    return out


def _modules(diff: ModelDiff, most: int) -> list[str]:
    if not diff.grouped:
        return []
    ranked = sorted(diff.modules, key=lambda m: -abs(m.delta("params") or 0))[:most]
    out = ["| module | params before | after | change | MACs change |",
           "| --- | ---: | ---: | ---: | ---: |"]
    for m in ranked:
        out.append(f"| `{cell(m.module).replace('`', '')}` | {num(m.before.get('params'))} | "
                   f"{num(m.after.get('params'))} | {signed(m.delta('params'))} | "
                   f"{signed(m.delta('macs')) if m.delta('macs') else ''} |")
    if len(diff.modules) > most:
        out.append(f"\n…and {len(diff.modules) - most} more modules.")
    return out


def render_model(diff: ModelDiff, most: int) -> list[str]:
    out = [f"### `{cell(diff.path).replace('`', '')}` ({diff.status})", ""]
    for side, message in diff.errors.items():
        out.append(f"> ❌ the {side} side failed to load: {inline(message)}")
    for line in diff.over:
        out.append(f"> ❌ **over budget**: {inline(line)}")
    if diff.errors or diff.over:
        out.append("")
    out += _totals(diff)
    layers = _layers(diff, most)
    if layers:
        out += ["", f"**Layers** ({len(diff.layers)} changed, {diff.unchanged} unchanged)", ""] + layers
    modules = _modules(diff, most)
    if modules:
        out += ["", "**Modules**", ""] + modules
    if diff.findings:
        out += ["", "**Findings**", ""]
        for f in diff.findings:
            icon = "🆕" if f.status == "new" else "✅ fixed:"
            out.append(f"- {icon} **{f.code}** ({f.severity}) {inline(f.message)}")
    for note in diff.notes:
        out += ["", f"_Note: {inline(note)}_"]
    return out


def render(diffs: list[ModelDiff], **_options) -> str:
    if not diffs:
        return "## paramlint diff\n\nNo model files changed.\n"
    head = ["## paramlint diff", ""]
    failed = [d for d in diffs if d.over]
    head.append(f"{len(diffs)} model file(s) changed" + (f", **{len(failed)} over budget**." if failed else "."))
    most = 200
    while True:
        body = []
        for d in diffs:
            body += [""] + render_model(d, most)
        text = "\n".join(head + body) + "\n"
        if len(text) <= LIMIT or most == 0:
            break
        most //= 2
    if len(text) > LIMIT:  # still too long: too many files; cut and say so
        cut = text[:LIMIT - 200].rsplit("\n", 1)[0]
        text = cut + "\n\n…cut to fit a GitHub comment (65,536 characters); `-f json` has everything.\n"
    return text
