"""Coverage-guided fuzzing of the ONNX loader with atheris (not run in CI).

Every input is written to one file on a RAM disk and loaded with
``paramlint.loaders.onnx.loader.load`` (the slim wire-level reader, then
onnx's parser and shape inference, then the graph analysis). A
``LoadError`` is the expected answer to garbage; anything else that
escapes is a crash. A model that loads must satisfy counting.md's
identities and a refusal must be one clean line (tests/hostile_helpers.py).

    pip install atheris
    python fuzz/fuzz_onnx.py --make-seeds fuzz/corpus_onnx   # once
    python fuzz/fuzz_onnx.py fuzz/corpus_onnx -max_total_time=120 -rss_limit_mb=2048 -timeout=10

See fuzz/README.md.
"""

from __future__ import annotations

from pathlib import Path

from harness import run


def make_seeds(folder: Path) -> None:
    """Small models of every shape the loader knows, as seeds."""
    import onnx_builders as ob
    from hostile_helpers import onnx_corpus_models

    folder.mkdir(parents=True, exist_ok=True)
    built = onnx_corpus_models(folder / "_built")
    for path in built:
        if path.suffix == ".onnx":
            path.rename(folder / path.name)
    for extra in (folder / "_built").iterdir():
        extra.unlink()
    (folder / "_built").rmdir()
    models = {
        "alexnet_slim.onnx": ob.alexnet_graph(weights=None),
        "resnet18_merged.onnx": ob.resnet_graph("merged"),
        "resnet18_folded.onnx": ob.resnet_graph("folded"),
        "tied_lm.onnx": ob.tied_lm_graph(vocab=40, d_model=8, cast=True),
        "chain.onnx": ob.chain_graph(9, width=4),
        "qdq_conv.onnx": ob.qdq_conv_graph(),
    }
    for name, model in models.items():
        ob.save(model, folder / name)
    print(f"{len(list(folder.iterdir()))} seeds in {folder}")


def instrument():
    from paramlint.loaders.onnx import graph as onnx_graph
    from paramlint.loaders.onnx import loader as onnx_loader
    from paramlint.loaders.onnx import ops as onnx_ops
    from paramlint.loaders.onnx import shapes as onnx_shapes
    from paramlint.loaders.onnx import wire as onnx_wire
    from paramlint.loaders.onnx import protowire

    return onnx_loader.load


if __name__ == "__main__":
    run(".onnx", make_seeds, instrument)
