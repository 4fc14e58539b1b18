"""The commands: ``check``, ``report``, ``diff`` and ``rules``, with the
options they share and the rule metadata the formats describe.

Each command imports what its run needs when it runs (loaders, formats,
onnx), so loading this module costs click alone; the group and the
process's exit handling they attach to are in group.py.
"""

from __future__ import annotations

import sys

import click

from paramlint import __version__

from .group import Abort, _guarded, main


def _with(options):
    def wrap(func):
        for option in reversed(options):
            func = option(func)
        return func
    return wrap


common_options = [
    click.option("--config", "config_file", type=click.Path(dir_okay=False),
                 help="Configuration file (default: the nearest pyproject.toml with "
                      "[tool.paramlint], or paramlint.toml)."),
    click.option("--select", multiple=True, metavar="CODES",
                 help="Rules to enable, comma-separated codes or prefixes (replaces `select`)."),
    click.option("--ignore", multiple=True, metavar="CODES",
                 help="Rules to disable (added to `ignore`)."),
    click.option("--extend-select", multiple=True, metavar="CODES",
                 help="Rules to enable on top of the selection."),
    click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache."),
    click.option("--cache-dir", type=click.Path(file_okay=False),
                 help="Cache folder (default: .paramlint_cache beside the configuration)."),
    click.option("--max-params", type=click.IntRange(min=0),
                 help="PRM101: budget for the model's params."),
    click.option("--max-layer-params", type=click.IntRange(min=0),
                 help="PRM101: budget for any layer's params."),
    click.option("--max-macs", type=click.IntRange(min=0),
                 help="PRM102: budget for the model's MACs per input."),
    click.option("--context", type=click.IntRange(min=1), default=None, metavar="N",
                 help="Memory: tokens of KV cache (default: the model's own sequence length)."),
    click.option("--batch", type=click.IntRange(min=1), default=None, metavar="N",
                 help="Memory: sequences or inputs at once (default 1)."),
    click.option("--kv-dtype", type=click.Choice(["fp16", "bf16", "fp8", "int8", "fp32"]), default=None,
                 help="Memory: the KV cache's element type (default fp16)."),
    click.option("--activation-dtype", type=click.Choice(["fp32", "fp16", "bf16", "fp8", "int8"]),
                 default=None, help="Memory: the activations' element type (default fp32)."),
    click.option("--weight-dtype", type=click.Choice(["fp32", "fp16", "bf16", "int8", "int4"]), default=None,
                 help="Memory: serve the weights at this precision (default: as stored)."),
    click.option("--device-memory", metavar="SIZE", default=None,
                 help="Memory: the device's size (24GiB, 80GB): the longest context and largest batch "
                      "that fit, or by how much the model does not."),
    click.option("--optimizer", type=click.Choice(["adamw", "adam", "sgd", "adam8bit"]), default=None,
                 help="Training memory: the optimizer whose state is counted (default adamw)."),
    click.option("--precision", type=click.Choice(["mixed", "fp32"]), default=None,
                 help="Training memory: fp32, or mixed precision with fp32 master weights (default)."),
    click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                 help="Worker processes (default: as many as the files' sizes predict will "
                      "win on this machine's cores; 1: in this process)."),
]


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output-format", "-f", "output_format", default="text", show_default=True,
              type=click.Choice(["text", "json", "sarif", "github", "gitlab", "junit"]))
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the run fail (default: `fail-on`, or warning).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("--quiet", "-q", is_flag=True, help="Text format: print nothing, just set the status.")
@click.option("--statistics", is_flag=True,
              help="Count findings per rule, and how many were suppressed.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record today's findings in FILE and exit 0.")
