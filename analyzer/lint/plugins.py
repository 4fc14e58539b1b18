"""Rule discovery through the ``paramlint.rules`` entry-point group.

Built-in rules come in the same way as a third party's, so the core never
names a rule. A broken plugin is reported and skipped; the others run.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass

from .rule import Option, Rule

GROUP = "paramlint.rules"


@dataclass
class PluginError:
    """A plugin that could not be loaded, and why."""

    plugin: str
    distribution: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} ({self.distribution}): {self.message}"


@dataclass
class Registry:
    """The rules found, the plugins that failed, and where the rules came from."""

    rules: list[Rule]
    errors: list[PluginError]
    #: "name==version" of every distribution that supplied rules, for the cache key.
    sources: list[str]

    def by_code(self) -> dict[str, Rule]:
        return {rule.code: rule for rule in self.rules}


@dataclass(frozen=True)
class EntryPoint:
    """One ``paramlint.rules`` entry point, as read from a distribution's metadata."""

    name: str
    value: str
    dist: str
    version: str

    def load(self):
        module, _, attr = self.value.partition(":")
        obj = importlib.import_module(module.strip())
        for part in filter(None, attr.strip().split(".")):
            obj = getattr(obj, part)
        return obj


def _split_dist(dirname: str) -> tuple[str, str]:
    stem = dirname.rsplit(".", 1)[0]
    name, _, version = stem.partition("-")
    return name, version.split("-")[0] or "?"


def entry_points(group: str = GROUP) -> list[EntryPoint]:
    """The group's entry points, read straight from the installed metadata.

    importlib.metadata would do, but importing it (with email.*) costs a
    pre-commit hook about 20 ms on every commit; this reads only the
    ``entry_points.txt`` files, first distribution on sys.path winning, as
    importlib.metadata does.
    """
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for dirname in sorted(names):
            if not dirname.endswith((".dist-info", ".egg-info")):
                continue
            dist, version = _split_dist(dirname)
            key = dist.lower().replace("-", "_").replace(".", "_")
            if key in seen:
                continue
            seen.add(key)
            try:
                with open(os.path.join(entry or ".", dirname, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            if group not in text:  # most distributions: no need to parse
                continue
            found.extend(EntryPoint(n, v, dist, version) for n, v in _section(text, group))
    return found


def _section(text: str, group: str):
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
        elif current == group and "=" in line:
            name, _, value = line.partition("=")
            yield name.strip(), value.strip()


_registry: Registry | None = None
_registry_path: tuple[str, ...] = ()


def discover(refresh: bool = False) -> Registry:
    """Load every registered rule once per process (again if sys.path changed)."""
    global _registry, _registry_path
    if _registry is not None and not refresh and _registry_path == tuple(sys.path):
        return _registry
    _registry_path = tuple(sys.path)
    rules: list[Rule] = []
    errors: list[PluginError] = []
    sources: set[str] = set()
    seen: dict[str, str] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        dist, version = ep.dist, ep.version
        try:
            loaded = ep.load()
        except Exception as exc:  # a plugin's import may fail in any way
            errors.append(PluginError(ep.name, dist, f"cannot be imported: {type(exc).__name__}: {exc}"))
            continue
        items = loaded if isinstance(loaded, (list, tuple)) else [loaded]
        for item in items:
            if not isinstance(item, Rule):
                errors.append(PluginError(ep.name, dist, f"{ep.value} is not a paramlint Rule"))
                continue
            problems = item.problems()
            if problems:
                errors.append(PluginError(ep.name, dist, "; ".join(problems)))
                continue
            if item.code in seen:
                errors.append(PluginError(
                    ep.name, dist, f"rule code {item.code} is already used by {seen[item.code]}"))
                continue
            seen[item.code] = f"{ep.name} ({dist})"
            sources.add(f"{dist}=={version}")
            rules.append(item)
    rules.sort(key=lambda r: r.code)
    _registry = Registry(rules, errors, sorted(sources))
    return _registry


# ------------------------------------------------------------ registry memo
#
# A run whose files are all cache hits needs the rules' metadata (codes,
# names, options for validation, the cache key and SARIF) but none of their
# code. The metadata is remembered in the cache folder (cache.Cache.registry)
# under ``registry_identity()``, and the code it came from is checked by
# size+mtime when it is read back (cli._registry).

_OPTION_TYPES = {t.__name__: t for t in (int, float, str, bool, list, dict)}


def _not_imported(model, ctx):  # pragma: no cover - a programming error if reached
    raise RuntimeError("this rule was described from the cache; discover() imports it")


def registry_identity(eps: list[EntryPoint] | None = None) -> tuple[str, list[str]]:
    """(a hash of what the installed rules are, their top-level packages).

    The entry points (name, target, distribution, version, in sys.path
    order), paramlint's version and the Python version, read from metadata
    without importing any plugin.
    """
    from paramlint import __version__
    from paramlint.support.digest import sha256_factory

    eps = entry_points() if eps is None else eps
    text = repr((__version__, sys.version, [(e.name, e.value, e.dist, e.version) for e in eps]))
    packages = {"paramlint", "paramlint.rules"} | {e.value.partition(":")[0].strip().split(".")[0] for e in eps}
    return sha256_factory()(text.encode("utf-8")).hexdigest(), sorted(packages)


def registry_to_dict(registry: Registry) -> dict | None:
    """The metadata of a registry as JSON data, or None if it cannot be
    remembered exactly (plugin errors, an option of another type, a default
    that JSON would change, such as a tuple)."""
    import json

    if registry.errors:
        return None
    rules = []
    for r in registry.rules:
        options = []
        for o in r.options:
            if _OPTION_TYPES.get(getattr(o.type, "__name__", None)) is not o.type:
                return None
            options.append([o.name, o.type.__name__, o.default, o.help])
        rules.append({"code": r.code, "name": r.name, "severity": r.severity,
                      "summary": r.summary, "doc": r.doc, "example": r.example,
                      "options": options, "on_failed": r.on_failed})
    data = {"rules": rules, "sources": list(registry.sources)}
    try:
        if repr(json.loads(json.dumps(data))) != repr(data):
            return None
    except (TypeError, ValueError):
        return None
    return data


def registry_from_dict(data: dict) -> Registry | None:
    """A registry of rule descriptions (their ``check`` is not imported)."""
    try:
        rules = [Rule(code=r["code"], name=r["name"], severity=r["severity"],
                      summary=r["summary"], check=_not_imported, doc=r["doc"],
                      options=tuple(Option(n, _OPTION_TYPES[t], d, h) for n, t, d, h in r["options"]),
                      example=r["example"], on_failed=r["on_failed"])
                 for r in data["rules"]]
        sources = [str(s) for s in data["sources"]]
    except Exception:  # a damaged memo: discover instead
        return None
    return Registry(rules, [], sources)
