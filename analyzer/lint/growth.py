"""A growth budget (``--max-increase``, ``max-increase`` in the configuration).

Parsed and checked by the configuration (linting), applied by the diff,
so the value type sits with the configuration, below both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BUDGET_RE = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class Budget:
    """``--max-increase``: an absolute count (``10000``) or a percentage (``5%``)."""

    value: float
    percent: bool

    @classmethod
    def parse(cls, text: str | int | float) -> "Budget":
        if isinstance(text, bool):
            raise ValueError(f"expected a count or a percentage such as 5%, got {text!r}")
        if isinstance(text, (int, float)):
            if text != text or text < 0:
                raise ValueError(f"expected a count or a percentage such as 5%, got {text!r}")
            return cls(float(text), False)
        match = _BUDGET_RE.match(str(text))
        if not match:
            raise ValueError(f"expected a count (10000) or a percentage (5%), got {text!r}")
        number = float(match.group(1).replace(",", "").replace("_", ""))
        return cls(number, bool(match.group(2)))

    def __str__(self) -> str:
        if self.percent:
            return f"{self.value:g}%"
        return f"{int(self.value):,}" if self.value == int(self.value) else f"{self.value:g}"

    def exceeded(self, before: int | None, delta: int | None) -> bool:
        """Over budget? A percentage of nothing (an added file) is no budget."""
        if delta is None or delta <= 0:
            return False
        if self.percent:
            return bool(before) and 100.0 * delta / before > self.value
        return delta > self.value
