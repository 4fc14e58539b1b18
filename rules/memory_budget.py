"""PRM103: memory budgets: weight bytes, KV-cache bytes per token, serving bytes."""

from __future__ import annotations

from paramlint.analysis.activations import activations
from paramlint.analysis.counting import count
from paramlint.analysis.kv_cache import kv_cache
from paramlint.analysis.memory import weight_bytes
from paramlint.analysis.serving import parse_bytes, serving
from paramlint.lint.rule import Option, Rule

from ._common import n


def byte_size(value) -> int:
    """A size such as ``24GiB``, ``500MB`` or ``1024`` (bytes)."""
    return parse_bytes(value)


def count_option(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return value


byte_size.__name__ = "size"
count_option.__name__ = "int"


def _check(model, ctx):
    o = ctx.options
    limits = [o.get(k) for k in ("max-weight-bytes", "max-kv-bytes-per-token", "max-serving-bytes")]
    if all(v is None for v in limits):
        return
    max_weights, max_per_token, max_serving = (None if v is None else parse_bytes(v) for v in limits)
    weights = weight_bytes(model, count(model))["weight_bytes"]
    if max_weights is not None and weights > max_weights:
        yield ctx.finding(f"weights take {n(weights)} bytes as stored, over the budget of {n(max_weights)} "
                          f"(by {n(weights - max_weights)})", weight_bytes=weights, limit=max_weights)
    if max_per_token is None and max_serving is None:
        return
    kv = kv_cache(model, o.get("context"), o.get("batch") or 1)
    per_token = kv.bytes_per_token if kv.caching else 0
    if max_per_token is not None:
        if per_token is None:
            pass  # unknown: PRM002 says which layer; a budget never fires on a guess
        elif per_token > max_per_token:
            layers = len([e for e in kv.caching if e.kind != "cross"])
            yield ctx.finding(
                f"the KV cache takes {n(per_token)} bytes per token at {kv.dtype} ({layers} attention layers), "
                f"over the budget of {n(max_per_token)} (by {n(per_token - max_per_token)})",
                kv_bytes_per_token=per_token, limit=max_per_token)
    if max_serving is not None:
        acts = activations(model, o.get("batch") or 1)
        serve = serving(weights, kv if kv.caching else None, acts)
        if serve.bytes is not None and serve.bytes > max_serving:
            at_least = "" if serve.complete else "at least "
            yield ctx.finding(
                f"serving takes {at_least}{n(serve.bytes)} bytes (weights {n(weights)} + KV cache "
                f"{n(serve.kv_cache)} at {kv.context} tokens, batch {kv.batch} + activations "
                f"{n(serve.activations)}), over the budget of {n(max_serving)} (by {n(serve.bytes - max_serving)})",
                serving_bytes=serve.bytes, limit=max_serving, complete=serve.complete)


RULE = Rule(
    code="PRM103", name="memory-budget", severity="error",
    summary="weight bytes, KV-cache bytes per token or serving bytes over their budgets",
    doc=("Gates what a model needs in memory, in CI: its weights as stored, the KV cache one more "
         "token adds at fp16 (2 x kv_heads x head_dim x 2 bytes per attention layer; the latent for "
         "multi-head latent attention), and serving memory (weights + KV cache at `context` tokens "
         "and `batch` sequences + the activation peak at that batch, fp32). Sizes are bytes or take a "
         "unit: 24GiB, 500MB (KiB/MiB/GiB: 1024s; KB/MB/GB: 1000s). A figure that cannot be known "
         "never fires; a lower bound over the budget does. Unset by default, so the rule is off until "
         "configured."),
    options=(
        Option("max-weight-bytes", byte_size, None, "budget for the weights' bytes as stored"),
        Option("max-kv-bytes-per-token", byte_size, None, "budget for the KV cache's bytes per token (fp16)"),
        Option("max-serving-bytes", byte_size, None, "budget for serving memory at context and batch"),
        Option("context", count_option, None, "tokens for max-serving-bytes (default: the model's own)"),
        Option("batch", count_option, None, "sequences for max-serving-bytes (default 1)"),
    ),
    example="[tool.paramlint.rules.memory-budget]\nmax-kv-bytes-per-token = \"256KiB\"\nmax-serving-bytes = \"24GiB\"",
    check=_check,
)
