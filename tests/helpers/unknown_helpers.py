"""A small Ultralytics model with one module paramlint does not model, and its hand arithmetic.

Shared by the tests of partial totals (docs/unknowns.md): the loader's, the
budgets', the report formats'. Row 1 is a stride-2 ``GhostConv``: parse_model
records its 32 output channels, its size is unknown. Row 2 reads it (its
parameters known from those 32 channels, its MACs unknown); row 3 reads
row 0 (everything known). Input 3x640x640.
"""

from __future__ import annotations

from pathlib import Path

PARTIAL_YOLO = """\
nc: 4
backbone:
  - [-1, 1, Conv, [16, 3, 2]]
  - [-1, 1, GhostConv, [32, 3, 2]]
  - [-1, 1, Conv, [32, 3, 1]]
  - [0, 1, Conv, [8, 1, 1]]
head:
  - [-1, 1, nn.Identity, []]
"""
#: The same model with a Conv where the GhostConv was: every figure known.
COMPLETE_YOLO = PARTIAL_YOLO.replace("GhostConv", "Conv")

#: conv 16x3x3x3 + BN 4x16; conv 32x32x3x3 + BN 4x32; conv 8x16x1x1 + BN 4x8
KNOWN_PARAMS = (16 * 3 * 9 + 4 * 16) + (32 * 32 * 9 + 4 * 32) + (8 * 16 + 4 * 8)
KNOWN_TRAINABLE = (16 * 3 * 9 + 2 * 16) + (32 * 32 * 9 + 2 * 32) + (8 * 16 + 2 * 8)
#: row 0 at 320x320 (16 filters of 3x3x3), row 3 at 320x320 (8 filters of 1x1x16)
KNOWN_MACS = 320 * 320 * 16 * 27 + 320 * 320 * 8 * 16
#: the layers that leave params out, and MACs out
UNKNOWN_PARAMS = ["model.1"]
UNKNOWN_MACS = ["model.1", "model.2.conv"]


def write_yolo(tmp_path: Path, text: str = PARTIAL_YOLO, name: str = "ghostly.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)
