"""The JSON document of report-json.md."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..results import FileReport
from ..rule import Finding


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


def render(reports: list[FileReport], **_: Any) -> str:
    return json.dumps(document(reports), indent=2)
