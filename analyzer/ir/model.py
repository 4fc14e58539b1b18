"""The layer IR that every loader produces and every rule reads.

One shape for YAML and ONNX alike, so a rule written once works on both.
Plain data: no behaviour beyond small derived properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any, Union

from .errors import MAX_MESSAGE, LoadError, Location, one_line  # noqa: F401 (re-exported)

#: A dimension: an int when known, a str for a symbolic ONNX dimension
#: (``"batch"``), ``None`` when unknown (printed ``?``).
Dim = Union[int, str, None]
Shape = tuple  # tuple[Dim, ...]


def format_shape(shape) -> str:
    """``[3, 227, 227]``; an unknown dimension is ``?``, an unknown shape ``?``."""
    if shape is None:
        return "?"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


@dataclass
class Weight:
    """One stored weight tensor (an ONNX root, or a YAML layer's kernel...).

    ``uniform`` says whether all its stored values are equal (``None`` when
    the values were not read); counting uses it to tell an exporter's
    merged constant from a real tie.
    """

    name: str
    shape: tuple[int, ...]
    trainable: bool = True
    uniform: bool | None = False
    #: The stored element type ("float32", "float16", "int8", "int4"...),
    #: for weight bytes; None when the source does not say (YAML: float32).
    dtype: str | None = None
    #: The bytes the file stores it in, when the file says so (GGUF's block
    #: quantizations store 4.5 bits per weight, which no per-element type
    #: gives); None: elements times the dtype's bits.
    nbytes: int | None = None

    @property
    def elements(self) -> int:
        return prod(self.shape)


@dataclass
class Layer:
    """One operation of the model, with or without parameters.

    ``inputs``/``outputs`` are tensor names (for YAML, a layer's single
    output tensor is named after the layer). ``weights`` names the
    ``Model.weights`` entries the layer reads, each once. ``attrs`` holds
    the facts counting needs beyond shapes: ``bias`` (bool), ``groups``,
    ``kernel``, ``units``, ``sequence_length``, ``channels_last``...
    """

    name: str
    op: str
    source_op: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    input_shape: Shape | None = None
    output_shape: Shape | None = None
    weights: list[str] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None
    #: The module path the layer belongs to ("layer1.0.conv1"), from the
    #: exporter's scopes, weight names or YAML blocks; None when unknown.
    module: str | None = None

    @property
    def label(self) -> str:
        """The name a person reads in a message: the module path where the
        exporter's node name says nothing (the dynamo exporter's
        ``node_linear_3``), the layer's own name everywhere else."""
        if self.module and self.name.startswith("node_"):
            return self.module
        return self.name


@dataclass
class TensorInfo:
    """A named tensor and its shape."""

    name: str
    shape: Shape | None


#: ``Diagnostic.kind`` of an op, module or layer class paramlint does not
#: model yet (PRM003): a gap of the tool, not of the file.
UNMODELLED = "unmodelled"


@dataclass
class Diagnostic:
    """Something a loader could not determine but worked around.

    ``kind`` is a loader fact, not a rule code: ``"unmodelled"``
    (``UNMODELLED``) for an op, module or layer class paramlint does not
    model, whose parameters, MACs and output size are unknown (PRM003);
    ``"unknown-layer"`` for a layer whose figures the file does not
    determine, ``"unknown-dim"`` for a figure left out for want of a
    dimension (both PRM002).
    """

    kind: str
    message: str
    layer: str | None = None
    location: Location | None = None


@dataclass
class Model:
    """A loaded model, or the record of a failure to load one.

    ``batch_dim`` is True when shapes carry the batch dimension first
    (ONNX) and False when they do not (YAML); rules use it to find the
    channel axis.
    """

    path: str
    format: str
    name: str
    inputs: list[TensorInfo] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    weights: dict[str, Weight] = field(default_factory=dict)
    batch_dim: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: LoadError | None = None
    shapes: dict[str, Shape | None] = field(default_factory=dict)
    #: What the file states about the whole model that no layer holds
    #: (GGUF: the architecture, context length, KV-cache figures), by key.
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def producers(self) -> dict[str, Layer]:
        """Tensor name to the layer that makes it (built once, cached)."""
        cached = self.__dict__.get("_producers")
        if cached is None:
            cached = {out: layer for layer in self.layers for out in layer.outputs}
            self.__dict__["_producers"] = cached
        return cached

    def layer(self, name: str) -> Layer | None:
        index = self.__dict__.get("_by_name")
        if index is None:
            index = {layer.name: layer for layer in self.layers}
            self.__dict__["_by_name"] = index
        return index.get(name)
