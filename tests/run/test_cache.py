import json
import multiprocessing
import os
import sqlite3
from pathlib import Path

from paramlint.run import cache as cache_mod
from paramlint.run.cache import Cache, default_cache_dir
from paramlint.run.fingerprint import config_fingerprint
from paramlint.lint.results import FileReport
from report_helpers import finding, layer, report

FP = config_fingerprint(["PRM301"], {"dense-on-large-spatial": {"min-spatial": 16}},
                        {"paramlint": "0.1.0"})


def sample(path="m.yaml"):
    return report(path, [finding(path=path)], layers=[layer("fc6", params=10)])


def test_put_then_get_round_trips_the_report(tmp_path):
    c = Cache(tmp_path / "c")
    rep = sample()
    assert c.put("m.yaml", "d1", FP, rep)
    assert c.flush()
    got = Cache(tmp_path / "c").get("m.yaml", "d1", FP)
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
    c.flush()
    assert c.get("m.yaml", "d1", FP) is None
    assert not (tmp_path / "c").exists()


def test_folder_is_tagged_and_git_ignored(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith(
        "Signature: 8a477f597d28d172789f06886806bc55")
    assert "*" in (tmp_path / "c" / ".gitignore").read_text().split()


def db(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / "cache.db")


def test_a_run_writes_one_database_not_a_file_per_entry(tmp_path):
    c = Cache(tmp_path / "c")
    for n in range(20):
        c.put(f"m{n}.yaml", "d1", FP, sample(f"m{n}.yaml"))
    assert c.flush()
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [
        ".gitignore", "CACHEDIR.TAG", "cache.db"]
    again = Cache(tmp_path / "c")
    assert all(again.get(f"m{n}.yaml", "d1", FP) == sample(f"m{n}.yaml") for n in range(20))


def test_entries_are_held_until_flush_and_served_meanwhile(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    assert c.get("m.yaml", "d1", FP) == sample()
    assert Cache(tmp_path / "c").get("m.yaml", "d1", FP) is None
    c.flush()
    assert Cache(tmp_path / "c").get("m.yaml", "d1", FP) == sample()


def test_without_documents_a_hit_carries_findings_and_the_head_only(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    c.flush()
    got = Cache(tmp_path / "c").get("m.yaml", "d1", FP, documents=False)
    assert got.findings == sample().findings
    assert got.document == {"path": "m.yaml"} | {k: v for k, v in sample().document.items()
                                                 if k in ("format", "name", "error")}


def test_a_truncated_database_is_a_miss_and_the_next_write_rebuilds_it(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    c.flush()
    data = (tmp_path / "c" / "cache.db").read_bytes()
    (tmp_path / "c" / "cache.db").write_bytes(data[:len(data) // 3])
    c = Cache(tmp_path / "c")
    assert c.get("m.yaml", "d1", FP) is None
    assert c.put("m.yaml", "d1", FP, sample()) and c.flush()
    assert Cache(tmp_path / "c").get("m.yaml", "d1", FP) == sample()


def test_a_database_of_garbage_is_a_miss_and_the_next_write_replaces_it(tmp_path):
    folder = tmp_path / "c"
    Cache(folder).put("m.yaml", "d1", FP, sample())  # tags the folder
    (folder / "cache.db").write_bytes(os.urandom(8192))
    (folder / "cache.db-journal").write_bytes(os.urandom(600))  # a stale journal too
    c = Cache(folder)
    assert c.get("m.yaml", "d1", FP) is None
    assert c.digest(str(folder / "cache.db"), os.stat(folder / "cache.db"))
    c.put("m.yaml", "d1", FP, sample())
    assert c.flush()
    assert Cache(folder).get("m.yaml", "d1", FP) == sample()


def test_an_entry_of_the_wrong_shape_is_a_miss(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    c.flush()
    for column, value in (("findings", b'[{"code": 1}]'), ("findings", b"[not json"),
                          ("document", b'{"layers": "many"}'), ("head", b'{"path": "x.yaml"}'),
                          ("path", "other.yaml")):
        with db(tmp_path / "c") as conn:
            conn.execute(f"UPDATE entries SET {column} = ?", (value,))
        assert Cache(tmp_path / "c").get("m.yaml", "d1", FP) is None, column
        c = Cache(tmp_path / "c")
        c.put("m.yaml", "d1", FP, sample())
        c.flush()


def test_a_database_with_foreign_tables_or_views_is_not_read_then_emptied(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    c.flush()
    with db(tmp_path / "c") as conn:
        conn.execute("DROP TABLE stats")
        conn.execute("CREATE VIEW stats AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                     "SELECT i + 1 FROM n) SELECT 'x' AS path, 's' AS sig, 'd' AS digest FROM n")
    c = Cache(tmp_path / "c")
    assert c.get("m.yaml", "d1", FP) is None  # and never runs the endless view
    c.put("m.yaml", "d1", FP, sample())
    assert c.flush()
    with db(tmp_path / "c") as conn:
        kinds = conn.execute("SELECT type, name FROM sqlite_master WHERE type != 'index'").fetchall()
    assert sorted(kinds) == [("table", "entries"), ("table", "memos"), ("table", "stats")]
    assert Cache(tmp_path / "c").get("m.yaml", "d1", FP) == sample()


def test_a_database_of_another_format_is_ignored_and_rebuilt(tmp_path):
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    c.flush()
    with db(tmp_path / "c") as conn:
        conn.execute("PRAGMA user_version = 1")
    assert Cache(tmp_path / "c").get("m.yaml", "d1", FP) is None
    c = Cache(tmp_path / "c")
    c.put("m.yaml", "d1", FP, sample())
    assert c.flush()
    assert Cache(tmp_path / "c").get("m.yaml", "d1", FP) == sample()


def test_per_file_entries_of_older_versions_are_removed_and_other_files_kept(tmp_path):
    folder = tmp_path / "c"
    Cache(folder).put("m.yaml", "d1", FP, sample())  # tags the folder as paramlint's
    key = "ab" + "0" * 62
    (folder / "ab").mkdir()
    (folder / "ab" / f"{key}.json").write_text("{}")
    (folder / "ab" / f".{key}.json.x1y2.tmp").write_text("{")
    (folder / "ab" / "notes.txt").write_text("someone's")
    (folder / "cd").mkdir()
    (folder / "cd" / ("cd" + "1" * 62 + ".json")).write_text("{}")
    (folder / "stat-memo").write_text("{}")
    (folder / "registry-memo").write_text("{}")
    c = Cache(folder)
    c.put("m.yaml", "d1", FP, sample())
    assert c.flush()
    assert sorted(p.name for p in folder.iterdir()) == [
        ".gitignore", "CACHEDIR.TAG", "ab", "cache.db"]
    assert [p.name for p in (folder / "ab").iterdir()] == ["notes.txt"]


def test_a_database_that_is_not_a_regular_file_is_never_opened(tmp_path):
    folder = tmp_path / "c"
    Cache(folder).put("m.yaml", "d1", FP, sample())  # tags the folder
    os.mkfifo(folder / "cache.db")
    c = Cache(folder)
    assert c.get("m.yaml", "d1", FP) is None
    c.put("m.yaml", "d1", FP, sample())
    assert c.flush() is False
    (folder / "cache.db").unlink()
    (folder / "cache.db").symlink_to("/dev/zero")
    c = Cache(folder)
    assert c.get("m.yaml", "d1", FP) is None
    c.put("m.yaml", "d1", FP, sample())
    assert c.flush() is False
    assert (folder / "cache.db").is_symlink()


def test_an_unwritable_cache_is_silently_skipped(tmp_path):
    blocker = tmp_path / "c"
    blocker.write_text("a file where the folder should be")
    c = Cache(blocker)
    assert c.put("m.yaml", "d1", FP, sample()) is False
    assert c.flush() in (True, False)
    assert c.get("m.yaml", "d1", FP) is None


def _writer(folder: str, n: int, rounds: int) -> None:
    for r in range(rounds):
        c = Cache(Path(folder))
        rep = report("m.yaml", [finding(path="m.yaml", message=f"writer {n} " + "x" * 20000)])
        c.put("m.yaml", "d1", FP, rep)
        for k in range(20):  # and entries of its own, many per transaction
            c.put(f"w{n}-{k}.yaml", f"d{r}", FP, sample(f"w{n}-{k}.yaml"))
        c.digest(folder + "/CACHEDIR.TAG", os.stat(folder + "/CACHEDIR.TAG"))
        if not c.flush():
            raise SystemExit(3)


def test_processes_writing_at_once_take_turns_and_never_corrupt_the_database(tmp_path):
    folder = tmp_path / "c"
    Cache(folder).put("m.yaml", "d1", FP, sample())  # tags the folder
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(folder), n, 30)) for n in (1, 2, 3)]
    for p in procs:
        p.start()
    seen = set()
    while any(p.is_alive() for p in procs):
        got = Cache(folder).get("m.yaml", "d1", FP)
        if got is not None:
            seen.add(got.findings[0].message.split()[1])
    for p in procs:
        p.join()
        assert p.exitcode == 0
    final = Cache(folder).get("m.yaml", "d1", FP)
    assert final is not None and final.findings[0].message.split()[1] in {"1", "2", "3"}
    assert seen <= {"1", "2", "3"}
    with db(folder) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    last = Cache(folder)
    assert all(last.get(f"w{n}-{k}.yaml", "d29", FP) == sample(f"w{n}-{k}.yaml")
               for n in (1, 2, 3) for k in range(20))
    assert not [p for p in folder.rglob("*.tmp")]


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


def test_a_report_that_cannot_be_stored_is_refused_not_raised(tmp_path):
    c = Cache(tmp_path / "c")
    loop: list = []
    loop.append(loop)
    bad = sample()
    bad.document["layers"] = loop
    assert c.put("m.yaml", "d1", FP, bad) is False
    bad.document["layers"] = [{"name": "x", "op": object()}]
    assert c.put("m.yaml", "d1", FP, bad) is False
    assert c.flush() and Cache(tmp_path / "c").get("m.yaml", "d1", FP) is None
