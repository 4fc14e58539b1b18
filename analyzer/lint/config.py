"""Project configuration: discovery, loading and validation.

Configuration lives in ``[tool.paramlint]`` of a ``pyproject.toml`` or at
the top level of a ``paramlint.toml``, found by walking up from the current
folder (``--config FILE`` overrides). Keys are kebab-case, as in ruff.

Loading checks the shape of the table (unknown keys, value types); checking
rule codes and rule options needs the rules, so it is ``validate``'s job.
Every problem is a ``ConfigError`` whose message names the key or value and
offers a did-you-mean when one is close.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Iterable

from .rule import SEVERITIES

if TYPE_CHECKING:
    from .rule import Rule

PYPROJECT = "pyproject.toml"
PARAMLINT_TOML = "paramlint.toml"
ALL = "ALL"
SELECTOR_RE = re.compile(r"^[A-Z]+[0-9]*$")


def _tomllib():
    """The TOML parser, imported only when there is a file to read (2 ms)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


class ConfigError(Exception):
    """The configuration is unusable; the message says where and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
        return re.search(r"^\s*\[\s*tool\s*\.\s*paramlint\s*[\].]", text, re.M) is not None
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
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close, else ``""``."""
    import difflib  # only when there is a mistake to explain

    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def _string_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        raise ConfigError(f"{where}: expected an array of strings, got a string "
                          f"(write [{value!r}])".replace("'", '"'))
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected an array of strings, got {_type_name(value)}")
    for item in value:
        if not isinstance(item, str):
            raise ConfigError(f"{where}: expected an array of strings, "
                              f"found {_type_name(item)} {item!r}")
    return list(value)


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


# --------------------------------------------------------------- validation

def _check_selectors(codes: list[str], all_codes: list[str], where: str) -> None:
    for code in codes:
        if code == ALL:
            continue
        if SELECTOR_RE.match(code) and any(c.startswith(code) for c in all_codes):
            continue
        raise ConfigError(f"{where}: unknown rule code {code!r}"
                          f"{did_you_mean(code, [ALL, *all_codes])}")


def _option_key(name: str) -> str:
    return name.replace("_", "-")


