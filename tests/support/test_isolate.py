"""The supervised child that runs onnx's C++ on untrusted graphs (issue 11).

What must hold: a crash, a hang or a broken limit in the child is an
exception naming it, the child is replaced, the next call works; and in a
run, such a file is a PRM001 while every other file is fully reported,
with one worker or two.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from native_hostile import NATIVE_CRASHERS, write
from paramlint.support import isolate
from paramlint.support.isolate import ChildFailed, JobError

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
THIS = __name__  # jobs below are looked up by the (forked) child under this name

# Published parameter counts of the two good files beside the hostile ones:
# LeNet-5 (LeCun et al. 1998, the 61,706 of the C1-F6 layers with biases)
# and the original two-tower AlexNet as laid out in fixtures/alexnet.onnx
# (Krizhevsky et al. 2012: 62,378,344).
GOOD = {"lenet5.yaml": 61_706, "alexnet.onnx": 62_378_344}


# ---- jobs run in the child (module-level so the child can find them)

def echo_job(payload: bytes) -> bytes:
    return payload[::-1]


def pid_job(payload: bytes) -> bytes:
    return str(os.getpid()).encode()


def segfault_job(payload: bytes) -> bytes:
    import ctypes

    return bytes(ctypes.cast(8, ctypes.POINTER(ctypes.c_char * 8)).contents)  # SIGSEGV


def spin_job(payload: bytes) -> bytes:
    while True:
        pass


def allocate_job(payload: bytes) -> bytes:
    return b"x" * (int(payload) << 30)  # GiB


def sigbus_job(payload: bytes) -> bytes:
    """What a memory-mapped file truncated by someone else does."""
    path = payload.decode()
    with open(path, "w+b") as handle:
        handle.write(b"\0" * 65536)
        handle.flush()
        mm = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        os.truncate(path, 0)
        return bytes(mm[60000:60010])


def raising_job(payload: bytes) -> bytes:
    raise JobError("a one-line reason")


def job(name: str) -> str:
    return f"{THIS}:{name}"


@pytest.fixture(autouse=True)
def fresh_child():
    isolate.reset()  # forked from this test module, so it knows the jobs above
    yield
    isolate.reset()


def test_a_job_runs_in_a_long_lived_child_not_in_this_process():
    first = isolate.call(job("pid_job"), b"", timeout=30)
    assert int(first) != os.getpid()
    assert isolate.call(job("pid_job"), b"", timeout=30) == first  # one child, reused
    assert isolate.call(job("echo_job"), b"abc" * 100_000, timeout=30) == b"cba" * 100_000


def test_a_submitted_job_runs_while_the_caller_works_and_answers_once():
    pending = isolate.submit(job("echo_job"), b"abc", timeout=30)
    assert sum(range(100_000)) == 4_999_950_000  # the caller's own work meanwhile
    assert pending.result() == b"cba"
    assert pending.result() == b"cba"  # read once, kept
    assert isolate.call(job("echo_job"), b"ok", timeout=30) == b"ko"


def test_a_second_job_cannot_be_submitted_before_the_first_is_read():
    pending = isolate.submit(job("echo_job"), b"abc", timeout=30)
    with pytest.raises(RuntimeError, match="already pending"):
        isolate.submit(job("echo_job"), b"x", timeout=30)
    assert pending.result() == b"cba"


def test_a_cancelled_job_stops_its_child_and_the_next_job_gets_a_fresh_one():
    before = isolate.call(job("pid_job"), b"", timeout=30)
    pending = isolate.submit(job("spin_job"), b"", timeout=30)
    pending.cancel()
    with pytest.raises(RuntimeError, match="already read or dropped"):
        pending.result()
    after = isolate.call(job("pid_job"), b"", timeout=30)
    assert after != before


def test_a_submitted_job_that_crashes_is_named_when_its_answer_is_asked_for(tmp_path):
    pending = isolate.submit(job("segfault_job"), b"", timeout=30)
    with pytest.raises(ChildFailed, match=r"^crashed \(SIGSEGV\)$"):
        pending.result()
    assert isolate.call(job("echo_job"), b"ok", timeout=30) == b"ko"


@pytest.mark.parametrize("name, what", [("segfault_job", "crashed (SIGSEGV)"),
                                        ("sigbus_job", "crashed (SIGBUS)")])
def test_a_crash_is_named_and_the_child_replaced(tmp_path, name, what):
    before = isolate.call(job("pid_job"), b"", timeout=30)
    with pytest.raises(ChildFailed) as info:
        isolate.call(job(name), str(tmp_path / "mapped").encode(), timeout=30)
    assert str(info.value) == what
    after = isolate.call(job("pid_job"), b"", timeout=30)
    assert after != before


def test_a_hang_is_stopped_at_the_deadline():
    with pytest.raises(ChildFailed) as info:
        isolate.call(job("spin_job"), b"", timeout=1)
    assert str(info.value) == "timed out after 1 s" and info.value.transient
    assert isolate.call(job("echo_job"), b"ok", timeout=30) == b"ko"


def test_the_child_cannot_take_more_memory_than_its_limit():
    gib = (isolate.MEMORY_BYTES >> 30) + 1
    with pytest.raises((JobError, ChildFailed)) as info:
        isolate.call(job("allocate_job"), str(gib).encode(), timeout=60)
    assert "out of memory" in str(info.value) or "SIGKILL" in str(info.value)
    assert isolate.call(job("echo_job"), b"ok", timeout=30) == b"ko"


def test_a_job_error_is_its_message():
    with pytest.raises(JobError, match="^a one-line reason$"):
        isolate.call(job("raising_job"), b"", timeout=30)


def test_an_answer_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(isolate, "MAX_ANSWER", 1000)
    with pytest.raises(ChildFailed, match="limit"):
        isolate.call(job("echo_job"), b"x" * 2000, timeout=30)


def test_a_mapped_file_truncated_under_the_reader_is_a_load_error(tmp_path, monkeypatch):
    from paramlint.ir.model import LoadError
    from paramlint.loaders.onnx import wire as onnx_wire

    path = write(NATIVE_CRASHERS["gather_nd"](), tmp_path / "m.onnx")

    def bus(*args, **kwargs):
        raise ChildFailed("crashed (SIGBUS)")

    monkeypatch.setattr(onnx_wire, "IN_MEMORY_BYTES", 0)  # the mapped path
    monkeypatch.setattr(onnx_wire, "call", bus)
    with pytest.raises(LoadError) as info:
        onnx_wire.read_model(str(path))
    assert "crashed (SIGBUS)" in info.value.message and "truncated" in info.value.message


def test_a_large_file_is_walked_in_the_child(tmp_path, monkeypatch):
    from paramlint.loaders.onnx import wire as onnx_wire

    path = write(NATIVE_CRASHERS["gather_nd"](), tmp_path / "m.onnx")
    monkeypatch.setattr(onnx_wire, "IN_MEMORY_BYTES", 0)
    model = onnx_wire.read_model(str(path))
    assert [n.op_type for n in model.graph.node] == ["GatherND"]
    assert isolate.started()


def test_a_yaml_run_never_starts_the_child():
    from paramlint.lint.engine import Settings
    from paramlint.run.pool import analyze

    isolate.reset()
    (report,) = analyze([str(FIXTURES / "lenet5.yaml")], Settings(), jobs=1)
    assert report.document["totals"]["params"] == GOOD["lenet5.yaml"]
    assert not isolate.started()


# ---- the run: each crasher beside two good files


def _hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    for name, build in NATIVE_CRASHERS.items():
        write(build(), folder / f"{name}.onnx")
    for name in GOOD:
        shutil.copy(FIXTURES / name, folder / name)
    return folder


#: What onnx 1.23.2 does with each (checked by hand in a throwaway process);
#: None: it survives these, and paramlint must then load them normally.
EXPECTED = {
    "regex_full_match": "onnx shape inference crashed (SIGSEGV)",
    "gather_nd": "onnx shape inference crashed (SIGSEGV)",
    "eye_like": "onnx shape inference crashed (SIGSEGV)",
    "einsum": "onnx shape inference timed out after 10 s",
}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_native_crashes_and_hangs_cost_only_their_file(tmp_path, jobs):
    folder = _hostile_folder(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "paramlint", "check", "--no-cache", "-f", "json",
                           "-j", jobs, str(folder)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    models = {Path(m["path"]).name: m for m in json.loads(proc.stdout)["models"]}
    assert len(models) == len(NATIVE_CRASHERS) + len(GOOD)
    for name, params in GOOD.items():
        assert models[name]["totals"]["params"] == params
        assert not models[name].get("error")
    for name, message in EXPECTED.items():
        model = models[f"{name}.onnx"]
        assert model["error"] == message, name
        assert [f["code"] for f in model["findings"]] == ["PRM001"]


def test_a_slow_inference_is_stopped_at_its_deadline(tmp_path, monkeypatch):
    from native_hostile import mean_variance_normalization_huge_dim
    from paramlint.ir.model import LoadError
    from paramlint.loaders.onnx import infer as onnx_infer
    from paramlint.loaders.onnx import loader as onnx_loader

    path = write(mean_variance_normalization_huge_dim(), tmp_path / "mvn.onnx")
    monkeypatch.setattr(onnx_infer, "INFER_SECONDS", 2.0)  # the deadline is the parent's
    with pytest.raises(LoadError) as info:
        onnx_loader.load(str(path))
    assert info.value.message == "onnx shape inference timed out after 2 s"


def test_a_dead_worker_costs_its_file_only(tmp_path, monkeypatch):
    from paramlint.lint import engine
    from paramlint.run import pool
    from paramlint.lint.engine import Settings
    from paramlint.run.pool import analyze

    real = engine.load_model

    def load(path, *args, **kwargs):
        if path.endswith("die.yaml"):
            os.kill(os.getpid(), 9)  # the worker, as the OOM killer would
        return real(path, *args, **kwargs)

    monkeypatch.setattr(engine, "load_model", load)  # forked workers inherit it
    files = []
    for name in ("a.yaml", "die.yaml", "b.yaml", "c.yaml"):
        shutil.copy(FIXTURES / "lenet5.yaml", tmp_path / name)
        files.append(str(tmp_path / name))
    reports = analyze(files, Settings(), jobs=2)
    by_name = {Path(r.path).name: r for r in reports}
    assert by_name["die.yaml"].document["error"] == pool.WORKER_DIED
    assert [f.code for f in by_name["die.yaml"].findings] == ["PRM001"]
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        assert by_name[name].document["totals"]["params"] == GOOD["lenet5.yaml"]


def test_workers_die_with_their_parent(tmp_path):
    """SIGKILL the main process mid-run: no worker is left behind."""
    for i in range(40):
        shutil.copy(FIXTURES / "alexnet.onnx", tmp_path / f"m{i}.onnx")
    proc = subprocess.Popen([sys.executable, "-m", "paramlint", "check", "--no-cache", "-j", "2",
                             str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: set[int] = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(children) < 2:
        children |= _children_of(proc.pid)
        time.sleep(0.05)
    assert children, "no worker started"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.05)
    left = {pid: _name(pid) for pid in children if _alive(pid)}
    assert not left, left


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"


def _children_of(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
