"""Baselines: record today's findings, report only new ones tomorrow.

A finding is identified by (path relative to the baseline's folder, code,
layer, message fingerprint). The fingerprint is the message with its
numbers blanked out, so a finding keeps its identity when an unrelated
edit shifts line numbers or changes the model's totals (a layer's share of
the model), and changes it when it is about something else. Each key keeps
a count: two identical findings in the baseline silence two, not three.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from .results import FileReport
from .rule import Finding
from paramlint.support.atomic import NotRegularFile, atomic_write_text, read_regular

VERSION = 1
#: A baseline of a million findings is ~150 MB; past this it is not one.
MAX_BYTES = 512 << 20
_NUMBER_RE = re.compile(r"[-+]?\d[\d,_]*(?:\.\d+)?(?:[eE][-+]?\d+)?%?")
_SPACE_RE = re.compile(r"\s+")

Key = tuple[str, str, str, str]


class BaselineError(Exception):
    """The baseline file cannot be used; the message says which and why."""


def message_fingerprint(message: str) -> str:
    """A short hash of the message with numbers and spacing normalised."""
    text = _SPACE_RE.sub(" ", _NUMBER_RE.sub("#", message)).strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _posix(path: str) -> str:
    return path.replace("\\", "/")


def relative_to(path: str, folder: Path) -> str:
    """``path`` relative to ``folder``, forward slashes (``..`` if needed)."""
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, os.path.abspath(folder))
    except ValueError:  # another drive on Windows
        rel = absolute
    return _posix(rel)


def finding_key(finding: Finding, path: str) -> Key:
    return (_posix(path), finding.code, finding.layer or "",
            message_fingerprint(finding.message))


def stable_id(finding: Finding, path: str) -> str:
    """One string for the key, for formats' fingerprints (SARIF, GitLab)."""
    return "\x1f".join(finding_key(finding, path))


@dataclass
class Baseline:
    folder: Path
    counts: Counter = field(default_factory=Counter)

    def __len__(self) -> int:
        return sum(self.counts.values())


def build(reports: list[FileReport], folder: Path) -> Baseline:
    counts: Counter = Counter()
    for report in reports:
        for finding in report.findings:
            counts[finding_key(finding, relative_to(report.path, folder))] += 1
    return Baseline(folder=Path(folder), counts=counts)


def _document(baseline: Baseline) -> dict:
    entries = [
        {"path": p, "code": c, "layer": l, "fingerprint": fp, "count": n}
        for (p, c, l, fp), n in sorted(baseline.counts.items())
    ]
    return {"tool": "paramlint", "version": VERSION, "findings": entries}


def write_baseline(path: str | Path, reports: list[FileReport]) -> Baseline:
    """Record every finding of ``reports`` in ``path``; returns what it wrote."""
    path = Path(path)
    folder = path.resolve().parent
    baseline = build(reports, folder)
    text = json.dumps(_document(baseline), indent=2, sort_keys=True) + "\n"
    try:
        atomic_write_text(path, text)
    except NotRegularFile as exc:
        raise BaselineError(f"cannot write baseline: {exc}") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
    return baseline


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file; any problem is a ``BaselineError``."""
    path = Path(path)
    try:
        text = read_regular(path, MAX_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found "
                            f"(create it with --write-baseline)") from None
    except NotRegularFile as exc:
        raise BaselineError(f"cannot read baseline: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: corrupt baseline (not JSON: {exc.msg} at line "
                            f"{exc.lineno}); write it again with --write-baseline") from None
    if not isinstance(data, dict) or "version" not in data:
        raise BaselineError(f"{path}: not a paramlint baseline (no version)")
    if data["version"] != VERSION:
        raise BaselineError(f"{path}: baseline version {data['version']!r} is not supported "
                            f"(this paramlint writes version {VERSION})")
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: corrupt baseline: 'findings' must be a list")
    counts: Counter = Counter()
    for i, entry in enumerate(entries):
        try:
            key = (entry["path"], entry["code"], entry["layer"], entry["fingerprint"])
            count = entry.get("count", 1)
        except (TypeError, KeyError) as exc:
            raise BaselineError(f"{path}: corrupt baseline: entry {i} lacks {exc}") from None
        if not all(isinstance(k, str) for k in key) or not isinstance(count, int) \
                or isinstance(count, bool) or count < 1:
            raise BaselineError(f"{path}: corrupt baseline: entry {i} has a bad value")
        counts[key] += count
    return Baseline(folder=path.resolve().parent, counts=counts)


def filter_new(reports: list[FileReport], baseline: Baseline) -> list[FileReport]:
    """The reports with only the findings the baseline does not account for."""
    left = Counter(baseline.counts)
    out = []
    for report in reports:
        rel = relative_to(report.path, baseline.folder)
        keep = []
        for finding in report.findings:
            key = finding_key(finding, rel)
            if left[key] > 0:
                left[key] -= 1
                continue
            keep.append(finding)
        out.append(replace(report, findings=keep))
    return out


def repo_path(path: str) -> str:
    """A report path as CI tools want it: relative to the cwd when under it,
    forward slashes, no leading ``./``."""
    posix = _posix(path)
    if os.path.isabs(path):
        rel = os.path.relpath(path, os.getcwd())
        if not rel.startswith(".."):
            posix = _posix(rel)
    while posix.startswith("./"):
        posix = posix[2:]
    return posix


def occurrence_ids(report: FileReport) -> list[tuple[Finding, str]]:
    """Each finding with its stable id plus ``:n``, n counting identical keys.

    Used as SARIF partialFingerprints and GitLab fingerprints: stable across
    unrelated edits (no line numbers), distinct for repeated findings.
    """
    seen: Counter = Counter()
    out = []
    path = repo_path(report.path)
    for finding in report.findings:
        sid = stable_id(finding, path)
        seen[sid] += 1
        out.append((finding, f"{sid}:{seen[sid]}"))
    return out
