"""Small helpers the built-in rules share: number formatting, the map a dense layer reads."""

from __future__ import annotations

from math import prod

from paramlint.analysis.axes import contracted
from paramlint.analysis.counting import count
from paramlint.ir.model import Layer, Model


def n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def dims(shape) -> str:
    return "x".join("?" if d is None else str(d) for d in shape)


def spatial_map(model: Model, layer: Layer):
    """(channels, spatial sizes) a dense layer contracts, or None.

    Only when its input features combine a map's channels with positions
    (axis provenance, paramlint.analysis.axes): a per-token projection contracts
    channels alone, MLP-Mixer's token mixing positions alone; neither is
    a map.
    """
    axis = contracted(model, layer)
    if axis is None:
        return None
    channels, spatial = axis.channels, axis.positions
    if channels is None or not spatial or not all(isinstance(d, int) for d in spatial):
        return None
    return channels, spatial


def spatial_size(spatial) -> int:
    return prod(spatial)


def borrowed(model: Model) -> dict[str, int]:
    """Params each layer reads from a tie it does not own.

    A tied weight belongs to the first layer that reads it; the others
    borrow it, so a rule about the size of a layer reports the owner once.
    """
    out: dict[str, int] = {}
    for tie in count(model).ties:
        for reader in tie.layers[1:]:
            out[reader] = out.get(reader, 0) + tie.elements
    return out
