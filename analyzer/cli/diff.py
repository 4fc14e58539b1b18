"""Between ``paramlint diff``'s options and its output: budgets, format, exit status."""

from __future__ import annotations

from typing import Any

import click


def _budgets(max_increase, max_macs_increase, config) -> dict:
    from paramlint.diff.compare import Budget

    out = {}
    for key, given, configured, flag in (
            ("params", max_increase, config.max_increase, "--max-increase"),
            ("macs", max_macs_increase, config.max_macs_increase, "--max-macs-increase")):
        value = given if given is not None else configured
        if value is None:
            continue
        try:
            out[key] = Budget.parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=flag) from None
    return out


def run_diff(paths: tuple[str, ...], *, base: str | None, output_format: str, max_increase,
             max_macs_increase, depth: int, fail_on: str | None, options: dict[str, Any]) -> int:
    """Run the diff, print it, and return the exit status (as ``check``'s)."""
    from paramlint import formats
    from paramlint.diff.compare import over_budget
    from paramlint.diff.run import diff_base, diff_files
    from paramlint.diff.gitrev import GitError
    from paramlint.run.runner import SEVERITY_RANK

    if base is None and len(paths) != 2:
        raise click.UsageError("give two files (paramlint diff OLD NEW) or --base REV [PATH...]")
    try:
        if base is None:
            diffs, run = diff_files(paths[0], paths[1], depth=depth, options=options)
        else:
            diffs, run = diff_base(base, list(paths), depth=depth, options=options)
    except GitError as exc:
        click.echo(f"paramlint: error: {exc}", err=True)
        return 2
    except FileNotFoundError as exc:
        click.echo(f"paramlint: error: no such file: {exc}", err=True)
        return 2
    config = run.config if run is not None else None
    if config is None:
        from pathlib import Path

        from paramlint.lint.config import load_config

        config = load_config(Path(options["config_file"]) if options.get("config_file") else None,
                             Path.cwd())
    budgets = _budgets(max_increase, max_macs_increase, config)
    for d in diffs:
        d.over = over_budget(d, budgets)
    module = formats.get(output_format, formats.DIFF_FORMATS)
    click.echo(module.render(diffs).rstrip("\n"))
    if run is not None and run.registry.errors:
        return 2
    failing = any(d.over or "new" in d.errors for d in diffs)
    if fail_on:  # new findings gate only when asked: `check` is the findings gate
        threshold = SEVERITY_RANK[fail_on]
        failing = failing or any(f.status == "new" and SEVERITY_RANK.get(f.severity, 2) >= threshold
                                 for d in diffs for f in d.findings)
    return 1 if failing else 0