@click.option("--baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Report only findings that FILE does not record.")
@_with(common_options)
@_guarded
def check(paths, output_format, fail_on, exit_zero, quiet, statistics, write_baseline, baseline,
          config_file, select, ignore, extend_select, no_cache, cache_dir, max_params,
          max_layer_params, max_macs, jobs, **memory):
    """Lint model files and folders; the exit status says pass or fail."""
    from paramlint import formats

    if write_baseline and baseline:
        raise click.UsageError("--write-baseline and --baseline cannot be combined")
    if write_baseline:  # refused before the run, not after it
        from paramlint.support.atomic import NotRegularFile, check_replaceable

        try:
            check_replaceable(write_baseline)
        except NotRegularFile as exc:
            raise Abort(f"cannot write baseline: {exc}") from None
    from paramlint.run.runner import analyze_paths, exit_status

    run = analyze_paths(paths, config_file=config_file, select=select, ignore=ignore,
                        extend_select=extend_select, no_cache=no_cache, cache_dir=cache_dir,
                        max_params=max_params, max_layer_params=max_layer_params,
                        max_macs=max_macs, jobs=jobs, fail_on=fail_on, memory=memory_settings(memory),
                        documents=output_format == "json")
    reports = run.reports
    if write_baseline:
        from paramlint.lint.baseline import write_baseline as write

        written = write(write_baseline, reports)
        click.echo(f"paramlint: recorded {len(written)} finding(s) of {len(reports)} file(s) "
                   f"in {write_baseline}", err=True)
        sys.exit(2 if run.registry.errors else 0)
    baseline_hidden = 0
    if baseline:
        from paramlint.lint.baseline import filter_new, load_baseline

        before = sum(len(r.findings) for r in reports)
        reports = filter_new(reports, load_baseline(baseline))
        baseline_hidden = before - sum(len(r.findings) for r in reports)

    module = formats.get(output_format, formats.CHECK_FORMATS)
    text = module.render(reports, quiet=quiet, show_statistics=statistics,
                         rules=rule_metadata(run.registry.rules), version=__version__)
    if text:
        click.echo(text.rstrip("\n"))
    if not run.reports and output_format != "text":
        _no_models()
    if statistics:
        if output_format != "text":  # the text format counts per rule itself
            from paramlint.formats.findings.text import statistics as per_rule

            for line in per_rule([f for r in reports for f in r.findings]):
                click.echo(line, err=True)
        noted = sum(run.suppressed.values())
        if noted or baseline_hidden:
            parts = [f"{noted} by noqa or ignores"] if noted else []
            if baseline_hidden:
                parts.append(f"{baseline_hidden} by the baseline")
            line = f"Suppressed: {', '.join(parts)}."
            # Machine formats keep stdout parseable.
            click.echo(line, err=output_format != "text")
    status = exit_status(reports, run.config.fail_on, bool(run.registry.errors))
    sys.exit(0 if exit_zero and status == 1 else status)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "-f", "output_format", default="text", show_default=True,
              type=click.Choice(["text", "json", "markdown", "html"]))
@click.option("--depth", type=click.IntRange(min=1), default=None, metavar="N",
              help="Roll modules up to N levels of their path (layer1.0.conv1 at 1: layer1).")
@click.option("--all", "show_all", is_flag=True,
              help="Show every layer, plumbing included, one row each.")
@_with(common_options)
@_guarded
def report(paths, output_format, depth, show_all, config_file, select, ignore, extend_select,
           no_cache, cache_dir, max_params, max_layer_params, max_macs, jobs, **memory):
    """Print each model's layers, parameter counts, sharing figures and findings.

    Exits 1 only when a file could not be loaded: a report informs, `check` gates.
    """
    from paramlint import formats

    from paramlint.run.runner import analyze_paths

    run = analyze_paths(paths, config_file=config_file, select=select, ignore=ignore,
                        extend_select=extend_select, no_cache=no_cache, cache_dir=cache_dir,
                        max_params=max_params, max_layer_params=max_layer_params,
                        max_macs=max_macs, jobs=jobs, memory=memory_settings(memory))
    if not run.reports and output_format != "json":
        _no_models(err=False)
        sys.exit(2 if run.registry.errors else 0)
    if not run.reports:
        _no_models()
    module = formats.get(output_format, formats.REPORT_FORMATS)
    click.echo(module.render(run.reports, rules=rule_metadata(run.registry.rules),
                             version=__version__, depth=depth, show_all=show_all).rstrip("\n"))
    failed = any(r.failed for r in run.reports)
    sys.exit(2 if run.registry.errors else 1 if failed else 0)


