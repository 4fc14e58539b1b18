"""The layer types of each YAML format version, for the loader to look up.

Format 1 (layers.py) is frozen: its files load unchanged forever. Format 2
(``paramlint: 2``) keeps every format 1 type and changes the meaning of
those that act on features: a sequence is ``[T, D]``; ``dense``/``linear``,
``layernorm``, ``embedding`` and the recurrent layers work on the last axis
(tokens.py). It adds the transformer types (tokens.py,
attention.py, latent.py, moe.py).
"""

from __future__ import annotations

from . import tokens as tok
from .attention import FIELDS as ATTENTION_FIELDS
from .attention import attention
from .fields import Field, boolean
from .latent import FIELDS as MLA_FIELDS
from .latent import mla
from .layers import TYPES as FORMAT1
from .moe import FIELDS as MOE_FIELDS
from .moe import make_moe
from .spatial import LayerType

VERSIONS = (1, 2)


def _format2() -> dict[str, LayerType]:
    types = dict(FORMAT1)

    def add(name: str, infer, fields: dict[str, Field] | None = None, op: str | None = None,
            max_inputs: int | None = 1) -> None:
        types[name] = LayerType(name, op or name, fields or {}, infer, 1, max_inputs)

    for name in ("dense", "linear"):
        add(name, tok.dense, FORMAT1[name].fields, op="dense")
    add("embedding", tok.embedding, FORMAT1["embedding"].fields)
    for name in ("rnn", "lstm", "gru"):
        add(name, tok.recurrent, FORMAT1[name].fields)
    add("layernorm", tok.norm, {"affine": Field(boolean, True), "bias": Field(boolean, True)})
    add("rmsnorm", tok.norm, {"affine": Field(boolean, True)})
    add("mlp", tok.mlp, tok.mlp_fields(gated=False))
    add("gated_mlp", tok.mlp, tok.mlp_fields(gated=True))
    add("attention", attention, ATTENTION_FIELDS, max_inputs=2)
    add("mla", mla, MLA_FIELDS)
    # short ops, so a report's 10-column op cell shows them whole
    add("position_embedding", tok.position_embedding, tok.FIELDS["position_embedding"], op="pos_embed")
    add("class_token", tok.class_token, tok.FIELDS["class_token"], op="cls_token")
    add("tokens", tok.tokens)
    add("select", tok.select, tok.FIELDS["select"])
    add("mean", tok.mean, tok.FIELDS["mean"])
    add("transpose", tok.transpose, tok.FIELDS["transpose"])
    add("moe", make_moe(types), MOE_FIELDS)
    return types


TYPES: dict[int, dict[str, LayerType]] = {1: dict(FORMAT1), 2: _format2()}
#: Types that exist only in format 2: naming one in a format 1 file gets
#: "add 'paramlint: 2'" rather than "unknown type".
FORMAT2_ONLY = frozenset(TYPES[2]) - frozenset(TYPES[1])
TYPE_NAMES = {version: sorted([*types, "block"]) for version, types in TYPES.items()}

__all__ = ["FORMAT2_ONLY", "TYPES", "TYPE_NAMES", "VERSIONS"]
