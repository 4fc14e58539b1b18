"""Loaders keyed by file type.

A loader is a function ``load(path: str) -> Model`` that raises only
``LoadError``. They are named here as import strings and imported on first
use, so linting YAML never imports onnx.
"""

from __future__ import annotations

import importlib
import os
from typing import Callable

from ..ir import Model

LOADERS: dict[str, str] = {
    ".yaml": "paramlint.loaders.yaml_loader:load",
    ".yml": "paramlint.loaders.yaml_loader:load",
    ".onnx": "paramlint.loaders.onnx_loader:load",
}


def suffixes() -> tuple[str, ...]:
    return tuple(LOADERS)


def loader_for(path: str) -> Callable[[str], Model] | None:
    """The loader for a path by its extension, or None if none reads it."""
    target = LOADERS.get(os.path.splitext(path)[1].lower())
    if target is None:
        return None
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)
