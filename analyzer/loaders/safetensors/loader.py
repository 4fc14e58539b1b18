"""``load(path) -> Model`` for a ``.safetensors`` file or a ``*.safetensors.index.json``.

A sharded checkpoint is its index (``weight_map``: tensor name -> shard
file) and the shards beside it. A shard is only ever looked for in the
index's own folder: a name with a path separator, ``..``, an absolute path
or a symlink that leads out of the folder is refused, never resolved. A
shard that is missing is a finding (its tensors' figures unknown, the
totals a lower bound), not a failure: the rest of the checkpoint is read.
"""

from __future__ import annotations

import os
import stat

from paramlint.ir.model import Diagnostic, LoadError, Location, Model
from paramlint.support.bounded_json import JsonError, loads
from paramlint.support.atomic import NotRegularFile, read_regular
from .header import Tensor, read_header
from .tensors import build

#: an index is a few MB at most (DeepSeek-V3's: 9 MB, 91,000 tensors)
MAX_INDEX = 64 * 1024 * 1024
MAX_SHARDS = 10_000
INDEX_SUFFIX = ".safetensors.index.json"


def load(path: str) -> Model:
    """Load a safetensors file or index; raises only ``LoadError``."""
    if path.lower().endswith(INDEX_SUFFIX):
        return _index(path)
    header = read_header(path)
    layers, weights, diagnostics = build(((t, path) for t in header.tensors), path)
    model = Model(path=path, format="safetensors", name=_name(path), layers=layers, weights=weights,
                  diagnostics=diagnostics)
    return model


def _name(path: str) -> str:
    base = os.path.basename(path)
    for suffix in (INDEX_SUFFIX, ".safetensors"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
    if base in ("model", "pytorch_model", "diffusion_pytorch_model", ""):
        folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
        return folder or base or "model"
    return base


def read_index(path: str) -> dict[str, str]:
    """The index's ``weight_map`` (tensor -> shard file name), checked; raises only ``LoadError``."""
    where = Location(path)
    try:
        raw = read_regular(path, MAX_INDEX)
    except (NotRegularFile, OSError) as exc:
        raise LoadError(f"cannot read the index: {exc}", where) from None
    try:
        doc = loads(raw, MAX_INDEX)
    except JsonError as exc:
        raise LoadError(exc.message, Location(path, exc.line, exc.column)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("weight_map"), dict):
        raise LoadError("a safetensors index must be an object with a 'weight_map' of tensor names to shard files",
                        where)
    weight_map = doc["weight_map"]
    for tensor, shard in weight_map.items():
        if not isinstance(shard, str) or not shard:
            raise LoadError(f"weight_map: tensor '{tensor}' must name a shard file", where)
    if len(set(weight_map.values())) > MAX_SHARDS:
        raise LoadError(f"the index names more than {MAX_SHARDS:,} shards", where)
    return weight_map


def shard_path(folder: str, shard: str) -> str | None:
    """Where a shard named by an index is, or None when the name could lead out of ``folder``.

    Only a plain file name is looked up, and only if it is a regular file
    whose real path stays in the folder (a symlink out is refused).
    """
    if (os.path.basename(shard) != shard or shard in (".", "..") or "\\" in shard or "/" in shard
            or "\x00" in shard or os.path.isabs(shard)):
        return None
    candidate = os.path.join(folder, shard)
    top = os.path.realpath(folder)
    real = os.path.realpath(candidate)
    if os.path.dirname(real) != top:
        return None
    return candidate


def _index(path: str) -> Model:
    weight_map = read_index(path)
    folder = os.path.dirname(os.path.abspath(path))
    by_shard: dict[str, list[str]] = {}
    for tensor, shard in weight_map.items():
        by_shard.setdefault(shard, []).append(tensor)
    found: list[tuple[Tensor, str]] = []
    extra: list[tuple[Tensor, str]] = []
    diagnostics: list[Diagnostic] = []
    for shard, names in by_shard.items():
        where = shard_path(folder, shard)
        if where is None:
            diagnostics.append(Diagnostic("unknown-layer", f"shard '{shard}' is not a file name in the index's "
                                          f"folder, so it is not read: {len(names):,} tensors unknown, the "
                                          "totals are a lower bound", None, Location(path)))
            continue
        if not os.path.lexists(where):
            diagnostics.append(Diagnostic("unknown-layer", f"shard '{shard}' is missing: {len(names):,} "
                                          "tensors unknown, the totals are a lower bound", None, Location(path)))
            continue
        try:
            mode = os.stat(where).st_mode
            if not stat.S_ISREG(mode):
                raise LoadError("is not a regular file", Location(where))
            header = read_header(where)
        except (LoadError, OSError) as exc:
            why = exc.message if isinstance(exc, LoadError) else str(exc.strerror or exc)
            diagnostics.append(Diagnostic("unknown-layer", f"shard '{shard}' cannot be read ({why}): "
                                          f"{len(names):,} tensors unknown, the totals are a lower bound",
                                          None, Location(path)))
            continue
        wanted = set(names)
        stored = {t.name for t in header.tensors}
        for tensor in header.tensors:
            (found if tensor.name in wanted else extra).append((tensor, where))
        lacking = [n for n in names if n not in stored]
        if lacking:
            diagnostics.append(Diagnostic("unknown-layer", f"the index puts {len(lacking):,} tensors in shard "
                                          f"'{shard}' that it does not hold (first: '{lacking[0]}'): their "
                                          "figures are unknown, the totals a lower bound", None, Location(path)))
    layers, weights, more = build(found, path)
    # A tensor a shard holds and the index does not name is stored but never loaded: unused.
    _, stray, _ = build(extra, path)
    weights.update(stray)
    return Model(path=path, format="safetensors", name=_name(path), layers=layers, weights=weights,
                 diagnostics=diagnostics + more)
