"""How many layers a list of layer specs expands to, before it is built:
the layer budget (MAX_LAYERS) is checked on it, so a repeat bomb is
refused before anything is allocated."""

from __future__ import annotations

from .fields import is_int


def count_layers(items: list) -> int:
    """Layers a list expands to (blocks times their repeats), leniently."""
    total = 0
    for item in items:
        if isinstance(item, dict) and item.get("type") == "block" and isinstance(item.get("layers"), list):
            repeat = item.get("repeat", 1)
            total += count_layers(item["layers"]) * (repeat if is_int(repeat) and repeat > 0 else 1)
        else:
            total += 1
    return total
