"""Reading the pieces of Keras's serialized config: ``class_name``/``config``
objects, batch shapes, dtypes (Keras 3's DTypePolicy too), and the layer
references of ``input_layers``/``output_layers`` and inbound nodes in both
Keras 2's lists and Keras 3's ``__keras_tensor__`` objects.

Plain functions of the JSON, apart from the graph builder (loader.py) that
calls them; each raises ValueError on a malformed value, which the builder
turns into a LoadError naming the layer.
"""

from __future__ import annotations

from typing import Any

BATCH = "batch"


def _spec(data: Any) -> tuple[str, dict]:
    """(class_name, config) of a serialized object, or a ValueError."""
    if not isinstance(data, dict) or not isinstance(data.get("class_name"), str) \
            or not isinstance(data.get("config"), dict):
        raise ValueError("expected an object with 'class_name' and 'config'")
    return data["class_name"], data["config"]


def _batchless(shape: Any) -> tuple | None:
    if not isinstance(shape, (list, tuple)) or not shape:
        return None
    dims = tuple(d if isinstance(d, int) and not isinstance(d, bool) and d >= 0 else None for d in shape[1:])
    return dims


def _batch(shape: Any) -> tuple | None:
    inner = _batchless(shape)
    return None if inner is None else (BATCH, *inner)


def _dtype(cfg: dict) -> str:
    dtype = cfg.get("dtype")
    if isinstance(dtype, dict):  # Keras 3: a DTypePolicy
        dtype = (dtype.get("config") or {}).get("name")
    if isinstance(dtype, str):
        return dtype.split("_")[-1] if dtype.startswith("mixed_") else dtype
    return "float32"


def _ref(value: Any) -> tuple[str, int, int] | None:
    """``[layer, node, tensor, ...]`` as a key, or None when it is not one."""
    if (isinstance(value, list) and len(value) >= 3 and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:3])):
        return value[0], value[1], value[2]
    return None


def _refs(value: Any) -> list[tuple[str, int, int]]:
    """``input_layers``/``output_layers``: one ``[name, node, tensor]`` or a list of them."""
    if value is None:
        return []
    if _ref(value) is not None:
        return [_ref(value)]
    if not isinstance(value, list):
        raise ValueError(f"expected [layer, node, tensor] references, got {str(value)[:60]}")
    refs = [_ref(item) for item in value]
    if any(r is None for r in refs):
        raise ValueError(f"expected [layer, node, tensor] references, got {str(value)[:60]}")
    return refs  # type: ignore[return-value]


def _node(node: Any) -> tuple[list[tuple[tuple[str, int, int], Any]], dict]:
    """The tensors one call reads, in order, each with the shape Keras recorded (Keras 3 only)."""
    found: list[tuple[tuple[str, int, int], Any]] = []
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        _tensors(node.get("args"), found)
        _tensors(node.get("kwargs"), found)
        kwargs = node.get("kwargs")
        return found, kwargs if isinstance(kwargs, dict) else {}
    if not isinstance(node, list):
        raise ValueError(f"an inbound node must be a list or an object, got {str(node)[:60]}")
    for item in node:  # Keras 2: [[name, node, tensor, kwargs], ...]
        ref = _ref(item)
        if ref is None:
            raise ValueError(f"an inbound tensor must be [layer, node, tensor, kwargs], got {str(item)[:60]}")
        found.append((ref, None))
    return found, {}


def _tensors(value: Any, found: list, depth: int = 0) -> None:
    if depth > 20:
        return
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            cfg = value.get("config") or {}
            ref = _ref(cfg.get("keras_history")) if isinstance(cfg, dict) else None
            if ref is None:
                raise ValueError("a tensor's keras_history must be [layer, node, tensor]")
            found.append((ref, cfg.get("shape")))
            return
        for v in value.values():
            _tensors(v, found, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _tensors(v, found, depth + 1)
