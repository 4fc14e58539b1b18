"""Rule selection and validation: which rule codes a configuration turns
on (``enabled``), each rule's effective options (``options_for``), and the
check of codes and options against the installed rules (``validate``).

Apart from loading (config.py) because it needs the rules, which loading
does not: a file's table is checked for shape when read, its codes and
options only once the rules are known.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from .config_errors import ConfigError, _string_list, _type_name, did_you_mean
from .rule import SEVERITIES

if TYPE_CHECKING:
    from .config import Config
    from .rule import Rule

ALL = "ALL"
SELECTOR_RE = re.compile(r"^[A-Z]+[0-9]*$")


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
    An option whose type is a parsing function (``ByteSize``: ``24GiB``)
    is parsed by it; its ValueError is the message.
    """
    if not isinstance(opt_type, type) and callable(opt_type):
        try:
            return opt_type(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
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
            elif opt_type is not None and not isinstance(opt_type, type) and callable(opt_type):
                value = opt_type(value)  # validate() has already refused a bad value
            options[name] = value
    return options
