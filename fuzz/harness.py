"""The driver both fuzz harnesses share: seeds, one input per file, verdicts.

A loader takes a path, so each input is written to one file on a RAM disk
and loaded from there. A ``LoadError`` is the expected answer to garbage;
any other exception, a refusal that is not one clean line, or a model that
breaks counting.md's identities is a crash (tests/hostile_helpers.py).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # hostile_helpers, onnx_builders


def run(suffix: str, make_seeds: Callable[[Path], None], instrument: Callable[[], Callable]) -> None:
    """``--make-seeds FOLDER``, or fuzz the loader ``instrument()`` imports and returns."""
    if len(sys.argv) > 2 and sys.argv[1] == "--make-seeds":
        make_seeds(Path(sys.argv[2]))
        return
    import atheris

    with atheris.instrument_imports():
        from paramlint.ir.model import LoadError

        load = instrument()
    from hostile_helpers import check_failure, check_invariants

    folder = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())
    path = str(folder / f"paramlint-fuzz-{os.getpid()}{suffix}")

    def one_input(data: bytes) -> None:
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            model = load(path)
        except LoadError as exc:
            problems = check_failure(exc)
        else:
            problems = check_invariants(model)
        if problems:
            raise AssertionError("; ".join(problems))

    atheris.Setup(sys.argv, one_input)
    try:
        atheris.Fuzz()
    finally:
        if os.path.exists(path):
            os.unlink(path)
