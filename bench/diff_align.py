"""``paramlint diff`` of two renamed chains: the structural alignment's cost.

Two ONNX chains of 1x1 convolutions; every layer of the new side is
renamed (``a_17`` becomes ``b_17``), so the
name and module passes match nothing and every layer goes through the
structural alignment; one layer in the middle is resized, so the diff has
one change to find. Measured side by side in one run:

- ``paramlint diff OLD NEW`` as a whole process (wall time, peak RSS);
- the alignment alone, ``paramlint.diff.align.opcodes`` against what the
  matcher used before (``difflib.SequenceMatcher(autojunk=False)``), on the
  same signatures. difflib is skipped above ``--difflib-max`` layers (it
  took 85 s at 48,000).

    python bench/diff_align.py [--sizes 12000,48000] [--difflib-max 12000]
"""

from __future__ import annotations

import argparse
import difflib
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def chain(path: Path, prefix: str, n: int, resized: int | None = None) -> None:
    """An ONNX chain of ``n`` 1x1 convolutions (8 channels), every node and
    weight named ``<prefix>_<k>``; layer ``resized`` has 16 filters and is
    followed by one more conv back to 8."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper, save

    nodes, inits, x = [], [], "input"
    for k in range(n):
        widths = [(16, 8), (8, 16)] if k == resized else [(8, 8)]
        for w, (cout, cin) in enumerate(widths):
            name = f"{prefix}_{k}" + ("_back" if w else "")
            inits.append(numpy_helper.from_array(np.zeros((cout, cin, 1, 1), np.float32), f"{name}.weight"))
            nodes.append(helper.make_node("Conv", [x, f"{name}.weight"], [f"{name}.out"], name=name,
                                          kernel_shape=[1, 1]))
            x = f"{name}.out"
    graph = helper.make_graph(nodes, prefix, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 8, 4, 4])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def whole(old: Path, new: Path) -> tuple[float, int, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "paramlint", "diff", "--no-cache", str(old), str(new)],
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    changed = [line for line in proc.stdout.splitlines() if line.lstrip().startswith(("+ ", "- ", "~ "))]
    summary = f"{len(changed)} layer rows changed" if proc.returncode in (0, 1) else proc.stderr[:120]
    return took, max(peak, before), f"exit {proc.returncode}: {summary.strip()}"


def alignment(n: int, difflib_max: int) -> tuple[float, float | None]:
    from paramlint.diff.align import opcodes

    a = [("conv2d", 72)] * n
    b = list(a)
    b[n // 2] = ("conv2d", 144)
    b.insert(n // 2 + 1, ("conv2d", 136))
    start = time.perf_counter()
    opcodes(a, b)
    ours = time.perf_counter() - start
    theirs = None
    if n <= difflib_max:
        start = time.perf_counter()
        difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        theirs = time.perf_counter() - start
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="12000,48000")
    parser.add_argument("--difflib-max", type=int, default=12000)
    args = parser.parse_args()
    print(f"{'layers':>8} {'diff (s)':>9} {'peak MB':>8} {'align (s)':>10} {'difflib (s)':>12} {'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            old, new = Path(tmp, f"old{n}.onnx"), Path(tmp, f"new{n}.onnx")
            chain(old, "a", n)
            chain(new, "b", n, resized=n // 2)
            took, peak, said = whole(old, new)
            ours, theirs = alignment(n, args.difflib_max)
            ratio = f"{theirs / ours:,.0f}x" if theirs else "-"
            print(f"{n:>8,} {took:>9.2f} {peak / 1024:>8.0f} {ours:>10.4f} "
                  f"{(f'{theirs:.2f}' if theirs else 'skipped'):>12} {ratio:>8}   {said}")


if __name__ == "__main__":
    main()