def _coerce_option(value: Any, opt_type: type, where: str) -> Any:
    """The value as the option's type, or a ConfigError naming both.

    Numbers must be finite and not negative: every numeric option is a
    size, a count or a share, and ``max-share = nan`` (valid TOML) would
    silently turn its rule off, as every comparison with NaN is false.
    """
    if opt_type in (int, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
        if value < 0:
            raise ConfigError(f"{where}: must not be negative, got {value!r}")
    if opt_type is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if opt_type is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected an integer, got a boolean")
    if isinstance(opt_type, type) and not isinstance(value, opt_type):
        want = {int: "an integer", float: "a number", str: "a string", bool: "a boolean",
                list: "an array", dict: "a table"}.get(opt_type, opt_type.__name__)
        raise ConfigError(f"{where}: expected {want}, got {_type_name(value)} {value!r}")
    return value


def validate(config: Config, rules: list["Rule"]) -> None:
    """Check codes and rule options against the installed rules."""
    where0 = f"{config.source}: " if config.source is not None else ""
    codes = sorted(r.code for r in rules)
    for key, attr in (("select", "select"), ("ignore", "ignore"),
                      ("extend-select", "extend_select")):
        value = getattr(config, attr)
        if value is not None:
            _check_selectors(_string_list(value, f"{where0}{key}"), codes, f"{where0}{key}")
    for key, attr in (("per-file-ignores", "per_file_ignores"),
                      ("per-layer-ignores", "per_layer_ignores")):
        for glob, sel in getattr(config, attr).items():
            w = f"{where0}{key}.{glob!r}"
            _check_selectors(_string_list(sel, w), codes, w)
    if config.fail_on not in SEVERITIES:
        raise ConfigError(f"{where0}fail-on: unknown severity {config.fail_on!r}, expected one "
                          f"of {', '.join(SEVERITIES)}{did_you_mean(config.fail_on, SEVERITIES)}")
    by_key = {r.name: r for r in rules} | {r.code: r for r in rules}
    seen: dict[str, str] = {}
    for rule_key, options in config.rule_options.items():
        where = f"{where0}rules.{rule_key}"
        rule = by_key.get(rule_key)
        if rule is None:
            raise ConfigError(f"{where}: unknown rule {rule_key!r}"
                              f"{did_you_mean(rule_key, [r.name for r in rules] + codes)}")
        if rule.code in seen:
            raise ConfigError(f"{where}: rule {rule.name} ({rule.code}) is configured twice, "
                              f"also as rules.{seen[rule.code]}")
        seen[rule.code] = rule_key
        declared = {_option_key(o.name): o for o in rule.options}
        for opt_key, value in options.items():
            opt = declared.get(_option_key(opt_key))
            if opt is None:
                known = ", ".join(sorted(declared)) or "none"
                raise ConfigError(f"{where}: unknown option {opt_key!r} for rule {rule.name}"
                                  f"{did_you_mean(opt_key, declared)} (its options: {known})")
            _coerce_option(value, opt.type, f"{where}.{opt_key}")


# ------------------------------------------------------------------ queries

def _best(code: str, selectors: Iterable[str]) -> int:
    """Length of the most specific selector matching code; -1 if none."""
    best = -1
    for sel in selectors:
        if sel == ALL:
            best = max(best, 0)
        elif code.startswith(sel):
            best = max(best, len(sel))
    return best


def enabled(code: str, config: Config) -> bool:
    """Is the rule ``code`` on? The most specific selector wins.

    ``select`` (default ``ALL``) and ``extend-select`` turn rules on,
    ``ignore`` turns them off; when both match, the longer (more specific)
    selector decides and a tie goes to ``ignore`` — so ``select = ["PRM3"]``
    with ``ignore = ["PRM"]`` keeps PRM3xx, and ``ignore = ["PRM301"]``
    beats ``select = ["PRM301"]``.
    """
    chosen = [ALL] if config.select is None else list(config.select)
    on = _best(code, [*chosen, *config.extend_select])
    off = _best(code, config.ignore)
    return on >= 0 and on > off


def options_for(rule: "Rule", config: Config) -> dict[str, Any]:
    """The rule's defaults, overridden by its table (keyed by name or code)."""
    options = rule.defaults()
    names = {_option_key(name): name for name in options}
    for key in (rule.name, rule.code):
        table = config.rule_options.get(key)
        if not table:
            continue
        types = {o.name: o.type for o in rule.options}
        for opt_key, value in table.items():
            name = names.get(_option_key(opt_key), opt_key)
            opt_type = types.get(name)
            if opt_type is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            options[name] = value
    return options


# -------------------------------------------------------------- path globs

def relative_posix(path: str | os.PathLike[str], base: Path) -> str:
    """``path`` relative to ``base`` with forward slashes, if under it."""
    absolute = Path(os.path.abspath(path))
    try:
        rel = absolute.relative_to(Path(os.path.abspath(base)))
    except ValueError:
        return PurePosixPath(Path(path).as_posix()).as_posix()
    return rel.as_posix()


def glob_matches(pattern: str, path: str | os.PathLike[str], base: Path,
                 components: bool = False) -> bool:
    """flake8/ruff-style path glob: relative path, or basename for bare names.

    ``pattern`` is matched (fnmatch, ``*`` crossing folders) against the
    path relative to ``base``, and against it as a folder prefix
    (``"legacy"`` matches ``legacy/a.yaml``); a pattern without a ``/`` also
    matches the file's name alone, so ``"*_legacy.yaml"`` works at any
    depth, and with ``components`` any folder name on the way (for
    ``exclude``: ``".venv"`` anywhere).
    """
    pattern = pattern.replace("\\", "/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    rel = relative_posix(path, base)
    if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.rstrip("/") + "/*"):
        return True
    bare = pattern.rstrip("/")
    if "/" not in bare:
        parts = rel.split("/")
        if not components:
            parts = parts[-1:]
        return any(fnmatch.fnmatchcase(part, bare) for part in parts)
    return False


def excluded(path: str | os.PathLike[str], config: Config) -> bool:
    """Does an ``exclude`` glob match this file or folder (or a parent)?"""
    return any(glob_matches(p, path, config.base, components=True) for p in config.exclude)
