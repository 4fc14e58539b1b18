"""The JSON document of report-json.md."""

from __future__ import annotations

import json
from typing import Any, Callable

from paramlint import __version__
from paramlint.ir import escape
from paramlint.lint.results import FileReport
from paramlint.lint.rule import Finding


def finding_dict(finding: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {"path": finding.path}
    if finding.line is not None:
        location.update(line=finding.line, column=finding.column)
    if finding.node_index is not None:
        location.update(node_index=finding.node_index, node_name=finding.node_name)
    out = {"code": finding.code, "rule": finding.rule, "severity": finding.severity,
           "layer": finding.layer, "message": finding.message, "location": location}
    if finding.extra:
        out["data"] = finding.extra
    return out


def document(reports: list[FileReport]) -> dict[str, Any]:
    return {
        "schema": 1,
        "tool": {"name": "paramlint", "version": __version__},
        "models": [{**r.document, "findings": [finding_dict(f) for f in r.findings]}
                   for r in reports],
    }


#: Containers nested this deep (a layer, a finding, an input...) are
#: written on one line; the levels above them are indented.
COMPACT_DEPTH = 4



def _compact_encoder() -> Callable[[Any], str]:
    """``json.JSONEncoder().encode``, the C encoder made once instead of on
    every call: it runs once per layer of a 50,000-layer report, where
    making it cost a quarter of the encoding. Checked against ``encode`` on
    a sample, else ``encode`` itself (a Python without the C accelerator,
    or one whose internals differ)."""
    encoder = json.JSONEncoder()
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    try:
        chunks = make({}, encoder.default, json.encoder.encode_basestring_ascii, None,
                      encoder.key_separator, encoder.item_separator, False, False, True)
        join = "".join

        def compact(obj: Any) -> str:
            return join(chunks(obj, 0))

        sample = {"name": "caf\u00e9 \"x\"", "shape": [1, None, "batch", 2.5], "ok": True, "e": {}}
        if compact(sample) == encoder.encode(sample) and compact("s") == encoder.encode("s"):
            return compact
    except Exception:
        pass
    return encoder.encode


def _write(obj: Any, depth: int, pad: str, out: list[str], compact: Callable[[Any], str]) -> None:
    """``obj`` as ``json.dumps(obj, indent=2)`` writes it, except that
    containers at COMPACT_DEPTH and below are written compactly, in C."""
    if depth >= COMPACT_DEPTH or not obj or not isinstance(obj, (dict, list, tuple)):
        out.append(compact(obj))
        return
    inner = pad + "  "
    if isinstance(obj, dict):
        if not all(type(k) is str for k in obj):
            out.append(_indent(obj, pad))
            return
        out.append("{")
        sep = "\n"
        for key, value in obj.items():
            out.append(sep + inner + compact(key) + ": ")
            _write(value, depth + 1, inner, out, compact)
            sep = ",\n"
        out.append("\n" + pad + "}")
    else:
        out.append("[")
        sep = "\n"
        for value in obj:
            out.append(sep + inner)
            _write(value, depth + 1, inner, out, compact)
            sep = ",\n"
        out.append("\n" + pad + "]")


def _indent(obj: Any, pad: str) -> str:
    """json's own indented form of a rare dict (non-str keys), re-indented."""
    return json.dumps(obj, indent=2).replace("\n", "\n" + pad)


def render(reports: list[FileReport], **_: Any) -> str:
    """Indented JSON whose deep parts (each layer, finding...) sit on one
    line each: ``json.dumps(indent=2)`` falls back to a pure-Python encoder
    that took 5 s on a 50,000-layer report. Parses to the same document."""
    out: list[str] = []
    _write(document(reports), 0, "", out, _compact_encoder())
    return escape.json_log("".join(out))
