"""Module paths of ONNX nodes, as torch named them (``layer1.0.conv1``).

Reports group layers by module, the way torchinfo shows a model. An ONNX
file carries the path in three places, each cheap to read:

* the TorchScript exporter's scoped node names:
  ``/layer1/layer1.0/conv1/Conv`` -> ``layer1.0.conv1`` (a component that
  extends the previous one, ``layer1`` then ``layer1.0``, replaces it);
* the dynamo exporter's ``pkg.torch.onnx.name_scopes`` node metadata,
  ``['', 'layer1', 'layer1.0', 'layer1.0.conv1', 'conv2d']`` (the last entry
  is the operation, not a module);
* torch's parameter names on the weights a node reads
  (``layer1.0.conv1.weight`` -> ``layer1.0.conv1``).

A node's scope says where it ran; its weight's name says which module owns
it. They differ when an exporter fused two modules (dynamo folds a
BatchNorm into the Conv before it and keeps the BatchNorm's scope) or when
a module reads another's weight (a tied output projection). The weight's
module wins when it is the scope, inside it or beside it (same parent);
otherwise the scope does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

SCOPES_KEY = "pkg.torch.onnx.name_scopes"

#: Graph names exporters write when the user gave none: the file's stem
#: titles the report instead.
GENERIC_GRAPH_NAMES = frozenset({
    "main_graph", "torch_jit", "torch-jit-export", "torch_jit_export", "graph", "model",
    "tf2onnx", "onnx_graph", "Graph", "Model", "torch-jit", "tf_graph", "keras_graph",
})


def _join(components: Iterable[str]) -> str:
    parts: list[str] = []
    for comp in components:
        if not comp:
            continue
        if parts and comp.startswith(parts[-1] + "."):
            parts[-1] = comp
        elif parts and comp.startswith(".".join(parts) + "."):
            parts = [comp]
        else:
            parts.append(comp)
    return ".".join(parts)


def _from_metadata(node: Any) -> str | None:
    props = node.metadata_props
    if not props:
        return None
    for prop in props:
        if prop.key == SCOPES_KEY:
            return _scopes(prop.value)
    return None


# Memoized: the nodes of one module share their scope string, and a
# 50,000-node model has a few thousand modules.
@lru_cache(maxsize=8192)
def _scopes(value: str) -> str | None:
    value = value.strip()
    if not (value.startswith("[") and value.endswith("]")):
        return None
    items = [v.strip().strip("'\"") for v in value[1:-1].split(",")]
    return _join(items[:-1]) or ""


def _from_name(name: str) -> str | None:
    """TorchScript's ``/a/a.0/conv1/Conv``: the components before the op."""
    if not name.startswith("/"):
        return None
    return _scope_path(name.rpartition("/")[0])


@lru_cache(maxsize=8192)
def _scope_path(prefix: str) -> str:
    parts = prefix.split("/")[1:]
    return _join(parts) if parts else ""


def _torch_param(name: str) -> str | None:
    """``layer1.0.conv1.weight`` -> ``layer1.0.conv1``; None for names no
    torch module gave (``onnx::Conv_193``, ``/Constant_output_0``, ``val_12``)."""
    if "." not in name or "::" in name or "/" in name or " " in name:
        return None
    head, _, tail = name.rpartition(".")
    if not tail.isidentifier() or not head:
        return None
    return head


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def node_scope(node: Any, node_name: str) -> tuple[str | None, bool]:
    """``(scope, named)``: the module a node ran in, from its metadata or
    its name (``named``: from the name, as TorchScript writes it). The part
    of ``module_path`` that needs no weights: the loader reads it while
    shape inference runs."""
    scope = _from_metadata(node)
    if scope is None:  # TorchScript: names of root parameters are torch's own
        return _from_name(node_name), True
    return scope, False


def module_path(node: Any, node_name: str, weights: list[str], shared: Any = (),
                scope: tuple[str | None, bool] | None = None) -> str | None:
    """The module path of a node, or None (the model itself, or unknown).

    ``shared``: weights other layers read too. Their names say nothing of
    this node (an untrained model's LayerNorm ones, merged into the first
    LayerNorm's tensor, are read by every LayerNorm). ``scope``:
    ``node_scope(node, node_name)``, when already read."""
    scope, named = scope if scope is not None else node_scope(node, node_name)
    owner = None
    for w in weights:
        if w in shared:
            # TorchScript names a module's second call ``tower.0_1``: a
            # shared weight of ``tower.0`` says it is the same module
            again = _torch_param(w.partition("::")[0])
            if again and scope and scope.startswith(again + "_") and scope[len(again) + 1:].isdigit():
                return again
            continue
        w = w.partition("::")[0]
        owner = _torch_param(w)
        if owner is not None:
            break
        if named and not scope and w.isidentifier() and not w.startswith(("val_", "_", "onnx")):
            return w  # a parameter of the model itself (ViT's class_token)
    if owner is not None and scope:
        if owner == scope or owner.startswith(scope + ".") or _parent(owner) == _parent(scope):
            return owner
        return scope
    if owner is not None:
        return owner
    return scope or None


def model_name(graph_name: str, stem: str) -> str:
    """The graph's name, or the file's stem when the name is an exporter's default."""
    name = graph_name.strip()
    return stem if not name or name in GENERIC_GRAPH_NAMES else graph_name
