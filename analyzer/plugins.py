"""Rule discovery through the ``paramlint.rules`` entry-point group.

Built-in rules come in the same way as a third party's, so the core never
names a rule. A broken plugin is reported and skipped; the others run.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

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


_registry: Registry | None = None


def discover(refresh: bool = False) -> Registry:
    """Load every registered rule once per process."""
    global _registry
    if _registry is not None and not refresh:
        return _registry
    rules: list[Rule] = []
    errors: list[PluginError] = []
    sources: set[str] = set()
    seen: dict[str, str] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else "?"
        version = ep.dist.version if ep.dist is not None else "?"
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