def _no_models(err: bool = True) -> None:
    """Say that no file was a model: on stderr where stdout must stay parseable."""
    from paramlint.formats.findings.text import NO_MODELS

    click.echo(f"paramlint: {NO_MODELS}" if err else NO_MODELS, err=err)


@main.command(name="diff")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--base", "base", metavar="REV",
              help="Compare every model file changed since the git revision REV with the "
                   "working tree (PATHs narrow the search).")
@click.option("--format", "-f", "output_format", default="text", show_default=True,
              type=click.Choice(["text", "json", "markdown", "github"]))
@click.option("--max-increase", metavar="N|P%",
              help="Fail (exit 1) when a model's params grow by more than N, or P percent.")
@click.option("--max-macs-increase", metavar="N|P%",
              help="Fail (exit 1) when a model's MACs grow by more than N, or P percent.")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True,
              help="Module depth of the module table (0: full paths).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Also fail when a finding at or above this severity appears "
                   "(default: findings are shown, only budgets fail).")
@_with(common_options)
@_guarded
def diff(paths, base, output_format, max_increase, max_macs_increase, depth, fail_on, config_file,
         select, ignore, extend_select, no_cache, cache_dir, max_params, max_layer_params, max_macs,
         jobs, **memory):
    """What a change does to a model: paramlint diff OLD NEW, or --base REV [PATH...].

    Layers are matched by name, module path, then structure; the output
    lists added, removed and changed layers, module and total deltas, and
    findings that appear or go away. Exit 1 when a growth budget is
    exceeded or a new file does not load (with --fail-on, also when a new
    finding reaches that severity); 2 when paramlint cannot do its job.
    """
    from .diff import run_diff

    sys.exit(run_diff(paths, base=base, output_format=output_format, max_increase=max_increase,
                      max_macs_increase=max_macs_increase, depth=depth, fail_on=fail_on,
                      options=dict(config_file=config_file, select=select, ignore=ignore,
                                   extend_select=extend_select, no_cache=no_cache,
                                   cache_dir=cache_dir, max_params=max_params,
                                   max_layer_params=max_layer_params, max_macs=max_macs,
                                   jobs=jobs, memory=memory_settings(memory))))


def memory_settings(options: dict) -> dict:
    """The memory options given on the command line, as MemorySettings
    fields (the sizes parsed); the ones not given are left out."""
    names = {"kv_dtype": "kv_dtype", "activation_dtype": "activation_dtype", "context": "context",
             "batch": "batch", "weight_dtype": "weight_dtype", "optimizer": "optimizer",
             "precision": "precision"}
    out = {names[k]: v for k, v in options.items() if k in names and v is not None}
    size = options.get("device_memory")
    if size is not None:
        from paramlint.analysis.serving import parse_bytes

        try:
            out["device_bytes"] = parse_bytes(size)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--device-memory'") from None
    return out


def rule_metadata(rules) -> list[dict]:
    """Plain data about rules for formats that describe them (SARIF)."""
    return [{"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary,
             "doc": r.doc, "help_uri": None, "example": r.example,
             "options": [{"name": o.name, "default": o.default, "help": o.help} for o in r.options]}
            for r in rules]


@main.command(name="rules")
@click.argument("code", required=False)
def rules_command(code):
    """List the rules, or explain one (by code or name)."""
    from paramlint.lint.plugins import discover

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
