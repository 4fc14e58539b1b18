"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .. import escape
from ..baseline import occurrence_ids, repo_path
from ..results import FileReport

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: Where the tool is described; change it when the project gets a home page.
INFORMATION_URI = "https://pypi.org/project/paramlint/"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "paramlint/v1"


def _text(value: str | None, fallback: str) -> str:
    return value.strip() if value and value.strip() else fallback


def _rule_descriptor(meta: dict[str, Any]) -> dict[str, Any]:
    summary = _text(meta.get("summary"), meta["code"])
    doc = _text(meta.get("doc"), summary)
    out: dict[str, Any] = {
        "id": meta["code"],
        "name": meta.get("name") or meta["code"],
        "shortDescription": {"text": summary},
        "fullDescription": {"text": doc},
        "defaultConfiguration": {"level": LEVELS.get(meta.get("severity", "warning"), "warning")},
        "help": {"text": doc, "markdown": doc},
        "properties": {"tags": ["paramlint"], "severity": meta.get("severity", "warning")},
    }
    if meta.get("help_uri"):
        out["helpUri"] = meta["help_uri"]
    return out


def render(reports: list[FileReport], *, rules: list[dict], version: str, **_options) -> str:
    descriptors = [_rule_descriptor(m) for m in rules]
    index = {m["code"]: i for i, m in enumerate(rules)}
    results = []
    for report in reports:
        uri = repo_path(report.path)
        for finding, ident in occurrence_ids(report):
            if finding.code not in index:  # a plugin's rule missing from the list
                index[finding.code] = len(descriptors)
                descriptors.append(_rule_descriptor(
                    {"code": finding.code, "name": finding.rule,
                     "severity": finding.severity, "summary": finding.rule}))
            physical: dict[str, Any] = {
                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
            }
            if finding.line is not None:
                region: dict[str, Any] = {"startLine": finding.line}
                if finding.column is not None:
                    region["startColumn"] = finding.column
                physical["region"] = region
            location: dict[str, Any] = {"physicalLocation": physical}
            if finding.layer:
                location["logicalLocations"] = [
                    {"name": finding.layer, "fullyQualifiedName": finding.layer,
                     "kind": "member"}]
            properties: dict[str, Any] = {"severity": finding.severity}
            if finding.layer:
                properties["layer"] = finding.layer
            if finding.node_index is not None:
                properties["node_index"] = finding.node_index
            if finding.node_name is not None:
                properties["node_name"] = finding.node_name
            results.append({
                "ruleId": finding.code,
                "ruleIndex": index[finding.code],
                "level": LEVELS.get(finding.severity, "warning"),
                "message": {"text": escape.message(finding.message)},
                "locations": [location],
                "partialFingerprints": {
                    FINGERPRINT_KEY: hashlib.sha256(ident.encode("utf-8")).hexdigest()},
                "properties": properties,
            })
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "paramlint",
                "version": version,
                "semanticVersion": version,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return escape.json_log(json.dumps(log, indent=2)) + "\n"
