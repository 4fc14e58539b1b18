"""Aligning two sequences of layer signatures in near-linear time.

``difflib.SequenceMatcher`` (without autojunk, which would drop the very
signatures a chain of alike layers repeats) is quadratic when most
signatures repeat: two renamed 48,000-layer chains took 85 s. A diff of
a model usually changes a few layers of a long graph, so the alignment is
built in three steps, each cheap, and difflib is kept for the part where
its answer is wanted and its cost is small:

1. the common prefix and suffix are equal blocks (linear);
2. what is left, if small (``DIFFLIB_CELLS``), is difflib's;
3. if large, the signatures that occur exactly once on each side anchor
   it (patience diff: the longest increasing run of such anchors, found
   in n log n), and each gap between anchors is aligned again from step 1.
   A gap with no anchor at all is one ``replace`` (the caller pairs its
   layers positionally when both sides have the same length and ops).

The result has difflib's shape: ``(tag, i1, i2, j1, j2)`` opcodes covering
both sequences in order.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections import Counter
from typing import Hashable, Sequence

#: Above this many cells (len(a) * len(b)) difflib's quadratic alignment is
#: replaced by anchors (a 2,000-layer middle on each side is difflib's).
DIFFLIB_CELLS = 4_000_000

Opcode = tuple[str, int, int, int, int]


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """difflib-shaped opcodes aligning ``a`` with ``b`` (see the module docstring)."""
    out: list[Opcode] = []
    # A work list instead of recursion: a chain of anchors can be long.
    todo = [(0, len(a), 0, len(b))]
    while todo:
        ops, gaps = _step(a, b, *todo.pop())
        out.extend(ops)
        todo.extend(gaps)
    out.sort(key=lambda op: (op[1], op[3], op[2], op[4]))
    return _merge(out)


def _step(a, b, i1: int, i2: int, j1: int, j2: int) -> tuple[list[Opcode], list[tuple[int, int, int, int]]]:
    """Opcodes for a[i1:i2] against b[j1:j2], and the gaps left to align."""
    ops: list[Opcode] = []
    start_i, start_j = i1, j1
    while i1 < i2 and j1 < j2 and a[i1] == b[j1]:
        i1 += 1
        j1 += 1
    if i1 > start_i:
        ops.append(("equal", start_i, i1, start_j, j1))
    end_i, end_j = i2, j2
    while i2 > i1 and j2 > j1 and a[i2 - 1] == b[j2 - 1]:
        i2 -= 1
        j2 -= 1
    if i2 < end_i:
        ops.append(("equal", i2, end_i, j2, end_j))
    n, m = i2 - i1, j2 - j1
    if n == 0 and m == 0:
        return ops, []
    if n == 0 or m == 0:
        ops.append(("insert" if n == 0 else "delete", i1, i2, j1, j2))
        return ops, []
    if n * m <= DIFFLIB_CELLS:
        matcher = difflib.SequenceMatcher(None, a[i1:i2], b[j1:j2], autojunk=False)
        ops.extend((tag, i1 + p1, i1 + p2, j1 + q1, j1 + q2)
                   for tag, p1, p2, q1, q2 in matcher.get_opcodes())
        return ops, []
    anchors = _anchors(a, b, i1, i2, j1, j2)
    if not anchors:
        ops.append(("replace", i1, i2, j1, j2))
        return ops, []
    gaps = []
    pi, pj = i1, j1
    for i, j in anchors:
        gaps.append((pi, i, pj, j))
        ops.append(("equal", i, i + 1, j, j + 1))
        pi, pj = i + 1, j + 1
    gaps.append((pi, i2, pj, j2))
    return ops, [g for g in gaps if g[0] < g[1] or g[2] < g[3]]


def _anchors(a, b, i1: int, i2: int, j1: int, j2: int) -> list[tuple[int, int]]:
    """Positions of signatures unique on both sides, as the longest run whose
    positions increase on both (patience sorting: n log n)."""
    count_a = Counter(a[i1:i2])
    count_b = Counter(b[j1:j2])
    where_b = {b[j]: j for j in range(j1, j2) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(i1, i2)
             if count_a[a[i]] == 1 and a[i] in where_b]
    # Longest increasing subsequence of the j's, in the i order.
    tails: list[int] = []  # tails[k]: j of the smallest tail of a run of length k+1
    tail_at: list[int] = []  # index into pairs of that tail
    back: list[int] = []
    for index, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(index)
        else:
            tails[k] = j
            tail_at[k] = index
        back.append(tail_at[k - 1] if k else -1)
    run: list[tuple[int, int]] = []
    index = tail_at[-1] if tail_at else -1
    while index >= 0:
        run.append(pairs[index])
        index = back[index]
    run.reverse()
    return run


def _merge(ops: list[Opcode]) -> list[Opcode]:
    """Adjacent opcodes of the same tag joined, as difflib reports them."""
    out: list[Opcode] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if out and out[-1][0] == op[0] and out[-1][2] == op[1] and out[-1][4] == op[3]:
            last = out.pop()
            op = (op[0], last[1], op[2], last[3], op[4])
        out.append(op)
    return out
