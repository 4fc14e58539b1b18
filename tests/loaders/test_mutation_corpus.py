"""Every fixture, truncated and bit-flipped, through `check` in one process.

The corpus: each file in fixtures/ (globbed at run time, so new fixtures
join by themselves) and a few ONNX models built here, cut at 40 offsets
(0, 1 and len-1 among them) and with 40 seeded random byte flips each,
plus files that are not files (a FIFO, a folder, /dev/zero, a symlink
loop). One child process analyses them all (hostile_helpers.run_corpus),
with an audit hook recording any `open` of something other than the model
being analysed, a per-file hang detector, and a 2 GiB address-space limit.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import onnx_builders as ob
from hostile_helpers import FIXTURES, onnx_corpus_models, run_corpus, write_mutants

SUFFIXES = (".yaml", ".yml", ".onnx")


def sources(tmp: Path) -> list[Path]:
    found = sorted(p for p in FIXTURES.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
                   and _mutate_export(p))
    built = onnx_corpus_models(tmp / "built")
    exporters = tmp / "exporters"
    exporters.mkdir()
    models = {
        "alexnet_slim.onnx": ob.alexnet_graph(weights=None),
        "resnet18_merged.onnx": ob.resnet_graph("merged"),
        "tied_lm.onnx": ob.tied_lm_graph(vocab=40, d_model=8, cast=True),
        "chain.onnx": ob.chain_graph(9, width=4),
        "qdq_conv.onnx": ob.qdq_conv_graph(),
    }
    for name, model in models.items():
        built.append(Path(ob.save(model, exporters / name)))
    # weights in a sibling .data file, which paramlint must never open
    built.append(Path(ob.save(ob.tied_lm_graph(vocab=64, d_model=16), exporters / "lm_ext.onnx",
                              external=True)))
    return found + built


def _mutate_export(path: Path) -> bool:
    """Of the real-export corpus (fixtures/exports), only the small plain-torch family;
    none of the 64 Ultralytics YAMLs kept as truth (fixtures/ultralytics/bundled).

    Its ~80 graph-only files, up to 1.4 MB each, times 80 mutants would add
    minutes to every run; the plain-torch exports (a few KB, both exporters)
    keep the real exporters' layout in the mutation corpus. The three
    Ultralytics fixtures beside bundled/ keep that format in it.
    """
    parts = path.relative_to(FIXTURES).parts
    if parts[:2] == ("ultralytics", "bundled"):
        return False
    return parts[0] != "exports" or (len(parts) > 2 and parts[1] == "torch")


def odd_files(folder: Path) -> list[Path]:
    """Paths that look like models and are not regular files."""
    folder.mkdir()
    out = []
    for name in ("fifo.yaml", "fifo.onnx"):
        os.mkfifo(folder / name)  # opening one for reading would block forever
        out.append(folder / name)
    for name in ("folder.yaml", "folder.onnx"):
        (folder / name).mkdir()
        out.append(folder / name)
    for name in ("zero.yaml", "zero.onnx"):
        (folder / name).symlink_to("/dev/zero")  # endless
        out.append(folder / name)
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    out.append(folder / "loop.yaml")
    (folder / "dangling.onnx").symlink_to(folder / "nowhere.onnx")
    out.append(folder / "dangling.onnx")
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corpus")
    originals = sources(tmp)
    files = list(originals)
    mutants = tmp / "mutants"
    mutants.mkdir()
    for index, source in enumerate(originals):
        files += write_mutants(source, mutants, trunc=40, flip=40, seed=index)
    files += odd_files(tmp / "odd")
    result = run_corpus(files, tmp)
    return {"originals": originals, "files": files, "result": result}


def _show(entries, key="error"):
    return "\n".join(f"{e.get('path', e.get('format'))}: {e[key]}\n{e.get('traceback', '')}" for e in entries[:10])


def test_corpus_is_what_it_claims(corpus):
    originals = corpus["originals"]
    kinds = {p.suffix.lower() for p in originals}
    assert {".yaml", ".onnx"} <= kinds, kinds
    assert len(corpus["files"]) >= 80 * len(originals)
    result = corpus["result"]
    assert result["files"] == len(corpus["files"])
    # Most of the corpus is broken; what is broken must have been refused.
    assert result["failed"] >= len(corpus["files"]) // 4


def test_no_traceback_escapes(corpus):
    crashes = corpus["result"]["crashes"]
    assert not crashes, f"{len(crashes)} files raised out of analyze_file:\n" + _show(crashes)


def test_no_hang(corpus):
    hangs = corpus["result"]["hangs"]
    assert not hangs, f"{len(hangs)} files hung:\n" + _show(hangs)


def test_no_internal_error_behind_a_finding(corpus):
    """A loader or rule bug that the engine turned into a finding is still a bug."""
    internal = corpus["result"]["internal"]
    assert not internal, f"{len(internal)} internal errors:\n" + _show(internal, "message")


def test_nothing_outside_the_model_is_opened(corpus):
    outside = corpus["result"]["outside"]
    shown = "\n".join(f"{o['path']} ({o['mode']}) while analysing {o['while']}" for o in outside[:20])
    assert not outside, f"{len(outside)} opens outside the model file:\n{shown}"
    assert corpus["result"]["hook_live"], "the audit hook did not record the canary open"


def test_totals_identities_hold_on_every_mutant_that_loads(corpus):
    broken = corpus["result"]["invariants"]
    assert not broken, f"{len(broken)} documents break counting.md:\n" + _show(broken)
    assert corpus["result"]["analysed"] - corpus["result"]["failed"] >= len(corpus["originals"])


def test_every_report_can_be_cached_and_printed_as_json(corpus):
    bad = corpus["result"]["unserialisable"]
    assert not bad, f"{len(bad)} reports are not JSON-serialisable:\n" + _show(bad)


def test_every_output_format_renders_the_wreckage(corpus):
    render = corpus["result"]["render"]
    assert not render, _show(render)
    assert corpus["result"]["analysed"] == len(corpus["files"])
