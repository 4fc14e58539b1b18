"""The ``paramlint`` command: check, report, rules.

Loaders, formats and onnx are imported only when a run needs them, so a
pre-commit hook on YAML files starts about as fast as ``import yaml, click``.

A run: configuration (discovered or ``--config``, then command-line
overrides) -> files (folders walked, ``exclude`` honoured) -> the engine
(through the content-hash cache) -> suppressions (``# noqa``,
per-file/per-layer ignores, a baseline) -> a format -> an exit status:
0 pass, 1 findings at or above the fail level, 2 paramlint could not do
its job (bad command line or configuration, a bad baseline, a broken
plugin, an internal error).
"""

from __future__ import annotations

import gc

# Fewer garbage collections: a run allocates many small objects that live
# until it ends (modules at start-up, layers and findings later), and the
# default gen0 threshold (700) collects them again and again. Measured: the
# tiny-YAML check 83.7 -> 75.4 ms; issue 6 reports a 50,000-node ONNX report
# 8.8 -> 6.9 s at the same peak memory. Set before click is imported, so
# start-up gains too; never lowered if the host raised it.
if gc.get_threshold()[0] < 50_000:
    gc.set_threshold(50_000, 20, 100)

import functools
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import click

from . import __version__

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
YAML_SUFFIXES = (".yaml", ".yml")


class Abort(Exception):
    """paramlint cannot do its job: one line on stderr, exit 2."""


def _known_error(exc: BaseException) -> bool:
    """Is ``exc`` a ConfigError, a BaselineError or an Abort?

    Looked up in ``sys.modules`` rather than imported: a run that never
    imported the baseline module (most do not) cannot have raised its
    error, and importing it just to catch nothing costs every run hashlib,
    tempfile and json.
    """
    if isinstance(exc, Abort):
        return True
    for module, name in (("analyzer.config", "ConfigError"), ("analyzer.baseline", "BaselineError")):
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(exc, cls):
            return True
    return False


def _guarded(func):
    """Exit 2 with one line for a known problem, with a traceback for a bug."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _known_error(exc):
                click.echo(f"paramlint: error: {exc}", err=True)
                sys.exit(2)
            # a bug: say so, show where, exit 2 not 1
            import traceback

            click.echo(f"paramlint: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo(traceback.format_exc(), err=True, nl=False)
            sys.exit(2)

    return wrapper


def _codes(values: tuple[str, ...]) -> list[str]:
    """``--select A,B --select C`` -> ["A", "B", "C"]."""
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


@dataclass
class Run:
    registry: object
    config: object
    reports: list
    suppressed: Counter = field(default_factory=Counter)


def _collect(paths: list[str], config) -> list[str]:
    from .config import excluded
    from .files import collect

    return collect(paths, lambda path: excluded(path, config))


def _default_paths(config, cwd: Path) -> list[str]:
    if not config.paths:
        return ["."]
    out = []
    for p in config.paths:
        full = os.path.normpath(os.path.join(config.base, p))
        rel = os.path.relpath(full, cwd)
        out.append(full if rel.startswith("..") else rel)
    return out


class _EngineCache:
    """The engine's get(path)/put(path, report) over the content-hash Cache."""

    def __init__(self, cache, fingerprint: str) -> None:
        self.cache = cache
        self.fingerprint = fingerprint
        self.seen: dict[str, tuple[str, int, int]] = {}

    def get(self, path: str):
        try:
            st = os.stat(path)
            digest = self.cache.digest(path, st)
        except OSError:
            return None  # the loader reports it; nothing to cache
        self.seen[path] = (digest, st.st_mtime_ns, st.st_size)
        return self.cache.get(path, digest, self.fingerprint)

    def put(self, path: str, report) -> None:
        known = self.seen.get(path)
        if known is None or _transient(report):
            return
        try:
            st = os.stat(path)
        except OSError:
            return
        if (st.st_mtime_ns, st.st_size) != known[1:]:
            return  # changed while we read it: the next run will see it
        self.cache.put(path, known[0], self.fingerprint, report)


def _transient(report) -> bool:
    """Results of a crash or exhausted memory are not worth remembering."""
    error = str(report.document.get("error") or "")
    return (any(f.extra.get("internal_error") for f in report.findings)
            or "internal error" in error or "out of memory" in error)


def _registry(cache):
    """(the rules, their code's top-level packages, those packages' code fingerprint).

    Without a cache: discover (import) the rules. With one: their metadata
    from the cache folder when the plugins and their code are unchanged, so
    that a run whose files are all cache hits never imports a rule; the
    engine discovers them itself when a file has to be analysed.
    """
    from .plugins import discover

    if cache is None:
        return discover(), None, None
    from .cache import code_fingerprint
    from .plugins import registry_from_dict, registry_identity, registry_to_dict

    identity, packages = registry_identity()
    data = cache.registry(identity)
    if data is not None and isinstance(data.get("modules"), list):
        modules = [str(m) for m in data["modules"]]
        watched = sorted(set(packages) | set(modules))
        code = code_fingerprint(watched)
        if code == data.get("code"):
            registry = registry_from_dict(data)
            if registry is not None:
                if watched != modules:
                    code = code_fingerprint(modules)
                return registry, modules, code
    registry = discover()
    modules = sorted({"analyzer"} | {r.check.__module__.split(".")[0] for r in registry.rules})
    watched = sorted(set(packages) | set(modules))
    data = registry_to_dict(registry)
    if data is not None:
        cache.remember_registry(identity, {**data, "modules": modules,
                                           "code": code_fingerprint(watched)})
    return registry, modules, code_fingerprint(modules)


