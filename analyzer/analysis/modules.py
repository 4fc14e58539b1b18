"""The module tree: report rows grouped by module path, like torchinfo.

A report of a real export has thousands of nodes, most of them plumbing
(``Identity``, ``Constant``, ``Reshape``...). People think in modules
(``layer1.0.conv1``), so the text, markdown and HTML reports show:

* by default, one row per module that holds parameters or does MACs
  (layers of the same module summed), plumbing hidden;
* with ``depth=N``, modules rolled up to their first N path components
  (``layer1.0.conv1`` at depth 1 is ``layer1``);
* with ``show_all``, every layer, one row each.

Works on the report document (report-json.md), so a cached result rolls up
exactly as a fresh one. A roll-up's figures are the exact sums of its
layers', a tied weight counted once however many of them read it; the
root (depth 0) is the model's totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHARING_SUMS = ("shared", "unshared", "dense_equivalent", "savings")


@dataclass
class Row:
    """One row of a report: a module (or a roll-up of several), or a layer."""

    path: str
    op: str
    output_shape: list | None
    params: int | None
    #: Sum of the known MACs; ``macs_unknown`` says some layer's are not known.
    macs: int | None
    macs_unknown: bool
    layers: list[str] = field(default_factory=list)
    sharing: dict[str, Any] | None = None


def layer_path(layer: dict[str, Any]) -> list[str]:
    """A layer's module path as components; its name when it has none."""
    module = layer.get("module")
    if module:
        return module.split(".")
    return [layer.get("name") or "?"]


def visible(layer: dict[str, Any]) -> bool:
    """Holds parameters or does MACs (an unknown cost counts as doing some)."""
    return bool(layer.get("params")) or layer.get("macs") != 0


def max_depth(doc: dict[str, Any]) -> int:
    """The deepest module path among the visible layers."""
    return max((len(layer_path(layer)) for layer in doc.get("layers") or [] if visible(layer)),
               default=0)


def rows(doc: dict[str, Any], depth: int | None = None, show_all: bool = False) -> list[Row]:
    """The report rows of one model document."""
    layers = doc.get("layers") or []
    if show_all:
        return [_row(layer.get("name") or "?", [layer], {}) for layer in layers]
    groups: dict[str, list[dict[str, Any]]] = {}
    for layer in layers:
        if not visible(layer):
            continue
        parts = layer_path(layer)
        key = ".".join(parts if depth is None else parts[:max(depth, 1)])
        groups.setdefault(key, []).append(layer)
    ties = _ties(doc)
    return [_row(key, members, ties) for key, members in groups.items()]


def _ties(doc: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    """Layer name -> the tied tensors it reads, as (tensor, elements)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for tie in doc.get("ties") or []:
        for reader in tie.get("layers") or []:
            out.setdefault(reader, []).append((tie["name"], tie["elements"]))
    return out


def _row(path: str, members: list[dict[str, Any]], ties: dict[str, list[tuple[str, int]]]) -> Row:
    params: int | None = 0
    macs = 0
    unknown = False
    seen: set[str] = set()
    for layer in members:
        p = layer.get("params")
        if p is None or params is None:
            params = None
        else:
            params += p
            # a tied tensor read by several layers of this row counts once
            for tensor, elements in ties.get(layer.get("name"), ()):
                if tensor in seen:
                    params -= elements
                seen.add(tensor)
        m = layer.get("macs")
        if m is None:
            unknown = True
        else:
            macs += m
    ops = {layer.get("op") for layer in members}
    if len(members) == 1:
        op = members[0].get("op") or "?"
    elif len(ops) == 1:
        op = f"{members[0].get('op')} x{len(members)}"
    else:
        op = f"{len(members)} layers"
    return Row(
        path=path, op=op, output_shape=members[-1].get("output_shape"), params=params,
        macs=None if unknown and not macs else macs, macs_unknown=unknown,
        layers=[layer.get("name") for layer in members], sharing=_sharing(members),
    )


def _sharing(members: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Sharing figures of a row: one layer's, or the sum of its layers' (no factor)."""
    found = [layer["sharing"] for layer in members if layer.get("sharing")]
    if not found:
        return None
    if len(members) == 1:
        return dict(found[0])
    out: dict[str, Any] = {"factor": None}
    for key in SHARING_SUMS:
        values = [s.get(key) for s in found]
        out[key] = None if any(v is None for v in values) else sum(values)
    return out


def shorten(text: str, width: int) -> str:
    """Cut to ``width`` keeping the distinctive end (``…layer_11.mlp.3``)."""
    if len(text) <= width:
        return text
    return "…" + text[len(text) - width + 1:]
