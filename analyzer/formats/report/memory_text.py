"""The text report's memory block: weights, KV cache, activations, serving,
training and "fits in N GiB", from the document's ``memory`` object.

Exact byte counts first, a binary-prefixed size after (memory is bought in
GiB); a figure built from an unknown says "at least", an unknown one "?".
Shared by the markdown report, which prints the same lines.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from paramlint.ir import escape


def size(value: int | None) -> str:
    """2,147,483,648 -> ``2,147,483,648 B (2.00 GiB)``."""
    if value is None:
        return "?"
    for unit, step in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= step:
            return f"{value:,} B ({value / step:.2f} {unit})"
    return f"{value:,} B"


def short(value: int) -> str:
    """A size in one binary unit, for sums that do not fit a line exactly."""
    text = size(value)
    return text[text.index("(") + 1:-1] if "(" in text else text


def _least(complete: bool) -> str:
    return "" if complete else "at least "


def _kinds(layers: list[dict]) -> str:
    kinds = Counter(e["kind"] for e in layers)
    parts = []
    for kind, n in kinds.items():
        if kind == "window":
            windows = sorted({e["window"] for e in layers if e["kind"] == "window"})
            parts.append(f"{n} window ({', '.join(f'{w:,}' for w in windows)})")
        elif kind == "none":
            parts.append(f"{n} keep no cache (not causal)")
        else:
            parts.append(f"{n} {kind}")
    return ", ".join(parts)


def kv_lines(kv: dict[str, Any]) -> list[str]:
    caching = [e for e in kv["layers"] if e["kind"] != "none"]
    if not caching:
        return [f"  KV cache:      none ({_kinds(kv['layers'])})"]
    context = "?" if kv["context"] is None else f"{kv['context']:,}"
    per = kv["bytes_per_token"]
    out = [f"  KV cache:      {'?' if per is None else f'{per:,}'} B/token at {kv['dtype']}; "
           f"{size(kv['bytes'])} at {context} tokens, batch {kv['batch']}"]
    out.append(f"                 {len(kv['layers'])} attention layers: {_kinds(kv['layers'])}")
    if kv["bytes"] is None:
        out.append("                 context unknown: give --context N")
    return out


def fit_lines(fits: dict[str, Any], kv: dict[str, Any] | None, batch: int) -> list[str]:
    device = size(fits["device_bytes"])
    if fits["fits"] is None:
        head = f"  Fits in {device}: unknown (a part of serving memory is unknown)"
    elif fits["fits"]:
        head = f"  Fits in {device}: yes, {fits['headroom_bytes']:,} B to spare"
    else:
        head = f"  Fits in {device}: no, over by {size(fits['over_bytes'])}"
    out = [head]
    bound = "at most " if fits.get("bound") else ""
    longest = fits.get("max_context")
    if longest == "unbounded":
        out.append(f"    longest context at batch {batch}: unbounded (every caching layer slides)")
    elif kv is not None and kv["layers"] and any(e["kind"] != "none" for e in kv["layers"]):
        text = "none fits" if longest is None else f"{bound}{longest:,} tokens"
        out.append(f"    longest context at batch {batch}: {text}")
    largest = fits.get("max_batch")
    if largest is not None or fits["fits"] is not None:
        at = f" at {kv['context']:,} tokens" if kv and kv.get("context") else ""
        out.append(f"    largest batch{at}: {'none fits' if largest is None else f'{bound}{largest:,}'}")
    return out


def memory_lines(doc: dict[str, Any]) -> list[str]:
    memory = doc.get("memory")
    if not memory:
        return []
    acts, serve, train = memory["activations"], memory["serving"], memory["training"]
    out = [f"Memory (batch {acts['batch']}):"]
    out.append(f"  Weights:       {size(memory['weights']['bytes'])} as stored")
    kv = memory.get("kv_cache")
    if kv is not None:
        out.extend(kv_lines(kv))
    where = f" at {escape.name(acts['at'])}" if acts.get("at") else ""
    out.append(f"  Activations:   {_least(acts['complete'])}{size(acts['peak_bytes'])} peak{where}")
    out.append(f"                 {acts['dtype']}, at the file's own shapes, no buffer reuse: an upper bound")
    weights = "" if serve["weight_dtype"] == "stored" else f" (weights at {serve['weight_dtype']})"
    out.append(f"  Serving:       {_least(serve['complete'])}{size(serve['bytes'])}{weights} = weights"
               f"{' + KV cache' if serve['kv_cache'] is not None else ''} + activations")
    precision = "mixed precision" if train["precision"] == "mixed" else "fp32"
    out.append(f"  Training:      {_least(train['complete'])}{size(train['bytes'])} with "
               f"{train['optimizer']}, {precision} (docs/memory.md)")
    out.append(f"                 weights {short(train['weights'])} + grads {short(train['gradients'])}"
               f" + optimizer {short(train['optimizer_state'])} + activations {short(train['activations'])}")
    if serve.get("fits"):
        out.extend(fit_lines(serve["fits"], kv, acts["batch"]))
    return out
