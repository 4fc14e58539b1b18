"""Module paths from checkpoint tensor names, shared by the safetensors and GGUF loaders.

A checkpoint has no graph, only names (``model.layers.0.self_attn.q_proj.weight``,
GGUF's ``blk.0.attn_q.weight``): the module is the name less its last part,
and modules are listed in the order a person reads them.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"(\d+)")


def natural(name: str) -> tuple:
    """Sort key that puts ``layers.2`` before ``layers.10``."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _DIGITS.split(name))


def module_of(name: str) -> tuple[str, str]:
    """``(module, role)`` of a tensor name; a top-level tensor is its own module."""
    module, dot, role = name.rpartition(".")
    return (module, role) if dot and module else (name, name)
