"""The memory figures as (label, value) rows of plain text, for the
markdown and HTML reports, which escape each cell their own way (a layer
name comes from the model file)."""

from __future__ import annotations

from typing import Any

from .memory_text import size


def _least(part: dict) -> str:
    return "" if part.get("complete", True) else "≥ "


def memory_rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    memory = doc.get("memory")
    if not memory:
        return []
    acts, serve, train, kv = memory["activations"], memory["serving"], memory["training"], memory["kv_cache"]
    rows = [("Weights (as stored)", size(memory["weights"]["bytes"]))]
    if kv is not None:
        per = kv["bytes_per_token"]
        rows.append((f"KV cache per token ({kv['dtype']})", "?" if per is None else f"{per:,} B"))
        context = "?" if kv["context"] is None else f"{kv['context']:,}"
        rows.append((f"KV cache at {context} tokens, batch {kv['batch']}", size(kv["bytes"])))
    where = f", at {acts['at']}" if acts.get("at") else ""
    rows.append((f"Activation peak ({acts['dtype']}, batch {acts['batch']}{where}; no reuse: an upper bound)",
                 _least(acts) + size(acts["peak_bytes"])))
    weights = "" if serve["weight_dtype"] == "stored" else f", weights at {serve['weight_dtype']}"
    rows.append((f"Serving{weights}", _least(serve) + size(serve["bytes"])))
    rows.append((f"Training ({train['optimizer']}, {train['precision']})", _least(train) + size(train["bytes"])))
    fits = serve.get("fits")
    if fits:
        device = size(fits["device_bytes"])
        if fits["fits"] is None:
            verdict = "unknown"
        elif fits["fits"]:
            verdict = f"yes, {size(fits['headroom_bytes'])} to spare"
        else:
            verdict = f"no, over by {size(fits['over_bytes'])}"
        rows.append((f"Fits in {device}", verdict))
        bound = "at most " if fits.get("bound") else ""
        value = fits.get("max_context")
        if kv is not None and any(e["kind"] != "none" for e in kv["layers"]):
            text = "none" if value is None else value if isinstance(value, str) else f"{bound}{value:,} tokens"
            rows.append((f"Longest context that fits at batch {acts['batch']}", text))
        if fits.get("max_batch") is not None:
            rows.append(("Largest batch that fits", f"{bound}{fits['max_batch']:,}"))
    return rows


def bar_parts(doc: dict[str, Any]) -> list[tuple[str, int]]:
    """Serving memory's parts for a stacked bar: weights, KV cache, activations."""
    memory = doc.get("memory")
    if not memory:
        return []
    serve = memory["serving"]
    parts = [("weights", serve["weights"]), ("KV cache", serve["kv_cache"] or 0),
             ("activations", serve["activations"])]
    return [(label, value) for label, value in parts if value]
