"""bench/run.py's folder cases: ``check DIR`` on many files, workers and the cache.

``exports40`` (40 real exports copied from fixtures/exports: both
exporters; torchvision, timm, transformers, plain torch) and ``yaml1000``
(1,000 LeNet-5 variants) measure what a CI job over a repository pays:
whether the default worker count is never slower than ``-j 1`` (the
reference), whether filling a fresh ``--cache-dir`` costs little over
``--no-cache``, and whether a warm cache brings a run down to start-up
(``python -c 'import click'``, the floor).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cases import CaseContext, warm_tool
from timing import Tool

NAMES = ("exports40", "yaml1000")


def tools(ctx: CaseContext, name: str, path: str) -> list[Tool]:
    return folder_tools(ctx.paramlint, path, ctx.flags, ctx.scratch / name, ctx.py)


def folder_tools(paramlint: list[str], path: str, flags: set[str], scratch: Path, py: str) -> list[Tool]:
    """A folder of models: one worker against the default, a fresh cache
    against none, a warm cache against start-up."""
    scratch.mkdir(parents=True, exist_ok=True)
    base = paramlint + ["check", path]
    fresh = scratch / "cache-fresh"
    tools = [Tool("serial", "paramlint check -j 1 (--no-cache)", base + ["--no-cache", "-j", "1"],
                  ok_codes=(0, 1)),
             Tool("default", "paramlint check (default workers, --no-cache)", base + ["--no-cache"],
                  ok_codes=(0, 1)),
             Tool("fresh", "paramlint check (fresh --cache-dir)", base + ["--cache-dir", str(fresh)],
                  ok_codes=(0, 1), prepare=lambda: shutil.rmtree(fresh, ignore_errors=True))]
    tools += warm_tool(base, flags, scratch / "warm")
    tools.append(Tool("floor", "python -c 'import click'", [py, "-c", "import click"]))
    for tool in tools:
        tool.cwd = tool.cwd or scratch
    return tools
