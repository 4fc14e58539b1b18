"""Project configuration: discovery and loading.

Configuration lives in ``[tool.paramlint]`` of a ``pyproject.toml`` or at
the top level of a ``paramlint.toml``, found by walking up from the current
folder (``--config FILE`` overrides). Keys are kebab-case, as in ruff.

Loading checks the shape of the table (unknown keys, value types); checking
rule codes and rule options needs the rules, so it is ``validate``'s job.
Every problem is a ``ConfigError`` whose message names the key or value and
offers a did-you-mean when one is close.

This module loads (discovery, reading, the table's shape); rule selection
and validation are in config_rules, path globs in config_paths, the error
and its message helpers in config_errors.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config_errors import ConfigError, _string_list, _type_name, did_you_mean
from .config_rules import enabled, options_for
from .rule import SEVERITIES

if TYPE_CHECKING:
    from .rule import Rule

PYPROJECT = "pyproject.toml"
PARAMLINT_TOML = "paramlint.toml"


def _tomllib():
    """The TOML parser, imported only when there is a file to read (2 ms)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


@dataclass
class Config:
    """The effective configuration of a run.

    ``select`` is None when not configured: every rule is selected.
    ``rule_options`` is keyed as written (a rule's name or its code);
    ``options_for`` resolves both.
    """

    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    fail_on: str = "warning"
    exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    per_layer_ignores: dict[str, list[str]] = field(default_factory=dict)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    #: ``paramlint diff`` growth budgets: a count or "P%" (lint/growth.py).
    max_increase: str | None = None
    max_macs_increase: str | None = None
    #: ``[tool.paramlint.memory]`` as MemorySettings fields (lint/memory_config.py)
    memory: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None
    root: Path | None = None

    @property
    def base(self) -> Path:
        """The folder that relative globs and paths are read against."""
        if self.root is not None:
            return self.root
        if self.source is not None:
            return self.source.resolve().parent
        return Path.cwd()

    def enabled(self, code: str) -> bool:
        return enabled(code, self)

    def options_for(self, rule: "Rule") -> dict[str, Any]:
        return options_for(rule, self)


# ---------------------------------------------------------------- discovery

def _has_tool_table(path: Path) -> bool:
    tomllib = _tomllib()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # A broken pyproject.toml with our table in it must not be skipped
        # silently: look for the header textually and let loading report it.
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        return re.search(r"^\s*\[+\s*tool\s*\.\s*paramlint\b", text, re.M) is not None
    tool = data.get("tool")
    return isinstance(tool, dict) and "paramlint" in tool


def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above ``start``.

    In one folder ``pyproject.toml`` (with the table) wins over
    ``paramlint.toml``; a ``pyproject.toml`` without a ``[tool.paramlint]``
    table does not count and the walk goes on upwards.
    """
    start = Path(start).resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        own = folder / PARAMLINT_TOML
        if own.is_file():
            return own
    return None


def load_config(explicit: Path | None, cwd: Path) -> Config:
    """Load ``explicit`` if given, else the discovered file, else defaults."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_absolute():
            path = Path(cwd) / path
        if not path.is_file():
            raise ConfigError(f"{explicit}: configuration file not found")
    else:
        path = find_config(Path(cwd))
        if path is None:
            return Config(root=Path(cwd).resolve())
    tomllib = _tomllib()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        table = tool.get("paramlint") if isinstance(tool, dict) else None
        if table is None:
            if explicit is not None:
                raise ConfigError(f"{path}: no [tool.paramlint] table")
            table = {}
        prefix = "tool.paramlint."
    else:
        table = data
        prefix = ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {prefix.rstrip('.') or 'top level'} must be a table")
    return from_table(table, source=path.resolve(), prefix=prefix)


# -------------------------------------------------------------- table shape

#: TOML key -> (Config attribute, kind)
KEYS: dict[str, tuple[str, str]] = {
    "select": ("select", "codes"),
    "ignore": ("ignore", "codes"),
    "extend-select": ("extend_select", "codes"),
    "fail-on": ("fail_on", "severity"),
    "exclude": ("exclude", "strings"),
    "per-file-ignores": ("per_file_ignores", "glob-codes"),
    "per-layer-ignores": ("per_layer_ignores", "glob-codes"),
    "rules": ("rule_options", "rules"),
    "paths": ("paths", "strings"),
    "max-increase": ("max_increase", "budget"),
    "max-macs-increase": ("max_macs_increase", "budget"),
    "memory": ("memory", "memory"),
}


def from_table(table: dict[str, Any], source: Path | None = None, prefix: str = "") -> Config:
    """Build a Config from a parsed TOML table, checking keys and types."""
    where0 = f"{source}: " if source is not None else ""
    config = Config(source=source, root=source.parent if source is not None else None)
    for key, value in table.items():
        where = f"{where0}{prefix}{key}"
        if key not in KEYS:
            raise ConfigError(f"{where0}unknown key {prefix}{key!s}"
                              f"{did_you_mean(key, KEYS)}")
        attr, kind = KEYS[key]
        if kind in ("codes", "strings"):
            setattr(config, attr, _string_list(value, where))
        elif kind == "severity":
            if not isinstance(value, str):
                raise ConfigError(f"{where}: expected a string, got {_type_name(value)}")
            if value not in SEVERITIES:
                raise ConfigError(f"{where}: unknown severity {value!r}, expected one of "
                                  f"{', '.join(SEVERITIES)}{did_you_mean(value, SEVERITIES)}")
            config.fail_on = value
        elif kind == "glob-codes":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of glob = [codes], "
                                  f"got {_type_name(value)}")
            setattr(config, attr, {glob: _string_list(codes, f"{where}.{glob!r}")
                                   for glob, codes in value.items()})
        elif kind == "budget":
            from .growth import Budget

            try:
                Budget.parse(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            setattr(config, attr, str(value))
        elif kind == "memory":
            from .memory_config import memory_table

            config.memory = memory_table(value, where)
        elif kind == "rules":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of rule tables, "
                                  f"got {_type_name(value)}")
            for rule_key, options in value.items():
                if not isinstance(options, dict):
                    raise ConfigError(f"{where}.{rule_key}: expected a table of options, "
                                      f"got {_type_name(options)}")
            config.rule_options = {k: dict(v) for k, v in value.items()}
    return config
