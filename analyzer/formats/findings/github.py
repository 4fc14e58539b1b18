"""GitHub Actions workflow commands: one annotation per finding."""

from __future__ import annotations

from paramlint.ir.escape import workflow_data as escape_data
from paramlint.ir.escape import workflow_property as escape_property
from paramlint.lint.baseline import repo_path
from paramlint.lint.results import FileReport

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def render(reports: list[FileReport], *, rules: list[dict], version: str, **_options) -> str:
    lines = []
    for report in reports:
        path = repo_path(report.path)
        for f in report.findings:
            props = [f"file={escape_property(path)}"]
            if f.line is not None:
                props.append(f"line={f.line}")
                if f.column is not None:
                    props.append(f"col={f.column}")
            props.append(f"title={escape_property(f'{f.code} {f.rule}')}")
            command = COMMANDS.get(f.severity, "warning")
            lines.append(f"::{command} {','.join(props)}::{escape_data(f.message)}")
    return "".join(line + "\n" for line in lines)
