"""Coverage-guided fuzzing of the YAML loader with atheris (not run in CI).

Every input is written to one file on a RAM disk and loaded with
``paramlint.loaders.yaml.loader.load``. A ``LoadError`` is the expected
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

import shutil
from pathlib import Path

from harness import HERE, run


def make_seeds(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted((HERE.parent / "fixtures").glob("*.y*ml")):
        shutil.copy(source, folder / source.name)
    print(f"{len(list(folder.iterdir()))} seeds in {folder}")


def instrument():
    import yaml  # noqa: F401 - instrumented too: the loader drives its parser

    from paramlint.loaders.yaml.loader import load

    return load


if __name__ == "__main__":
    run(".yaml", make_seeds, instrument)