def _analyze(paths, *, config_file, select, ignore, extend_select, no_cache, cache_dir,
             max_params, max_layer_params, jobs=None, fail_on=None) -> Run:
    from .config import enabled, load_config, options_for, validate
    from .engine import Settings, analyze
    from .suppress import apply_ignores, apply_noqa, read_lines

    cwd = Path.cwd()
    config = load_config(Path(config_file) if config_file else None, cwd)
    if select:
        config.select = _codes(select)
    config.ignore = [*config.ignore, *_codes(ignore)]
    config.extend_select = [*config.extend_select, *_codes(extend_select)]
    if fail_on:
        config.fail_on = fail_on
    store = None
    if not no_cache:
        from .cache import Cache, default_cache_dir

        store = Cache(Path(cache_dir) if cache_dir else default_cache_dir(config.source, cwd))
    registry, modules, code = _registry(store)
    for error in registry.errors:
        click.echo(f"paramlint: {error}", err=True)
    validate(config, registry.rules)

    selected = frozenset(r.code for r in registry.rules if enabled(r.code, config))
    options = {r.code: options_for(r, config) for r in registry.rules}
    budget = {k: v for k, v in (("max-params", max_params),
                                ("max-layer-params", max_layer_params)) if v is not None}
    if budget:
        options["PRM101"] = {**options.get("PRM101", {}), **budget}
    settings = Settings(enabled=selected, options=options)

    files = _collect(list(paths) or _default_paths(config, cwd), config)
    cache = None
    if store is not None:
        from .cache import config_fingerprint

        fingerprint = config_fingerprint(sorted(selected), options, {"sources": registry.sources},
                                         code=code)
        cache = _EngineCache(store, fingerprint)
    reports = analyze(files, settings, cache=cache, jobs=jobs)
    if store is not None:
        store.save_memos()

    suppressed: Counter = Counter()
    out = []
    for report in reports:
        if report.path.lower().endswith(YAML_SUFFIXES) and any(
                f.line is not None for f in report.findings):
            report = apply_noqa(report, read_lines(report.path), suppressed)
        out.append(apply_ignores(report, config, suppressed))
    return Run(registry, config, out, suppressed)


def _exit_status(reports, fail_on: str, plugin_errors: bool) -> int:
    """0 pass, 1 findings at or above fail-on, 2 paramlint could not do its job.

    A broken plugin or a crash inside a rule or loader is exit 2 (the
    contract's "internal error") even though the run went on and every
    other finding was reported.
    """
    if plugin_errors or any(f.extra.get("internal_error") for r in reports for f in r.findings):
        return 2
    threshold = SEVERITY_RANK[fail_on]
    failing = any(SEVERITY_RANK.get(f.severity, 2) >= threshold
                  for r in reports for f in r.findings)
    return 1 if failing else 0


class _Main(click.Group):
    def __call__(self, *args, **kwargs):
        # The ``paramlint`` script: what start-up built lives until exit,
        # so no collection needs to walk it again.
        gc.freeze()
        return super().__call__(*args, **kwargs)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paramlint")
def main() -> None:
    """Static analysis of neural-network architectures (ONNX and YAML)."""


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
    click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                 help="Worker processes (default: as many as cores when the work is worth it; "
                      "1: in this process)."),
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
          max_layer_params, jobs):
    """Lint model files and folders; the exit status says pass or fail."""
    from . import formats

    if write_baseline and baseline:
        raise click.UsageError("--write-baseline and --baseline cannot be combined")
    run = _analyze(paths, config_file=config_file, select=select, ignore=ignore,
                   extend_select=extend_select, no_cache=no_cache, cache_dir=cache_dir,
                   max_params=max_params, max_layer_params=max_layer_params, jobs=jobs,
                   fail_on=fail_on)
    reports = run.reports
    if write_baseline:
        from .baseline import write_baseline as write

        written = write(write_baseline, reports)
        click.echo(f"paramlint: recorded {len(written)} finding(s) of {len(reports)} file(s) "
                   f"in {write_baseline}", err=True)
        sys.exit(2 if run.registry.errors else 0)
    baseline_hidden = 0
    if baseline:
        from .baseline import filter_new, load_baseline

        before = sum(len(r.findings) for r in reports)
        reports = filter_new(reports, load_baseline(baseline))
        baseline_hidden = before - sum(len(r.findings) for r in reports)

    module = formats.get(output_format, formats.CHECK_FORMATS)
    text = module.render(reports, quiet=quiet, show_statistics=statistics,
                         rules=rule_metadata(run.registry.rules), version=__version__)
    if text:
        click.echo(text.rstrip("\n"))
    if statistics:
        if output_format != "text":  # the text format counts per rule itself
            from .formats.findings_text import statistics as per_rule

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
    status = _exit_status(reports, run.config.fail_on, bool(run.registry.errors))
    sys.exit(0 if exit_zero and status == 1 else status)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "-f", "output_format", default="text", show_default=True,
              type=click.Choice(["text", "json", "markdown"]))
@_with(common_options)
@_guarded
def report(paths, output_format, config_file, select, ignore, extend_select, no_cache, cache_dir,
           max_params, max_layer_params, jobs):
    """Print each model's layers, parameter counts, sharing figures and findings.

    Exits 1 only when a file could not be loaded: a report informs, `check` gates.
    """
    from . import formats

    run = _analyze(paths, config_file=config_file, select=select, ignore=ignore,
                   extend_select=extend_select, no_cache=no_cache, cache_dir=cache_dir,
                   max_params=max_params, max_layer_params=max_layer_params, jobs=jobs)
    module = formats.get(output_format, formats.REPORT_FORMATS)
    click.echo(module.render(run.reports, rules=rule_metadata(run.registry.rules),
                             version=__version__).rstrip("\n"))
    failed = any(r.failed for r in run.reports)
    sys.exit(2 if run.registry.errors else 1 if failed else 0)


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
