"""What every case family of bench/run.py builds its commands from.

A case is one model (or folder of models) and the commands timed on it,
as ``Tool``s (bench/timing.py). The families live beside this module:
bench/cases_onnx.py (single ONNX files against onnx and onnx-tool),
bench/cases_yaml.py (YAML architecture files: start-up and the cache),
bench/cases_folders.py (folders of models: workers and the cache). Each has
``NAMES`` and ``tools(ctx, name, path)``; bench/run.py's ``plan`` asks the
family that names a model.

What they share is how a paramlint command is made to measure the real
work, and how a run on a cache is made warm:

- ``CaseContext.cold``: a command that neither reads a cache entry nor
  leaves one for the next run (``--no-cache``, else a wiped ``--cache-dir``,
  else a wiped default cache), or every run after the first would time a
  cache hit;
- ``warm_tool``: the command rerun against a cache that one unmeasured
  priming run filled;
- ``CaseContext.report_explain``: on a failed ``report``, the PRM001 message
  (the file failed to load) is a better first line than stderr's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import environment
from timing import GLOBAL_TIMEOUT, Tool


@dataclass
class CaseContext:
    """One benchmark run's settings, as the case families need them."""

    paramlint: list[str]  # the command that runs paramlint
    flags: set[str]  # the options `paramlint check --help` lists
    scratch: Path  # the run's scratch folder
    work: Path  # an empty working folder: no configuration file is discovered
    py: str  # the interpreter the onnx peers run with
    args: argparse.Namespace  # the command line (--quick, --peer-timeout)
    peer_python: str | None  # bench/.venv-peers' python, None if onnx-tool is missing
    peer_error: str  # why it is missing

    def report_explain(self, path: str) -> Callable[[], str]:
        paramlint, work, scratch = self.paramlint, self.work, self.scratch

        def explain() -> str:
            capture = scratch / "report.json"
            with open(capture, "wb") as handle:
                subprocess.run(paramlint + ["report", path, "--format", "json"], cwd=work, stdout=handle,
                               stderr=subprocess.DEVNULL, timeout=GLOBAL_TIMEOUT,
                               env=environment.PARAMLINT_ENV)
            try:
                data = json.loads(capture.read_text())
                for model in data.get("models", []):
                    for finding in model.get("findings", []):
                        if finding.get("code") == "PRM001":
                            return "PRM001: " + finding.get("message", "").splitlines()[0]
            except (OSError, ValueError):
                pass
            return ""
        return explain

    def cold(self, label: str, argv: list[str], key: str, **kw) -> Tool:
        """A paramlint command that neither reads a cache entry nor leaves one for the next run."""
        flags, scratch, work = self.flags, self.scratch, self.work
        if "--no-cache" in flags:
            return Tool(key, f"{label} (--no-cache)", argv + ["--no-cache"], **kw)
        folder = scratch / f"cache-{key}"
        wipe = lambda: shutil.rmtree(folder, ignore_errors=True)  # noqa: E731
        if "--cache-dir" in flags:
            return Tool(key, f"{label} (fresh --cache-dir)", argv + ["--cache-dir", str(folder)], prepare=wipe, **kw)
        return Tool(key, label, argv, prepare=lambda: shutil.rmtree(work / ".paramlint_cache", ignore_errors=True),
                    **kw)


def warm_tool(argv: list[str], flags: set[str], cwd: Path) -> list[Tool]:
    """`argv` rerun against a cache that a priming run filled."""
    cwd.mkdir(exist_ok=True)
    if "--cache-dir" in flags:
        folder = cwd / "cache"
        warm = Tool("warm", "paramlint check (warm cache)", argv + ["--cache-dir", str(folder)], ok_codes=(0, 1),
                    scan_stdout=True)
    else:
        folder = cwd / ".paramlint_cache"
        warm = Tool("warm", "paramlint check (warm cache)", argv, ok_codes=(0, 1), scan_stdout=True)
    warm.cwd = cwd

    def prime() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(warm.argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=GLOBAL_TIMEOUT, env=environment.PARAMLINT_ENV)
        if not folder.exists():
            warm.note = "the priming run wrote no cache"

    warm.prime = prime
    return [warm]
