"""Small helpers for YAML loader tests: write text to tmp_path, load it."""

from __future__ import annotations

import textwrap
from math import prod
from pathlib import Path

import pytest

from paramlint.ir.model import Layer, LoadError, Model
from paramlint.loaders.yaml.loader import load

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def write(tmp_path: Path, text: str, name: str = "model.yaml") -> str:
    """Write dedented ``text`` to ``tmp_path/name``; return the path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return str(path)


def load_text(tmp_path: Path, text: str, name: str = "model.yaml") -> Model:
    return load(write(tmp_path, text, name))


def one_layer(tmp_path: Path, input_shape: list[int], layer: str) -> Layer:
    """Load a model of a single layer (a flow mapping) on ``input_shape``."""
    model = load_text(tmp_path, f"input: {input_shape}\nlayers:\n  - {layer}\n")
    return model.layers[0]


def refusal(tmp_path: Path, text: str, name: str = "model.yaml") -> LoadError:
    """The ``LoadError`` that loading ``text`` raises."""
    with pytest.raises(LoadError) as info:
        load_text(tmp_path, text, name)
    return info.value


def params(model: Model, layer: Layer) -> int:
    """Elements of the weights a layer reads."""
    return sum(prod(model.weights[w].shape) for w in layer.weights)


def layer_params(tmp_path: Path, input_shape: list[int], layer: str) -> tuple[int, tuple]:
    """(parameters, output shape) of a one-layer model."""
    model = load_text(tmp_path, f"input: {input_shape}\nlayers:\n  - {layer}\n")
    return params(model, model.layers[0]), model.layers[0].output_shape


def totals(model: Model) -> tuple[int, int]:
    """(trainable, non-trainable) elements over the model's unique weights."""
    trainable = sum(w.elements for w in model.weights.values() if w.trainable)
    frozen = sum(w.elements for w in model.weights.values() if not w.trainable)
    return trainable, frozen
