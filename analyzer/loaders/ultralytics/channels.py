"""The output channels ``parse_model`` records for a row, whatever its module.

Ultralytics builds each module with ``c1 = ch[f]``, the channel count it
recorded for the row it reads, not the channels that row's tensor really
has. For a module paramlint does not model, that record is all that the
next rows' parameters depend on, so knowing it keeps their counts exact
(docs/ultralytics.md, "Modules paramlint does not model"). This is
``parse_model``'s bookkeeping (ultralytics 8.4.0, ``nn/tasks.py``), not a
model of the module: its parameters, its spatial output and its MACs stay
unknown.
"""

from __future__ import annotations

import math
from typing import Any, Callable

#: ``parse_model``'s ``base_modules``: c2 is args[0], scaled by the width
#: (unless it is ``nc``).
SCALED = frozenset({
    "Classify", "Conv", "ConvTranspose", "GhostConv", "Bottleneck", "GhostBottleneck", "SPP", "SPPF",
    "C2fPSA", "C2PSA", "DWConv", "Focus", "BottleneckCSP", "C1", "C2", "C2f", "C3k2", "RepNCSPELAN4",
    "ELAN1", "ADown", "AConv", "SPPELAN", "C2fAttn", "C3", "C3TR", "C3Ghost", "ConvTranspose2d",
    "DWConvTranspose2d", "C3x", "RepC3", "PSA", "SCDown", "C2fCIB", "A2C2f",
})
#: Modules after which ``parse_model`` leaves ``c2`` as the previous row's.
PREVIOUS = frozenset({
    "AIFI", "BatchNorm2d", "Detect", "WorldDetect", "YOLOEDetect", "Segment", "Segment26",
    "YOLOESegment", "YOLOESegment26", "Pose", "Pose26", "OBB", "OBB26", "v10Detect",
    "ImagePoolingAttn", "RTDETRDecoder",
})
#: Modules whose c2 is args[0], unscaled.
FIRST_ARG = frozenset({"CBLinear", "TorchVision", "Index"})


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return value if isinstance(value, int) else None


def recorded(name: str, f: Any, args: list, ch: list[int | None], nc: int,
             scaled: Callable[[Any], int]) -> int | None:
    """The ``c2`` parse_model appends to ``ch`` for this row; None when it cannot tell.

    ``ch``: the channels recorded for the earlier rows (``ch[-1]`` is the
    previous row's; the image's channels before row 0). ``scaled``: the
    width scaling of base modules (``make_divisible(min(c2, max_channels) *
    width, 8)``).
    """
    first = args[0] if args else None
    if name in SCALED:
        if isinstance(first, bool) or not isinstance(first, (int, float)) or first <= 0 \
                or not math.isfinite(first):
            return None
        return first if first == nc else scaled(first)
    if name in ("HGStem", "HGBlock"):
        return _count(args[1]) if len(args) > 1 else None
    if name == "ResNetLayer":
        if len(args) < 4 or _count(args[1]) is None:
            return None
        return args[1] if args[3] else args[1] * 4
    if name in FIRST_ARG:
        return _count(first)
    if name == "CBFuse":
        return ch[f[-1]] if isinstance(f, list) and f and isinstance(f[-1], int) else None
    if name in PREVIOUS:
        return ch[-1] if ch else None
    if isinstance(f, int) and not isinstance(f, bool) and -len(ch) <= f < len(ch):
        return ch[f]
    return None
