"""Rule discovery through the ``paramlint.rules`` entry-point group.

Built-in rules come in the same way as a third party's, so the core never
names a rule. A broken plugin is reported and skipped; the others run.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass

from .rule import Rule

GROUP = "paramlint.rules"


@dataclass
class PluginError:
    plugin: str
    distribution: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} ({self.distribution}): {self.message}"


@dataclass
class Registry:
    rules: list[Rule]
    errors: list[PluginError]
    #: "name==version" of every distribution that supplied rules, for the cache key.
    sources: list[str]

    def by_code(self) -> dict[str, Rule]:
        return {rule.code: rule for rule in self.rules}


@dataclass(frozen=True)
class EntryPoint:
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
