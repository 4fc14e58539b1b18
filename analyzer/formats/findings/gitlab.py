"""GitLab Code Quality report: a JSON array of issues."""

from __future__ import annotations

import hashlib
import json

from paramlint.ir import escape
from paramlint.lint.baseline import occurrence_ids, repo_path
from paramlint.lint.results import FileReport

#: GitLab's scale is info, minor, major, critical, blocker. A warning is
#: something to fix before merging (major); an error breaks a gate
#: (critical). Blocker is left for nothing paramlint reports.
SEVERITIES = {"info": "info", "warning": "major", "error": "critical"}


def render(reports: list[FileReport], *, rules: list[dict], version: str, **_options) -> str:
    issues = []
    for report in reports:
        path = repo_path(report.path)
        for f, ident in occurrence_ids(report):
            where = f" (layer {escape.name(f.layer)})" if f.layer else ""
            issues.append({
                "type": "issue",
                "description": f"{f.code} {f.rule}: {escape.message(f.message)}{where}",
                "check_name": f.code,
                "fingerprint": hashlib.md5(ident.encode("utf-8"),
                                           usedforsecurity=False).hexdigest(),
                "severity": SEVERITIES.get(f.severity, "major"),
                "location": {"path": path, "lines": {"begin": f.line or 1}},
            })
    return escape.json_log(json.dumps(issues, indent=2)) + "\n"
