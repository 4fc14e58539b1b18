"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

What GitHub code scanning requires and reads (docs/sarif.md has the
details and sources):

- every result has a physical location with ``region.startLine``: the
  finding's line in a YAML file, line 1 in a binary ONNX file, where the
  node goes in ``logicalLocations`` (name, and its index in properties);
- ``partialFingerprints.primaryLocationLineHash``, the only key GitHub
  reads to match a result across runs: a hash of the finding's stable id
  (rule, file, layer, message without line numbers) and its occurrence,
  so moving a layer down the file does not open a new alert;
- URIs relative to the repository root (the git top level above the
  working folder, else the working folder), percent-encoded, with
  ``uriBaseId`` ``%SRCROOT%`` declared in ``originalUriBaseIds``; a file
  outside the repository gets an absolute ``file://`` URI;
- rules with ``shortDescription``, ``fullDescription``, ``help.text`` and
  ``help.markdown`` (summary, why, options, example).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from paramlint.ir import escape
from paramlint.lint.baseline import occurrence_ids, repo_path
from paramlint.lint.results import FileReport

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SRCROOT = "%SRCROOT%"


def repository_root(cwd: str | None = None) -> str:
    """The git top level above ``cwd`` (a ``.git`` folder or file), else ``cwd``.

    Found by walking up rather than by running git: no subprocess, and
    the same answer in a worktree or a submodule (``.git`` is a file).
    """
    start = os.path.abspath(cwd or os.getcwd())
    folder = start
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return start
        folder = parent


def artifact_location(path: str, root: str) -> dict[str, str]:
    """A SARIF artifactLocation for ``path``: percent-encoded, relative to ``root``."""
    absolute = os.path.abspath(repo_path(path))
    relative = os.path.relpath(absolute, root).replace(os.sep, "/")
    if relative == ".." or relative.startswith("../"):
        return {"uri": Path(absolute).as_uri()}
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


def _folder_uri(folder: str) -> str:
    """A folder's file URI ending in ``/``, as SARIF wants a base URI."""
    uri = Path(folder).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _text(value: str | None, fallback: str) -> str:
    return value.strip() if value and value.strip() else fallback


def help_markdown(meta: dict[str, Any]) -> str:
    """A rule's help as GitHub shows it under an alert."""
    summary = _text(meta.get("summary"), meta["code"])
    parts = [f"**{meta['code']} {meta.get('name') or ''}**: {summary}."]
    if meta.get("doc"):
        parts.append(meta["doc"].strip())
    options = meta.get("options") or []
    if options:
        rows = ["| Option | Default | Meaning |", "| --- | --- | --- |"]
        rows += [f"| `{o['name']}` | `{o['default']!r}` | {o['help']} |" for o in options]
        parts.append("Options, set in `[tool.paramlint.rules." + str(meta.get("name")) + "]`:\n\n"
                     + "\n".join(rows))
    if meta.get("example"):
        parts.append("Example:\n\n```\n" + meta["example"].strip() + "\n```")
    parts.append(f"Silence one finding with `# noqa: {meta['code']}` on the layer's line "
                 f"(YAML) or `per-layer-ignores` (ONNX); see `paramlint rules {meta['code']}`.")
    return "\n\n".join(parts)


def _rule_descriptor(meta: dict[str, Any]) -> dict[str, Any]:
    summary = _text(meta.get("summary"), meta["code"])
    doc = _text(meta.get("doc"), summary)
    out: dict[str, Any] = {
        "id": meta["code"],
        "name": meta.get("name") or meta["code"],
        "shortDescription": {"text": summary},
        "fullDescription": {"text": doc},
        "defaultConfiguration": {"level": LEVELS.get(meta.get("severity", "warning"), "warning")},
        "help": {"text": doc, "markdown": help_markdown(meta)},
        "properties": {"tags": ["paramlint"], "severity": meta.get("severity", "warning")},
    }
    if meta.get("help_uri"):
        out["helpUri"] = meta["help_uri"]
    return out


def _fingerprint(ident: str) -> str:
    """``<hash>:<occurrence>``, the shape CodeQL gives primaryLocationLineHash."""
    stable, _, occurrence = ident.rpartition(":")
    return hashlib.sha256(stable.encode("utf-8")).hexdigest()[:16] + ":" + occurrence


def _location(finding, artifact: dict[str, str]) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": finding.line if finding.line is not None else 1}
    if finding.line is not None and finding.column is not None:
        region["startColumn"] = finding.column
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact,
                                                     "region": region}}
    if finding.node_index is not None:
        name = finding.node_name or finding.layer or f"node {finding.node_index}"
        location["logicalLocations"] = [{
            "name": name, "fullyQualifiedName": finding.layer or name, "kind": "member",
            "properties": {"nodeIndex": finding.node_index}}]
    elif finding.layer:
        location["logicalLocations"] = [
            {"name": finding.layer, "fullyQualifiedName": finding.layer, "kind": "member"}]
    return location


def render(reports: list[FileReport], *, rules: list[dict], version: str, **_options) -> str:
    root = repository_root()
    descriptors = [_rule_descriptor(m) for m in rules]
    index = {m["code"]: i for i, m in enumerate(rules)}
    results = []
    for report in reports:
        artifact = artifact_location(report.path, root)
        for finding, ident in occurrence_ids(report):
            if finding.code not in index:  # a plugin's rule missing from the list
                index[finding.code] = len(descriptors)
                descriptors.append(_rule_descriptor(
                    {"code": finding.code, "name": finding.rule,
                     "severity": finding.severity, "summary": finding.rule}))
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
                "locations": [_location(finding, artifact)],
                "partialFingerprints": {"primaryLocationLineHash": _fingerprint(ident)},
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
                "rules": descriptors,
            }},
            "originalUriBaseIds": {SRCROOT: {"uri": _folder_uri(root)}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return escape.json_log(json.dumps(log, indent=2)) + "\n"
