import json
import multiprocessing
import os
from pathlib import Path

from paramlint import cache as cache_mod
from paramlint.cache import Cache, config_fingerprint, default_cache_dir, file_digest
from paramlint.results import FileReport
from report_helpers import finding, layer, report

FP = config_fingerprint(["PRM301"], {"dense-on-large-spatial": {"min-spatial": 16}},
                        {"paramlint": "0.1.0"})


def sample(path="m.yaml"):
    return report(path, [finding(path=path)], layers=[layer("fc6", params=10)])


def entries(folder: Path):
    return sorted(p for p in folder.rglob("*.json"))


def test_put_then_get_round_trips_the_report(tmp_path):
    c = Cache(tmp_path / "c")
    rep = sample()
    assert c.put("m.yaml", "d1", FP, rep)
    got = c.get("m.yaml", "d1", FP)
    assert got == rep and isinstance(got, FileReport)


def test_a_different_digest_fingerprint_or_path_is_a_miss(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    other_fp = config_fingerprint(["PRM301"], {"dense-on-large-spatial": {"min-spatial": 49}})
    assert c.get("m.yaml", "d2", FP) is None
    assert c.get("m.yaml", "d1", other_fp) is None
    assert c.get("other.yaml", "d1", FP) is None


def test_the_paramlint_version_is_part_of_the_key(tmp_path, monkeypatch):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    monkeypatch.setattr(cache_mod, "__version__", "99.0")
    assert c.get("m.yaml", "d1", FP) is None


def test_a_disabled_cache_never_reads_or_writes(tmp_path):
    c = Cache(tmp_path / "c", enabled=False)
    assert not c.put("m.yaml", "d1", FP, sample())
    assert c.get("m.yaml", "d1", FP) is None
    assert not (tmp_path / "c").exists()


def test_folder_is_tagged_and_git_ignored(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith(
        "Signature: 8a477f597d28d172789f06886806bc55")
    assert "*" in (tmp_path / "c" / ".gitignore").read_text().split()


def test_a_truncated_entry_is_a_miss(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    (entry,) = entries(tmp_path / "c")
    entry.write_text(entry.read_text()[:40])
    assert c.get("m.yaml", "d1", FP) is None
    # and a later put repairs it
    c.put("m.yaml", "d1", FP, sample())
    assert c.get("m.yaml", "d1", FP) == sample()


def test_an_entry_of_the_wrong_shape_is_a_miss(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    (entry,) = entries(tmp_path / "c")
    entry.write_text(json.dumps({"format": 1, "key": entry.stem, "report": {"path": 1}}))
    assert c.get("m.yaml", "d1", FP) is None


def test_a_leftover_temp_file_is_not_an_entry(tmp_path):
    c = Cache(tmp_path / "c")
    key = c.key("m.yaml", "d1", FP)
    folder = tmp_path / "c" / key[:2]
    folder.mkdir(parents=True)
    # What an interrupted put leaves: a partial temp file beside the entry's name.
    (folder / f".{key}.json.abc123.tmp").write_text('{"format": 1, "key": "')
    assert c.get("m.yaml", "d1", FP) is None


def test_an_unwritable_cache_is_silently_skipped(tmp_path):
    blocker = tmp_path / "c"
    blocker.write_text("a file where the folder should be")
    c = Cache(blocker)
    assert c.put("m.yaml", "d1", FP, sample()) is False
    assert c.get("m.yaml", "d1", FP) is None


def _writer(folder: str, n: int, rounds: int) -> None:
    c = Cache(Path(folder))
    rep = report("m.yaml", [finding(path="m.yaml", message=f"writer {n} " + "x" * 20000)])
    for _ in range(rounds):
        c.put("m.yaml", "d1", FP, rep)


def test_two_processes_writing_one_key_never_leave_a_corrupt_entry(tmp_path):
    folder = tmp_path / "c"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(folder), n, 50)) for n in (1, 2)]
    for p in procs:
        p.start()
    reader = Cache(folder)
    seen = set()
    while any(p.is_alive() for p in procs):
        got = reader.get("m.yaml", "d1", FP)
        if got is not None:
            seen.add(got.findings[0].message.split()[1])
    for p in procs:
        p.join()
        assert p.exitcode == 0
    final = reader.get("m.yaml", "d1", FP)
    assert final is not None and final.findings[0].message.split()[1] in {"1", "2"}
    assert seen <= {"1", "2"}
    assert not [p for p in folder.rglob("*.tmp")]


def test_file_digest_streams_in_chunks(tmp_path, monkeypatch):
    big = tmp_path / "model.onnx"
    big.write_bytes(os.urandom(3 * cache_mod.CHUNK + 5))
    reads = []
    real_open = open

    class Spy:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def read(self, size=-1):
            reads.append(size)
            return self.handle.read(size)

    monkeypatch.setattr(cache_mod, "open", lambda p, m: Spy(real_open(p, m)), raising=False)
    import hashlib
    assert file_digest(big) == hashlib.sha256(big.read_bytes()).hexdigest()
    assert reads and all(size == cache_mod.CHUNK for size in reads)
    assert len(reads) == 5  # 3 full chunks, the tail, the empty read


def test_fingerprint_is_order_independent_and_option_sensitive():
    a = config_fingerprint(["PRM301", "PRM302"], {"x": {"a": 1}}, {"p": "1"})
    b = config_fingerprint(["PRM302", "PRM301"], {"x": {"a": 1}}, {"p": "1"})
    assert a == b
    assert a != config_fingerprint(["PRM301", "PRM302"], {"x": {"a": 2}}, {"p": "1"})
    assert a != config_fingerprint(["PRM301", "PRM302"], {"x": {"a": 1}}, {"p": "2"})


def test_default_folder_is_beside_the_config_or_in_cwd(tmp_path):
    assert default_cache_dir(tmp_path / "proj" / "pyproject.toml", tmp_path) == \
        (tmp_path / "proj" / ".paramlint_cache").resolve()
    assert default_cache_dir(None, tmp_path) == tmp_path / ".paramlint_cache"
