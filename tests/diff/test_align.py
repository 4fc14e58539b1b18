"""The structural alignment: a valid alignment always, difflib's where it is cheap,
and near-linear on long chains of alike layers (issue 28: 48,000 renamed
layers per side took 85 s with difflib alone)."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from paramlint.diff import align
from paramlint.diff.align import opcodes


def covers(ops, a, b) -> bool:
    """Opcodes in order, covering both sides without holes, equal blocks equal."""
    i = j = 0
    for tag, i1, i2, j1, j2 in ops:
        if (i1, j1) != (i, j):
            return False
        if tag == "equal" and a[i1:i2] != b[j1:j2]:
            return False
        i, j = i2, j2
    return (i, j) == (len(a), len(b))


sequences = st.lists(st.integers(0, 5), max_size=60)


@settings(max_examples=300, deadline=None)
@given(sequences, sequences)
def test_every_alignment_covers_both_sides_in_order(a, b):
    assert covers(opcodes(a, b), a, b)


@settings(max_examples=200, deadline=None)
@given(sequences, sequences)
def test_anchors_also_give_a_valid_alignment(a, b):
    """With difflib switched off (every middle 'large'), anchors and gaps alone."""
    saved = align.DIFFLIB_CELLS
    align.DIFFLIB_CELLS = 0
    try:
        assert covers(opcodes(a, b), a, b)
    finally:
        align.DIFFLIB_CELLS = saved


def test_a_small_middle_is_difflibs_own_alignment():
    a = ["conv", "bn", "relu", "conv", "pool", "dense"]
    b = ["stem", "bn", "relu", "conv", "conv", "pool", "head"]
    expected = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    assert opcodes(a, b) == [tuple(op) for op in expected]


def test_a_long_renamed_chain_with_one_resized_layer_aligns_everything_else():
    """48,000 alike layers a side, the middle one resized: every other layer is
    in an equal block, the resized one is a one-to-one replace."""
    n = 48_000
    a = [("conv2d", 4_160)] * n
    b = list(a)
    b[n // 2] = ("conv2d", 8_320)
    ops = opcodes(a, b)
    assert ops == [("equal", 0, n // 2, 0, n // 2), ("replace", n // 2, n // 2 + 1, n // 2, n // 2 + 1),
                   ("equal", n // 2 + 1, n, n // 2 + 1, n)]


def test_unique_layers_anchor_a_large_reordered_middle():
    """Past difflib's budget, layers unique on both sides pair up in order."""
    a = [("conv2d", k) for k in range(3_000)]
    b = [("conv2d", k) for k in range(3_000) if k % 7] + [("dense", 1)]
    ops = opcodes(a, b)
    assert covers(ops, a, b)
    kept = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    assert kept == len([k for k in range(3_000) if k % 7])
