"""Keras model configs: ``model.to_json()`` files and ``.keras`` archives (config.json only)."""

from __future__ import annotations

from .loader import load
from .source import claims_json, claims_keras

__all__ = ["load", "claims_json", "claims_keras"]
