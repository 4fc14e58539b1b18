"""Coverage-guided fuzzing of the YAML loader with atheris (not run in CI).

Every input is written to one file on a RAM disk and loaded with
``analyzer.loaders.yaml_loader.load``. A ``LoadError`` is the expected
answer to garbage; anything else that escapes is a crash (atheris stops
and saves the input). A model that loads must satisfy counting.md's
identities and a refusal must be one clean line (tests/hostile_helpers.py),
so a wrong count is a crash too.

    pip install atheris
    python fuzz/fuzz_yaml.py --make-seeds fuzz/corpus_yaml   # once
    python fuzz/fuzz_yaml.py fuzz/corpus_yaml -max_total_time=120 -rss_limit_mb=2048 -timeout=10

See fuzz/README.md.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # hostile_helpers


def make_seeds(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted((HERE.parent / "fixtures").glob("*.y*ml")):
        shutil.copy(source, folder / source.name)
    print(f"{len(list(folder.iterdir()))} seeds in {folder}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--make-seeds":
        make_seeds(Path(sys.argv[2]))
        return
    import atheris

    with atheris.instrument_imports():
        import yaml  # noqa: F401 - instrumented too: the loader drives its parser

        from analyzer.ir import LoadError
        from analyzer.loaders.yaml_loader import load
    from hostile_helpers import check_failure, check_invariants

    folder = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())
    path = str(folder / f"paramlint-fuzz-{os.getpid()}.yaml")

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


if __name__ == "__main__":
    main()
