"""The cyclic garbage collector paused while a file's many small,
long-lived objects are made (the loader's few per node and tensor, the
passes', rules' and report's few per layer), then frozen.

With the collector on, it scans the growing heap again and again for
cycles that are not there: about a quarter of a 50,000-node ONNX load and
a tenth of its rules and report went to collections that freed nothing.
Re-enabled as it was, the first collection would scan every object made
while paused (another tenth), so what was made is frozen first.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

__all__ = ["cyclic_gc_paused"]


@contextmanager
def cyclic_gc_paused(keep_frozen: bool) -> Iterator[None]:
    """Pause the cyclic GC; on the way out, restore it as it was.

    ``keep_frozen``: what was made stays frozen, out of every collection
    (the ONNX loader: its objects live until the file is analysed; the
    engine unfreezes them then). Otherwise everything joins the oldest
    generation without a scan (freeze, then unfreeze), so a process that
    analyses many files still collects the earlier ones in its next full
    collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not keep_frozen:
            gc.freeze()
            gc.unfreeze()
        elif enabled:
            gc.freeze()
        if enabled:
            gc.enable()
