"""Which ONNX ops paramlint does not model, and what that leaves unknown.

PRM003's side of the two causes (docs/unknowns.md): an op paramlint does
not model has parameters it cannot know (they may sit in attributes, as a
tree ensemble's nodes do) and MACs it cannot know; it is reported as
``UNMODELLED``, never as the file's fault (PRM002). Kept apart from the
loader so the list of what paramlint models is in one place.
"""

from __future__ import annotations

#: Domains none of whose ops paramlint models (their parameters live in
#: attributes: tree nodes, coefficients, label tables; or they are training
#: steps): ``ai.onnx.ml`` ops have schemas, so shape inference knows their
#: outputs, but their parameters and MACs are unknown.
UNMODELLED_DOMAINS = frozenset({"ai.onnx.ml", "ai.onnx.preview", "ai.onnx.preview.training"})

#: Ops whose weights paramlint reads (their roles are known) but whose MACs
#: it has no formula for: attention as one op, a deformable convolution.
MACS_UNMODELLED = frozenset({
    ("", "Attention"), ("ai.onnx", "Attention"), ("", "DeformConv"), ("ai.onnx", "DeformConv"),
    ("com.microsoft", "Attention"), ("com.microsoft", "MultiHeadAttention"),
    ("com.microsoft", "GroupQueryAttention"), ("com.microsoft", "PackedAttention"),
    ("com.microsoft", "PackedMultiHeadAttention"), ("com.microsoft", "DecoderMaskedMultiHeadAttention"),
    ("com.microsoft", "DecoderMaskedSelfAttention"), ("com.microsoft", "SparseAttention"),
    ("com.microsoft", "LongformerAttention"), ("com.microsoft", "QAttention"),
    ("com.microsoft", "PagedAttention"),
})


def gap(domain: str, op_type: str, has_schema: bool) -> str | None:
    """What paramlint does not know of a node: ``"op"`` (it does not model
    the op: parameters and MACs unknown), ``"macs"`` (it reads the op's
    weights but not its MACs), or None (modelled)."""
    if not has_schema or domain in UNMODELLED_DOMAINS:
        return "op"
    if (domain, op_type) in MACS_UNMODELLED:
        return "macs"
    return None


#: Ops whose body runs a number of times the graph decides as it runs.
REPEATING = frozenset({"Loop", "Scan"})


def owners(pairs) -> dict[str, tuple[str, str | None, str]]:
    """Body prefix (a FlatNode's ``owner``) -> (owner's op_type, the owner's own
    owner, the owner's layer name), for every node that has subgraphs."""
    out: dict[str, tuple[str, str | None, str]] = {}
    for layer, fn in pairs:
        if fn.subgraphs:
            for attr_name, _ in fn.subgraphs:
                prefix = fn.base_name if len(fn.subgraphs) == 1 else f"{fn.base_name}/{attr_name}"
                out[prefix] = (fn.op_type, fn.owner, layer.name)
    return out


def runs(owner: str | None, table: dict[str, tuple[str, str | None, str]]) -> tuple[str, str] | None:
    """How often a body node runs, as far as a static count can tell:
    ``("loop", owner)`` inside a Loop or Scan (once per iteration, a count
    paramlint does not model), ``("branch", owner)`` inside an If (once, or
    not at all: the branch is chosen at run time), None at the top level."""
    found = None
    seen = 0
    while owner is not None and owner in table and seen < 1000:
        op_type, parent, name = table[owner]
        if op_type in REPEATING:
            return ("loop", name)
        if op_type == "If" and found is None:
            found = ("branch", name)
        owner = parent
        seen += 1
    return found
