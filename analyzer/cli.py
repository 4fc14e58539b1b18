"""The ``paramlint`` command: check, report, rules.

Loaders, formats and onnx are imported only when a run needs them, so a
pre-commit hook on YAML files starts about as fast as ``import yaml, click``.
"""

from __future__ import annotations

import sys

import click

from . import __version__

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def _settings(max_params, max_layer_params):
    from .engine import Settings

    budget = {k: v for k, v in (("max-params", max_params), ("max-layer-params", max_layer_params))
              if v is not None}
    return Settings(options={"PRM101": budget} if budget else {})


def _run(paths, settings):
    from .engine import analyze
    from .files import collect
    from .plugins import discover

    registry = discover()
    for error in registry.errors:
        click.echo(f"paramlint: {error}", err=True)
    files = collect(paths or ["."])
    return registry, analyze(files, settings)


def _exit_status(reports, fail_on: str, plugin_errors: bool) -> int:
    threshold = SEVERITY_RANK[fail_on]
    failing = any(SEVERITY_RANK.get(f.severity, 2) >= threshold for r in reports for f in r.findings)
    status = 1 if failing else 0
    return 2 if plugin_errors else status


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paramlint")
def main() -> None:
    """Static analysis of neural-network architectures (ONNX and YAML)."""


budget_options = [
    click.option("--max-params", type=click.IntRange(min=0), help="PRM101: budget for the model's params."),
    click.option("--max-layer-params", type=click.IntRange(min=0), help="PRM101: budget for any layer's params."),
]


def _with(options):
    def wrap(func):
        for option in reversed(options):
            func = option(func)
        return func
    return wrap


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output-format", "-f", "output_format", default="text",
              type=click.Choice(["text", "json", "sarif", "github", "gitlab", "junit"]))
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="warning",
              show_default=True, help="Lowest severity that makes the run fail.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only when a format needs them.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@_with(budget_options)
def check(paths, output_format, fail_on, exit_zero, quiet, statistics, max_params, max_layer_params):
    """Lint model files and folders; the exit status says pass or fail."""
    from . import formats

    registry, reports = _run(paths, _settings(max_params, max_layer_params))
    module = formats.get(output_format, formats.CHECK_FORMATS)
    text = module.render(reports, quiet=quiet, show_statistics=statistics,
                         rules=rule_metadata(registry.rules), version=__version__)
    if text:
        click.echo(text)
    status = _exit_status(reports, fail_on, bool(registry.errors))
    sys.exit(0 if exit_zero and status == 1 else status)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "-f", "output_format", default="text",
              type=click.Choice(["text", "json", "markdown"]))
@_with(budget_options)
def report(paths, output_format, max_params, max_layer_params):
    """Print each model's layers, parameter counts, sharing figures and findings.

    Exits 1 only when a file could not be loaded: a report informs, `check` gates.
    """
    from . import formats

    registry, reports = _run(paths, _settings(max_params, max_layer_params))
    module = formats.get(output_format, formats.REPORT_FORMATS)
    click.echo(module.render(reports, rules=rule_metadata(registry.rules), version=__version__))
    failed = any(r.failed for r in reports)
    sys.exit(2 if registry.errors else 1 if failed else 0)


def rule_metadata(rules) -> list[dict]:
    """Plain data about rules for formats that describe them (SARIF)."""
    return [{"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary,
             "doc": r.doc, "help_uri": None} for r in rules]


@main.command(name="rules")
@click.argument("code", required=False)
def rules_command(code):
    """List the rules, or explain one (by code or name)."""
    from .plugins import discover

    registry = discover()
    for error in registry.errors:
        click.echo(f"paramlint: {error}", err=True)
    if code is None:
        for rule in registry.rules:
            click.echo(f"{rule.code}  {rule.name:<24} {rule.severity:<8} {rule.summary}")
        return
    wanted = code.strip()
    match = [r for r in registry.rules if wanted.upper() == r.code or wanted.lower() == r.name]
    if not match:
        import difflib

        names = [r.code for r in registry.rules] + [r.name for r in registry.rules]
        hint = difflib.get_close_matches(wanted, names, n=1)
        click.echo(f"paramlint: no rule {wanted!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""), err=True)
        sys.exit(2)
    rule = match[0]
    click.echo(f"{rule.code} {rule.name} (default severity: {rule.severity})\n")
    click.echo(rule.summary + ".\n")
    if rule.doc:
        click.echo(rule.doc + "\n")
    if rule.options:
        click.echo("Options:")
        for opt in rule.options:
            click.echo(f"  {opt.name} ({opt.type.__name__}, default {opt.default!r}): {opt.help}")
        click.echo("")
    if rule.example:
        click.echo("Example:\n" + "\n".join("  " + ln for ln in rule.example.splitlines()))
