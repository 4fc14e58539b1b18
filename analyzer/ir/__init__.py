"""The layer IR: what every loader produces and every analysis, rule and format reads.

Owns the plain data classes of a model (``model``), the errors and source
locations a loader raises (``errors``) and the escaping of text a model
file controls (``escape``). Imports nothing of the package: it is the
bottom of the import graph.

The IR's names are importable from here (``from paramlint.ir import Layer,
Model``), the path third-party rules have always used. They are looked up
on first use, so importing ``paramlint.ir.errors`` on a warm run does not
build the data classes.
"""

from __future__ import annotations

_MODEL_NAMES = frozenset({"Dim", "Shape", "format_shape", "Weight", "Layer", "TensorInfo",
                          "Diagnostic", "Model"})
_ERROR_NAMES = frozenset({"Location", "LoadError", "one_line", "MAX_MESSAGE"})


def __getattr__(name: str):
    if name in _MODEL_NAMES:
        from . import model

        return getattr(model, name)
    if name in _ERROR_NAMES:
        from . import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
