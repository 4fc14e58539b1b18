"""The ``paramlint`` command: check, report, rules.

Loaders, formats and onnx are imported only when a run needs them, so a
pre-commit hook on YAML files starts about as fast as ``import yaml, click``.

A run (analyzer/run.py) gives reports; here they meet a baseline, a
format and an exit status: 0 pass, 1 findings at or above the fail level,
2 paramlint could not do its job (bad command line or configuration, a bad
baseline, a broken plugin, an internal error).

This module is the entry point (``paramlint.cli.app:main``): it sets the
garbage collector up, then brings in the group (group.py: exit and
interrupt handling) and registers the commands (commands.py).
"""

from __future__ import annotations

import gc

# Fewer garbage collections: a run allocates many small objects that live
# until it ends (modules at start-up, layers and findings later), and the
# default gen0 threshold (700) collects them again and again. Measured: the
# tiny-YAML check 83.7 -> 75.4 ms; issue 6 reports a 50,000-node ONNX report
# 8.8 -> 6.9 s at the same peak memory. Set before click is imported, so
# start-up gains too; never lowered if the host raised it.
if gc.get_threshold()[0] < 50_000:
    gc.set_threshold(50_000, 20, 100)

from .group import main  # noqa: E402  (after the GC thresholds, as click)
from . import commands  # noqa: E402,F401  (registers the commands on main)

__all__ = ["main"]
