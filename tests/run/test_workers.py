"""The automatic worker count: workers only when the predicted work outweighs starting them."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from paramlint.run import workers


@pytest.fixture
def sizes(monkeypatch):
    table: dict[str, int] = {}
    monkeypatch.setattr(workers, "_size", lambda path: table.get(path, 0))
    return table


def files(sizes, n, suffix, size):
    names = [f"m{i}.{suffix}" for i in range(n)]
    sizes.update(dict.fromkeys(names, size))
    return names


def test_a_few_small_files_are_analysed_in_this_process(sizes):
    assert workers.choose(files(sizes, 10, "yaml", 540), available=2) == 1
    assert workers.choose(files(sizes, 4, "onnx", 320_000), available=2) == 1


def test_many_files_use_the_cores(sizes):
    assert workers.choose(files(sizes, 1000, "yaml", 540), available=2) == 2
    assert workers.choose(files(sizes, 40, "onnx", 320_000), available=2) == 2
    assert workers.choose(files(sizes, 1000, "yaml", 540), available=4) == 4


def test_one_core_or_two_files_never_fork(sizes):
    assert workers.choose(files(sizes, 1000, "yaml", 540), available=1) == 1
    assert workers.choose(files(sizes, 2, "onnx", 50_000_000), available=8) == 1


def test_one_huge_file_among_small_ones_does_not_call_for_more_workers_than_help(sizes):
    names = files(sizes, 3, "yaml", 540) + ["big.onnx"]
    sizes["big.onnx"] = 40_000_000
    # The big file takes as long with workers as without: the small ones do not pay for a pool.
    assert workers.choose(names, available=8) == 1


def test_the_same_files_in_bigger_sizes_never_get_fewer_workers(sizes):
    small = workers.choose(files(sizes, 30, "onnx", 100_000), available=4)
    big = workers.choose(files(sizes, 30, "onnx", 1_000_000), available=4)
    assert big >= small


@given(st.lists(st.tuples(st.sampled_from(["yaml", "onnx", "yml", "keras"]),
                          st.integers(0, 10**9)), max_size=60), st.integers(1, 64))
def test_the_count_is_between_one_and_the_cores_and_below_the_files(entries, available):
    table = {f"m{i}.{suffix}": size for i, (suffix, size) in enumerate(entries)}
    original = workers._size
    workers._size = table.get
    try:
        chosen = workers.choose(list(table), available=available)
    finally:
        workers._size = original
    assert 1 <= chosen <= max(1, min(available, workers.MAX_WORKERS, len(table) - 1))


def test_cores_is_at_least_one():
    assert workers.cores() >= 1


def test_other_running_tasks_are_read_from_the_kernels_count():
    assert workers.running_tasks(b"2.76 3.02 2.40 3/104 17414\n") == 3
    assert workers.running_tasks(b"garbage") == 1
    assert workers.busy() >= 0


def test_cores_taken_by_other_work_are_not_counted(sizes, monkeypatch):
    names = files(sizes, 1000, "yaml", 540)
    monkeypatch.setattr(workers, "cores", lambda: 4)
    monkeypatch.setattr(workers, "busy", lambda: 0)
    assert workers.choose(names) == 4
    monkeypatch.setattr(workers, "busy", lambda: 2)
    assert workers.choose(names) == 2
    monkeypatch.setattr(workers, "busy", lambda: 3)
    assert workers.choose(names) == 1
