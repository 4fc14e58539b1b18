"""Ultralytics YOLO model YAMLs (``yolov8.yaml``, ``yolo11.yaml``, ``yolo26.yaml`` and variants).

The package imports nothing itself, so asking ``claim.claims`` about a file
costs no YAML parser; ``load`` imports the loader on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paramlint.ir.model import Model


def load(path: str, scale: str | None = None) -> "Model":
    """Load an Ultralytics model YAML (see loader.load); raises only ``LoadError``."""
    from .loader import load as _load

    return _load(path, scale)


__all__ = ["load"]
