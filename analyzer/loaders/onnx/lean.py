"""The two parts of onnx the loader uses, without ``import onnx``'s cost.

``import onnx`` runs the package's ``__init__``, which imports every
subpackage: numpy, ml_dtypes (0.7 costs 0.7 s of CPU to import), the
reference implementation, the hub... The loader needs two modules of it:
``onnx.onnx_ml_pb2`` (the protobuf classes, to parse a model) and the C++
extension ``onnx.onnx_cpp2py_export`` (shape inference, operator schemas).
Neither needs the package's ``__init__``.

So, when onnx is not imported yet, ``proto()`` and ``cpp()`` import those
two under a bare package object that stands in for ``onnx`` only while
they load, then take it out of ``sys.modules``: a later ``import onnx`` (by
``full()``, a plugin, a test) runs the real ``__init__`` as usual, which
finds the two modules already loaded and reuses them (protobuf's
descriptors and pybind11's types are registered once, as they must be).
A one-shot import hook sets them as attributes of that real package, as
a normal import would have. When onnx is already imported, these are
plain imports.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

__all__ = ["proto", "cpp", "full"]

_PARTS = ("onnx_ml_pb2", "onnx_cpp2py_export")


def _load_parts() -> None:
    if "onnx" in sys.modules:
        for part in _PARTS:
            importlib.import_module(f"onnx.{part}")
        return
    spec = importlib.util.find_spec("onnx")
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError("onnx is not installed")
    stand_in = importlib.util.module_from_spec(spec)  # its __init__ never runs
    sys.modules["onnx"] = stand_in
    try:
        for part in _PARTS:
            importlib.import_module(f"onnx.{part}")
    finally:
        if sys.modules.get("onnx") is stand_in:
            del sys.modules["onnx"]
    sys.meta_path.insert(0, _SetParts())


class _SetParts(importlib.abc.MetaPathFinder):
    """On the next real ``import onnx``: once its ``__init__`` has run, give
    the package the attributes ``onnx_ml_pb2`` and ``onnx_cpp2py_export``
    that importing them under the stand-in did not set on it."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "onnx":
            return None
        _remove(self)
        spec = importlib.util.find_spec("onnx")  # the real finders, this one gone
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader

        class _Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: ModuleType) -> None:
                loader.exec_module(module)
                for part in _PARTS:
                    loaded = sys.modules.get(f"onnx.{part}")
                    if loaded is not None and not hasattr(module, part):
                        setattr(module, part, loaded)

        spec.loader = _Loader()
        return spec


def _remove(finder: Any) -> None:
    try:
        sys.meta_path.remove(finder)
    except ValueError:
        pass


def proto() -> Any:
    """``onnx.onnx_ml_pb2``: ModelProto, NodeProto, TensorProto..."""
    return _part("onnx.onnx_ml_pb2")


def cpp() -> Any:
    """``onnx.onnx_cpp2py_export``: ``.shape_inference``, ``.defs``."""
    return _part("onnx.onnx_cpp2py_export")


def _part(name: str) -> Any:
    module = sys.modules.get(name)
    if module is None:
        _load_parts()
        module = sys.modules[name]
    return module


def full() -> Any:
    """The whole onnx package (numpy_helper, helper...), for the rare paths
    that need it."""
    proto()
    import onnx

    return onnx

