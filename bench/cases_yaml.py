"""bench/run.py's YAML cases: start-up on one tiny file, the cache on 200.

A YAML architecture file is cheap to analyze, so on ``yaml1`` (one LeNet-5)
paramlint's time is mostly its own start-up: ``check`` cold and warm and
``report`` run beside ``python -c 'import yaml, click'``, the floor any
click-and-PyYAML tool pays before it reads a byte (the reference).

``yaml200`` (200 LeNet-5 variants whose widths, so contents, differ)
measures what the cache saves on a folder: ``check DIR`` cold (the
reference) against warm, on a cache filled by a priming run, with whatever
cache flags this paramlint has (``cache_tools``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cases import CaseContext, warm_tool
from timing import Tool

NAMES = ("yaml1", "yaml200")


def tools(ctx: CaseContext, name: str, path: str) -> list[Tool]:
    if name == "yaml200":
        return cache_tools(ctx.paramlint, path, ctx.flags, ctx.scratch)
    return one_file_tools(ctx, name, path)


def one_file_tools(ctx: CaseContext, name: str, path: str) -> list[Tool]:
    """One small file: paramlint cold, warm and `report` against the import floor."""
    paramlint, py = ctx.paramlint, ctx.py
    tools: list[Tool] = []
    tools.append(ctx.cold("paramlint check", paramlint + ["check", path], "check", ok_codes=(0, 1),
                          scan_stdout=True))
    tools.extend(warm_tool(paramlint + ["check", path], ctx.flags, ctx.scratch / f"warm-{name}"))
    tools.append(ctx.cold("paramlint report", paramlint + ["report", path, "--format", "json"], "report",
                          explain=ctx.report_explain(path)))
    tools.append(Tool("floor", "python -c 'import yaml, click'", [py, "-c", "import yaml, click"]))
    return tools


def cache_tools(paramlint: list[str], path: str, flags: set[str], scratch: Path) -> list[Tool]:
    """`check DIR` cold and warm, with whatever cache flags this paramlint has."""
    cold_cwd = scratch / "cold"
    cold_cwd.mkdir(exist_ok=True)
    base = paramlint + ["check", path]
    cold_dir = scratch / "cache-cold"
    if "--no-cache" in flags:
        cold = Tool("cold", "paramlint check (cold, --no-cache)", base + ["--no-cache"], ok_codes=(0, 1))
    elif "--cache-dir" in flags:
        cold = Tool("cold", "paramlint check (cold, fresh --cache-dir)", base + ["--cache-dir", str(cold_dir)],
                    ok_codes=(0, 1), prepare=lambda: shutil.rmtree(cold_dir, ignore_errors=True))
    else:
        cold = Tool("cold", "paramlint check (cold, fresh cwd cache)", base, ok_codes=(0, 1),
                    prepare=lambda: shutil.rmtree(cold_cwd / ".paramlint_cache", ignore_errors=True),
                    note="no cache flags: default cache in cwd")
    cold.cwd = cold_cwd
    cold.scan_stdout = True
    return [cold] + warm_tool(base, flags, scratch / "warm-yaml200")
