"""Weight tying for YAML layers: ``share: <layer>`` and ``share_repeats``.

A layer that shares reads its owner's weight tensors instead of owning
copies, so counting sees one tensor read by several layers (a tie) and
reports the savings. Two kinds of tie:

- the same type: every weight is the owner's, and the shapes must match;
- a **transposed use** between ``dense`` and ``embedding``: an output
  head ``x @ E^T`` reads the embedding table ``E`` (GPT-2's ``lm_head``).
  The dense kernel ``[units, in]`` must equal the table
  ``[num_embeddings, dim]`` (torch stores both that way); a dense bias
  stays the head's own (BERT's MLM decoder has one).
"""

from __future__ import annotations

from typing import Protocol

from paramlint.ir.model import format_shape
from .fields import Ctx
from .source import Mark

#: (op of the sharing layer, op of the owner) -> (the sharer's role, the owner's role)
TRANSPOSED = {("dense", "embedding"): ("kernel", "table"), ("embedding", "dense"): ("table", "kernel")}


class Owner(Protocol):
    """What the loader knows of a layer another may share (its ``_Entry``)."""

    tensor: str
    op: str
    source_op: str
    weights: list[str]
    roles: list[tuple[str, tuple]]


def borrowed(ctx: Ctx, owner: Owner, op: str, roles: list[tuple[str, tuple]], mark: Mark,
             repeat: bool = False) -> dict[str, str]:
    """The roles this layer reads from ``owner``, mapped to the owner's weight names.

    Roles left out (a tied head's bias) are the layer's own. Raises at
    ``mark`` when the two layers cannot share.
    """
    how = "with share_repeats, cannot reuse" if repeat else "cannot share"
    head = f"{how} the parameters of {owner.source_op} '{owner.tensor}'"
    pair = TRANSPOSED.get((op, owner.op))
    if pair is not None and not repeat:
        return _transposed(ctx, owner, roles, pair, head, mark)
    if owner.op != op:
        raise ctx.error(f"{head}: it is a {owner.source_op}, not a {ctx.kind}", mark=mark)
    if roles != owner.roles:
        raise ctx.error(f"{head}: this layer needs {_list(roles)}, '{owner.tensor}' has {_list(owner.roles)}",
                        mark=mark)
    return {role: name for (role, _), name in zip(roles, owner.weights)}


def _transposed(ctx: Ctx, owner: Owner, roles: list[tuple[str, tuple]], pair: tuple[str, str],
                head: str, mark: Mark) -> dict[str, str]:
    mine, theirs = pair
    my_shape = dict(roles).get(mine)
    owned = dict(zip((r for r, _ in owner.roles), owner.weights))
    their_shape = dict(owner.roles).get(theirs)
    if my_shape is None or their_shape is None or theirs not in owned:
        raise ctx.error(f"{head}: it has no {theirs} to read", mark=mark)
    if my_shape != their_shape:
        hint = ("; a head tied to an embedding table has units = num_embeddings and reads "
                "inputs of width dim" if ctx.values.get("units") is not None else "")
        raise ctx.error(f"{head}: this layer's {mine} is {format_shape(my_shape)}, '{owner.tensor}' "
                        f"has {theirs} {format_shape(their_shape)}{hint}", mark=mark)
    return {mine: owned[theirs]}


def _list(roles: list[tuple[str, tuple]]) -> str:
    return ", ".join(f"{r} {format_shape(s)}" for r, s in roles) or "no weights"
