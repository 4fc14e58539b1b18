"""What a run produces per file: the model document and its findings.

Output formats and the cache work on these, never on the IR or on rules,
so a cached result prints exactly as a fresh one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .rule import Finding


@dataclass
class FileReport:
    """One analysed file.

    ``document`` is the model's JSON document of report-json.md (path,
    format, name, inputs, totals, layers, ties, merged_constants) without
    its findings; ``findings`` are kept as objects so formats and
    suppressions can filter them.
    """

    path: str
    document: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.document.get("error"))

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "document": self.document,
                "findings": [f.as_dict() for f in self.findings]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FileReport":
        return cls(path=data["path"], document=data["document"],
                   findings=[Finding(**f) for f in data["findings"]])
