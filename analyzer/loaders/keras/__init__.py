"""Keras model configs: ``model.to_json()`` files and ``.keras`` archives (config.json only).

The package imports nothing itself, so asking ``claim.claims`` about a file
costs nothing; ``load`` imports the loader on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .claim import claims, claims_json, claims_keras

if TYPE_CHECKING:
    from paramlint.ir.model import Model


def load(path: str) -> "Model":
    """Load a Keras model config (see loader.load); raises only ``LoadError``."""
    from .loader import load as _load

    return _load(path)


__all__ = ["load", "claims", "claims_json", "claims_keras"]
