"""Silencing findings: ``# noqa`` comments, per-file and per-layer ignores.

Suppressions apply after the rules have run (and after the cache), so a
cached result is silenced exactly like a fresh one. Each function returns
a new FileReport without the silenced findings; pass a ``Counter`` as
``stats`` to count them by code (for ``--statistics``).
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from .config import Config
from .config_paths import glob_matches
from .results import FileReport
from .rule import Finding

# flake8's form: "# noqa", "# noqa: A1,B2", "#noqa:A1 B2"; case-insensitive.
# A YAML comment starts at a "#" at the start of a line or after a space.
# Patterns, not compiled regexes: compiled (and cached by re) on the first
# finding with a line, not by every run that imports this module.
NOQA_PATTERN = r"(?:^|\s)#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?"
_SPLIT_PATTERN = r"[,\s]+"


def noqa_codes(line: str) -> frozenset[str] | None:
    """What a line's noqa silences: None (no noqa), empty (all), or codes."""
    match = re.search(NOQA_PATTERN, line, re.IGNORECASE)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return frozenset()
    return frozenset(c.upper() for c in re.split(_SPLIT_PATTERN, codes.strip()) if c)


def _silenced_by(codes: frozenset[str], code: str) -> bool:
    # flake8: a code listed, or a prefix of it ("# noqa: PRM3").
    return not codes or any(code.startswith(c) for c in codes)


def _keep(report: FileReport, keep: list[Finding], stats: Counter | None) -> FileReport:
    if stats is not None:
        kept = {id(f) for f in keep}
        stats.update(f.code for f in report.findings if id(f) not in kept)
    return replace(report, findings=keep)


def apply_noqa(report: FileReport, source_lines: list[str],
               stats: Counter | None = None) -> FileReport:
    """Drop findings whose line carries a matching ``# noqa`` comment.

    Only the finding's own line counts (1-based); findings without a line
    (ONNX, whole-model findings) are never silenced this way. ``PRM001``
    (the file could not be loaded) is never silenced by noqa: the comment
    may sit in the broken file itself.
    """
    keep = []
    for finding in report.findings:
        line = finding.line
        if (finding.code != "PRM001" and line is not None and 1 <= line <= len(source_lines)):
            codes = noqa_codes(source_lines[line - 1])
            if codes is not None and _silenced_by(codes, finding.code):
                continue
        keep.append(finding)
    return _keep(report, keep, stats)


def _code_matches(code: str, selectors: list[str]) -> bool:
    return any(s == "ALL" or code.startswith(s) for s in selectors)


def apply_ignores(report: FileReport, config: Config,
                  stats: Counter | None = None) -> FileReport:
    """Drop findings silenced by ``per-file-ignores`` or ``per-layer-ignores``.

    File globs match the path relative to the configuration's folder (or
    the file name for a pattern without ``/``); layer globs are
    ``fnmatch``-ed, case-sensitively, against the finding's layer name.
    """
    file_codes: list[str] = []
    for glob, codes in config.per_file_ignores.items():
        if glob_matches(glob, report.path, config.base):
            file_codes.extend(codes)
    keep = []
    for finding in report.findings:
        if _code_matches(finding.code, file_codes):
            continue
        if finding.layer is not None and any(
            fnmatch.fnmatchcase(finding.layer, glob) and _code_matches(finding.code, codes)
            for glob, codes in config.per_layer_ignores.items()
        ):
            continue
        keep.append(finding)
    return _keep(report, keep, stats)


def read_lines(path: str | Path) -> list[str]:
    """A text file's lines for ``apply_noqa``; [] when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
