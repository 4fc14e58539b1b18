"""How many worker processes a run uses when the user did not say (``-j``).

Workers pay for themselves only when the work they share outweighs
starting them, and both sides were measured on the machine paramlint is
developed on (2 cores, Python 3.11, in-process, bench/models' files and the
fixtures; docs/decisions.md, "Speed"):

- analysing a file costs about ``YAML_S_PER_BYTE`` per byte of YAML (a
  537-byte LeNet-5 0.8 ms, a 3.8 kB transformer 5 ms) and
  ``ONNX_S + ONNX_S_PER_BYTE`` per byte of ONNX (a 320 kB export 19 ms,
  a 1.4 MB one 80 ms; tensor payloads are skipped, so large embedded
  weights make this an overestimate, which only ever favours workers for
  work that is large anyway);
- a worker costs ``WORKER_S`` to fork and hand its first file (the pool,
  the copy-on-write faults of a parent that has imported everything), and
  ``WORKER_ONNX_S`` more on its first ONNX file (its own supervised child
  for onnx's shape inference, isolate.py).

The parent analyses the first file itself (so that workers inherit its
imports), the rest is shared; a run takes workers only if that is
predicted to take at most ``WIN`` of the time alone. The machine's cores
are those this process may run on (CPU affinity, a cgroup's CPU quota),
less the other processes running on them at this moment (``busy``): on a
2-core machine kept busy by other work, workers measured 1.0-1.3x the
time alone, against 0.64-0.79x on an idle one. The load average is not
used: it lags by a minute and counts paramlint's own previous runs.
"""

from __future__ import annotations

import os

YAML_S_PER_BYTE = 1.5e-6
ONNX_S = 0.5e-3
ONNX_S_PER_BYTE = 55e-9
OTHER_S = 2e-3  # a format not measured: about a small model's cost
WORKER_S = 0.010
WORKER_ONNX_S = 0.020
#: Workers must be predicted to take at most this share of the time alone:
#: the model is rough, and the promise is never to be slower than -j 1.
WIN = 0.8
MAX_WORKERS = 8


def cores() -> int:
    """The CPUs this process may use: affinity, then a cgroup v2 CPU quota."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max", "rb") as handle:
            quota, period = handle.read().split()[:2]
        if quota != b"max":
            count = min(count, max(1, int(quota) // max(int(period), 1)))
    except (OSError, ValueError):
        pass
    return max(1, count)


def busy(samples: int = 3) -> int:
    """Other tasks running right now (Linux ``/proc/loadavg``; 0 elsewhere).

    The kernel's count of runnable tasks includes this process; the least
    of a few reads a millisecond apart, so that a passing shell is not
    taken for a busy machine.
    """
    import time

    least = None
    for i in range(samples):
        if i:
            time.sleep(0.001)
        try:
            with open("/proc/loadavg", "rb") as handle:
                running = running_tasks(handle.read())
        except OSError:
            return 0
        least = running if least is None else min(least, running)
    return max(0, (least or 1) - 1)


def running_tasks(loadavg: bytes) -> int:
    """The runnable tasks of a ``/proc/loadavg`` line (``0.5 0.4 0.3 2/97 1234``)."""
    try:
        return int(loadavg.split()[3].split(b"/")[0])
    except (IndexError, ValueError):
        return 1


def cost(path: str, size: int) -> float:
    """Predicted seconds to analyse one file of ``size`` bytes."""
    suffix = path.rpartition(".")[2].lower()
    if suffix in ("yaml", "yml"):
        return YAML_S_PER_BYTE * size
    if suffix == "onnx":
        return ONNX_S + ONNX_S_PER_BYTE * size
    return OTHER_S


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def choose(paths: list[str], available: int | None = None) -> int:
    """The worker count predicted fastest for these files (1: none)."""
    if len(paths) < 3:
        return 1
    costs = [cost(p, _size(p)) for p in paths]
    alone = sum(costs)
    if alone * WIN <= costs[0] + 2 * WORKER_S:
        return 1  # no pool can win: no need to look at the machine
    if available is None:
        available = cores() - busy()
    available = min(available, MAX_WORKERS, len(paths) - 1)
    if available < 2:
        return 1
    rest, biggest = alone - costs[0], max(costs[1:])
    start = WORKER_S + (WORKER_ONNX_S if any(p.lower().endswith(".onnx") for p in paths) else 0)
    best, best_time = 1, alone * WIN
    for workers in range(2, available + 1):
        predicted = costs[0] + workers * start + max(rest / workers, biggest)
        if predicted < best_time:
            best, best_time = workers, predicted
    return best
