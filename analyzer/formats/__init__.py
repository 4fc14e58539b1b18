"""Output formats, imported on first use so start-up stays fast.

Each module has ``render(reports, **options) -> str`` and knows nothing of
rules beyond the plain metadata it is handed.
"""

from __future__ import annotations

import importlib
from types import ModuleType

CHECK_FORMATS = {
    "text": "findings_text",
    "json": "json_out",
    "sarif": "sarif",
    "github": "github",
    "gitlab": "gitlab",
    "junit": "junit",
}
DIFF_FORMATS = {
    "text": "diff_text",
    "json": "diff_json",
    "markdown": "diff_markdown",
    "github": "diff_github",
}
REPORT_FORMATS = {
    "text": "report_text",
    "json": "json_out",
    "markdown": "markdown",
    "html": "html",
}


def get(name: str, table: dict[str, str]) -> ModuleType:
    return importlib.import_module(f"{__name__}.{table[name]}")
