"""``[tool.paramlint.memory]``: the memory figures' settings in the configuration.

The same keys as the command line's options (``context``, ``batch``,
``kv-dtype``, ``activation-dtype``, ``weight-dtype``, ``device-memory``,
``optimizer``, ``precision``); a command-line option wins over its key.
Checked here, so a typo stops the run with exit 2 and a did-you-mean, as
every other configuration mistake does.
"""

from __future__ import annotations

from typing import Any

from paramlint.analysis.kv_cache import DTYPE_BYTES
from paramlint.analysis.memory_doc import WEIGHT_DTYPES
from paramlint.analysis.serving import OPTIMIZER_BYTES, PRECISIONS, parse_bytes
from .config_errors import ConfigError, did_you_mean

CHOICES = {
    "kv-dtype": ("kv_dtype", tuple(DTYPE_BYTES)),
    "activation-dtype": ("activation_dtype", tuple(DTYPE_BYTES)),
    "weight-dtype": ("weight_dtype", tuple(WEIGHT_DTYPES)),
    "optimizer": ("optimizer", tuple(OPTIMIZER_BYTES)),
    "precision": ("precision", PRECISIONS),
}
COUNTS = {"context": "context", "batch": "batch"}
KEYS = [*CHOICES, *COUNTS, "device-memory"]


def memory_table(value: Any, where: str) -> dict[str, Any]:
    """The table as ``MemorySettings`` fields, or a ConfigError naming the key."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table, got {type(value).__name__}")
    out: dict[str, Any] = {}
    for key, item in value.items():
        at = f"{where}.{key}"
        if key in CHOICES:
            attr, choices = CHOICES[key]
            if item not in choices:
                raise ConfigError(f"{at}: expected one of {', '.join(choices)}, got {item!r}"
                                  f"{did_you_mean(str(item), list(choices))}")
            out[attr] = item
        elif key in COUNTS:
            if not isinstance(item, int) or isinstance(item, bool) or item < 1:
                raise ConfigError(f"{at}: expected a positive integer, got {item!r}")
            out[COUNTS[key]] = item
        elif key == "device-memory":
            try:
                out["device_bytes"] = parse_bytes(item)
            except ValueError as exc:
                raise ConfigError(f"{at}: {exc}") from None
        else:
            raise ConfigError(f"{where}: unknown key {key!s}{did_you_mean(key, KEYS)}")
    return out
