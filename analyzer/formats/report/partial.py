"""How a report says a total is partial: "at least N (K layers unknown)", or "unknown".

One place for text, markdown and HTML, so the three say the same
(docs/unknowns.md). A total is printed "at least" only when the document
marks it incomplete (``*_complete: false``), which the analysis does only
for a true lower bound: the known part, counted without any guessed shape.
A total the analysis could not compute at all (``null``) is "unknown".
"""

from __future__ import annotations

from typing import Any

#: Totals that count parameters: all partial when ``params_complete`` is false.
PARAM_TOTALS = frozenset({"params", "active_params", "trainable", "non_trainable", "per_use_params",
                          "tied_savings", "unshared_params", "sharing_savings", "weight_bytes"})
COMPUTE_TOTALS = frozenset({"macs", "flops"})


def _figure(key: str) -> str | None:
    if key in PARAM_TOTALS:
        return "params"
    if key in COMPUTE_TOTALS:
        return "macs"
    return None


def is_partial(doc: dict[str, Any], key: str) -> bool:
    """True when the total ``key`` is a lower bound (some layer's figure is unknown)."""
    totals = doc.get("totals") or {}
    figure = _figure(key)
    if figure == "params":
        return totals.get("params_complete") is False
    if figure == "macs":
        return totals.get("macs_complete") is False or bool(totals.get("macs_lower_bound"))
    return False


def unknown_layers(doc: dict[str, Any], key: str) -> int:
    """How many layers' figures the total ``key`` leaves out."""
    figure = _figure(key)
    return len(((doc.get("partial") or {}).get(figure) or [])) if figure else 0


def why(doc: dict[str, Any], key: str) -> str:
    """`` (K layers unknown)`` for a partial total, else empty."""
    if not is_partial(doc, key):
        return ""
    k = unknown_layers(doc, key)
    return f" ({k:,} layer{'' if k == 1 else 's'} unknown)" if k else " (some layers unknown)"


def at_least(doc: dict[str, Any], key: str, word: str = "at least ") -> str:
    """``word`` for a partial total, else empty."""
    return word if is_partial(doc, key) else ""
