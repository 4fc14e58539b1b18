"""Output formats, imported on first use so start-up stays fast.

Split by what they write: ``findings/`` (check), ``report/`` (report; its
JSON document is also ``check -f json``), ``diff/`` (diff). A format reads
the IR, the analyses' documents, linting's findings and the diff; never a
rule or a loader.

Each module has ``render(reports, **options) -> str`` and knows nothing of
rules beyond the plain metadata it is handed.
"""

from __future__ import annotations

import importlib
from types import ModuleType

CHECK_FORMATS = {
    "text": "findings.text",
    "json": "report.json_doc",
    "sarif": "findings.sarif",
    "github": "findings.github",
    "gitlab": "findings.gitlab",
    "junit": "findings.junit",
}
DIFF_FORMATS = {
    "text": "diff.text",
    "json": "diff.json_doc",
    "markdown": "diff.markdown",
    "github": "diff.github",
}
REPORT_FORMATS = {
    "text": "report.text",
    "json": "report.json_doc",
    "markdown": "report.markdown",
    "html": "report.html",
}


def get(name: str, table: dict[str, str]) -> ModuleType:
    return importlib.import_module(f"{__name__}.{table[name]}")
