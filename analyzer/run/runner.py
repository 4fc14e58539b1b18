"""One run of check or report, between the command line and the output.

Configuration (discovered or ``--config``, then command-line overrides) ->
files (folders walked, ``exclude`` honoured) -> the engine (through the
content-hash cache) -> suppressions (``# noqa``, per-file and per-layer
ignores) -> reports, and the exit status they call for.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
YAML_SUFFIXES = (".yaml", ".yml")


def codes(values: tuple[str, ...]) -> list[str]:
    """``--select A,B --select C`` -> ["A", "B", "C"]."""
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


@dataclass
class Run:
    """What one check or report run produced: reports, and what was suppressed."""

    registry: object
    config: object
    reports: list
    suppressed: Counter = field(default_factory=Counter)


def _collect(paths: list[str], config) -> list[str]:
    from paramlint.lint.config_errors import ConfigError
    from paramlint.lint.config_paths import excluded
    from .files import OutsideProject, collect

    try:
        return collect(paths, lambda path: excluded(path, config), project=str(config.base))
    except OutsideProject as exc:
        raise ConfigError(str(exc)) from None


def _default_paths(config, cwd: Path) -> list[str]:
    if not config.paths:
        return ["."]
    from paramlint.ir.escape import text
    from paramlint.lint.config_errors import ConfigError

    where = f"{text(config.source)}: " if config.source is not None else ""
    out = []
    for p in config.paths:
        # Inside the configuration's folder: a committed configuration
        # naming "/" or "../.." would have CI read the machine.
        parts = Path(p).parts
        if os.path.isabs(p) or ".." in parts:
            raise ConfigError(f"{where}paths: {text(p)!r} is outside the configuration's folder "
                              "(absolute, or with '..'); name folders inside it")
        full = os.path.normpath(os.path.join(config.base, p))
        rel = os.path.relpath(full, cwd)
        out.append(full if rel.startswith("..") else rel)
    return out


class _EngineCache:
    """The engine's get(path)/put(path, report) over the content-hash Cache."""

    def __init__(self, cache, fingerprint: str, documents: bool = True) -> None:
        self.cache = cache
        self.fingerprint = fingerprint
        self.documents = documents
        self.seen: dict[str, tuple[str, int, int]] = {}

    def get(self, path: str):
        try:
            st = os.stat(path)
            digest = self.cache.digest(path, st)
        except OSError:
            return None  # the loader reports it; nothing to cache
        self.seen[path] = (digest, st.st_mtime_ns, st.st_size)
        return self.cache.get(path, digest, self.fingerprint, documents=self.documents)

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


#: Words of a load error that may not happen again on a healthy, idle
#: machine: such a result is not a property of the file, so not cached.
TRANSIENT = ("internal error", "out of memory", "not enough memory", "timed out",
             "was killed", "worker process died")


def _transient(report) -> bool:
    """Results of a crash, exhausted memory or a missed deadline are not worth remembering."""
    error = str(report.document.get("error") or "")
    return (any(f.extra.get("internal_error") for f in report.findings)
            or any(word in error for word in TRANSIENT))


def _registry(cache):
    """(the rules, their code's top-level packages, those packages' code fingerprint).

    Without a cache: discover (import) the rules. With one: their metadata
    from the cache folder when the plugins and their code are unchanged, so
    that a run whose files are all cache hits never imports a rule; the
    engine discovers them itself when a file has to be analysed.
    """
    from paramlint.lint.plugins import discover

    if cache is None:
        return discover(), None, None
    from .fingerprint import code_fingerprint
    from paramlint.lint.plugins import registry_from_dict, registry_identity, registry_to_dict

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
    modules = sorted({"paramlint", "paramlint.rules"} | {r.check.__module__.split(".")[0] for r in registry.rules})
    watched = sorted(set(packages) | set(modules))
    data = registry_to_dict(registry)
    if data is not None:
        cache.remember_registry(identity, {**data, "modules": modules,
                                           "code": code_fingerprint(watched)})
    return registry, modules, code_fingerprint(modules)


def analyze_paths(paths, *, config_file, select, ignore, extend_select, no_cache, cache_dir,
                  max_params, max_layer_params, max_macs=None, jobs=None, fail_on=None,
                  labels: dict[str, str] | None = None, documents: bool = True,
                  memory: dict | None = None) -> Run:
    """Configuration, files, the engine through the cache, then suppressions.

    ``labels`` renames files in the reports (a temporary copy of a file
    read from git is reported, and matched by ``per-file-ignores``, under
    its path in the repository). ``memory``: the memory figures' settings
    (``MemorySettings`` fields; the configuration's, then these). ``documents=False``: the caller prints
    findings only, so a cached report's layers need not be read (its
    document is then just path, format, name and error)."""
    from paramlint.lint.config import load_config
    from paramlint.lint.config_rules import enabled, options_for, validate
    from paramlint.lint.engine import Settings
    from .pool import analyze
    from paramlint.lint.suppress import apply_ignores, apply_noqa, read_lines

    cwd = Path.cwd()
    config = load_config(Path(config_file) if config_file else None, cwd)
    if select:
        config.select = codes(select)
    config.ignore = [*config.ignore, *codes(ignore)]
    config.extend_select = [*config.extend_select, *codes(extend_select)]
    if fail_on:
        config.fail_on = fail_on
    store = None
    if not no_cache:
        from .cache import Cache, default_cache_dir

        store = Cache(Path(cache_dir) if cache_dir else default_cache_dir(config.source, cwd))
    registry, modules, code = _registry(store)
    for error in registry.errors:
        print(f"paramlint: {error}", file=sys.stderr)
    validate(config, registry.rules)

    selected = frozenset(r.code for r in registry.rules if enabled(r.code, config))
    options = {r.code: options_for(r, config) for r in registry.rules}
    budget = {k: v for k, v in (("max-params", max_params),
                                ("max-layer-params", max_layer_params)) if v is not None}
    if budget:
        options["PRM101"] = {**options.get("PRM101", {}), **budget}
    if max_macs is not None:
        options["PRM102"] = {**options.get("PRM102", {}), "max-macs": max_macs}
    settings = Settings(enabled=selected, options=options, memory={**config.memory, **(memory or {})})

    files = _collect(list(paths) or _default_paths(config, cwd), config)
    cache = None
    if store is not None:
        from .fingerprint import config_fingerprint

        fingerprint = config_fingerprint(sorted(selected), options, {"sources": registry.sources},
                                         code=code, memory=settings.memory)
        cache = _EngineCache(store, fingerprint, documents)
    reports = analyze(files, settings, cache=cache, jobs=jobs)
    if store is not None:
        store.flush()

    suppressed: Counter = Counter()
    out = []
    for report in reports:
        real = report.path
        if labels and real in labels:
            report = relabel(report, labels[real])
        if real.lower().endswith(YAML_SUFFIXES) and any(
                f.line is not None for f in report.findings):
            report = apply_noqa(report, read_lines(real), suppressed)
        out.append(apply_ignores(report, config, suppressed))
    return Run(registry, config, out, suppressed)


def relabel(report, path: str):
    """The same report under another path (document and findings too)."""
    from dataclasses import replace

    from paramlint.lint.results import FileReport

    return FileReport(path=path, document={**report.document, "path": path},
                      findings=[replace(f, path=path) for f in report.findings])


def exit_status(reports, fail_on: str, plugin_errors: bool) -> int:
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
