"""Which layer of the old model is which layer of the new one.

A diff is only as good as its matching: a layer matched to the wrong
partner shows two false changes, an unmatched one a false add and a false
remove. Exporters rename freely (TorchScript's ``/layer1/layer1.0/conv1/Conv``
is the dynamo exporter's ``node_conv2d_3``), so names alone are not enough.
Three passes, each on what the previous ones left:

1. the same name;
2. the same module path and op (``layer1.0.conv1``), where that pair is
   unique on both sides;
3. structure: the remaining layers of each side, in graph order, aligned by
   a signature (op, params) as ``difflib`` aligns lines; an
   aligned block of equal length whose ops agree pairs up as changed
   layers (a resized layer keeps its place in the graph). The alignment is
   ``align.opcodes``: difflib's where that is cheap, near-linear where
   difflib would be quadratic (long chains of alike layers).

Works on the JSON documents' layer rows (plain dicts), so a cached result
diffs exactly as a fresh one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from .align import opcodes

Row = dict[str, Any]


@dataclass
class Pair:
    """One matched, added (``old`` None) or removed (``new`` None) layer."""

    old: Row | None
    new: Row | None
    #: "name", "module", "structure", or None for an added/removed layer.
    how: str | None = None


def _signature(row: Row) -> tuple:
    """What a layer is, whatever it is called. Shapes are left out: one
    exporter's unknown or symbolic dimension is the other's number."""
    return (row.get("op"), row.get("params"))


def _unique(rows: list[Row], key) -> dict[Any, Row]:
    counts = Counter(key(r) for r in rows)
    return {key(r): r for r in rows if key(r) is not None and counts[key(r)] == 1}


def match_layers(old_rows: list[Row], new_rows: list[Row]) -> list[Pair]:
    """Pairs for every row of both sides, in the new model's order (removed
    layers where they stood in the old one)."""
    pairs: dict[int, Pair] = {}  # id(new row or old row) -> pair
    matched_old: set[int] = set()

    new_by_name = _unique(new_rows, lambda r: r.get("name"))
    for row in old_rows:
        other = new_by_name.get(row.get("name"))
        if other is not None and id(other) not in pairs:
            pairs[id(other)] = Pair(row, other, "name")
            matched_old.add(id(row))

    def left(rows, done):
        return [r for r in rows if id(r) not in done]

    def module_key(r: Row):
        return (r.get("module"), r.get("op")) if r.get("module") else None

    rest_old, rest_new = left(old_rows, matched_old), left(new_rows, pairs)
    new_by_module = _unique(rest_new, module_key)
    old_by_module = _unique(rest_old, module_key)
    for key, row in old_by_module.items():
        other = new_by_module.get(key)
        if other is not None:
            pairs[id(other)] = Pair(row, other, "module")
            matched_old.add(id(row))

    rest_old, rest_new = left(old_rows, matched_old), left(new_rows, pairs)
    for tag, i1, i2, j1, j2 in opcodes([_signature(r) for r in rest_old],
                                       [_signature(r) for r in rest_new]):
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1 and all(
                rest_old[i].get("op") == rest_new[j].get("op")
                for i, j in zip(range(i1, i2), range(j1, j2)))):
            for i, j in zip(range(i1, i2), range(j1, j2)):
                pairs[id(rest_new[j])] = Pair(rest_old[i], rest_new[j], "structure")
                matched_old.add(id(rest_old[i]))

    return _in_order(old_rows, new_rows, pairs, matched_old)


def _in_order(old_rows, new_rows, pairs, matched_old) -> list[Pair]:
    """New rows in order, each removed old row placed after the new row
    matched to its nearest matched predecessor."""
    old_index = {id(r): i for i, r in enumerate(old_rows)}
    after: dict[int, list[Row]] = {}  # old index of anchor (-1: start) -> removed rows
    anchor = -1
    for row in old_rows:
        if id(row) in matched_old:
            anchor = old_index[id(row)]
        else:
            after.setdefault(anchor, []).append(row)
    out: list[Pair] = [Pair(r, None) for r in after.pop(-1, [])]
    for row in new_rows:
        pair = pairs.get(id(row)) or Pair(None, row)
        out.append(pair)
        if pair.old is not None:
            out.extend(Pair(r, None) for r in after.pop(old_index[id(pair.old)], []))
    for rows in after.values():  # anchors whose pair was consumed out of order
        out.extend(Pair(r, None) for r in rows)
    return out
