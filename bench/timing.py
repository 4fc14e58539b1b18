"""How bench/run.py measures one command: wall time and the child's peak RSS.

Every benchmark case is a whole process (start-up included), because that
is what a user waits for: ``Timer.run`` starts it in its own session, times
it from the outside with ``time.perf_counter`` around a blocking wait, and
reads the child's maximum resident set from GNU ``/usr/bin/time -v`` when
present, else from a small ``python -c`` wrapper (``WRAPPER``) that reads
the child's rusage from ``os.wait4``. ``getrusage(RUSAGE_CHILDREN)`` deltas
are not used: they only move when a child beats every earlier one.

``Tool`` is one command of a case (what to run, how to prepare it, which
exit codes are fine); ``Sample`` is one measured run of it; ``Result`` is a
tool's runs, whose medians the tables and targets read. The case modules
(bench/cases*.py) build Tools; bench/run.py runs them; bench/results.py
reads the Results.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

GLOBAL_TIMEOUT = 1800.0  # a backstop for any single command

WRAPPER = r"""
import json, os, signal, subprocess, sys, threading, time
out, limit, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
start = time.perf_counter()
child = subprocess.Popen(cmd)
killed = []
def kill():
    killed.append(1)
    try:
        os.kill(child.pid, signal.SIGKILL)
    except OSError:
        pass
timer = threading.Timer(limit, kill) if limit > 0 else None
if timer:
    timer.start()
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
if timer:
    timer.cancel()
code = os.waitstatus_to_exitcode(status)
with open(out, "w") as handle:
    json.dump({"code": code, "wall": wall, "maxrss_kb": usage.ru_maxrss, "timed_out": bool(killed)}, handle)
sys.exit(code if code >= 0 else 128 - code)
"""


@dataclass
class Sample:
    ok: bool
    wall: float
    rss_mb: float | None
    code: int
    timed_out: bool = False
    error: str = ""


class Timer:
    """Runs one command and returns its wall time and the child's peak RSS."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.gnu_time = self._find_gnu_time()
        self.timeout_cmd = shutil.which("timeout")
        self.backend = ("GNU time -v (/usr/bin/time)" if self.gnu_time
                        else "os.wait4 wrapper (python -c ...; RSS includes the ~10 MB wrapper floor)")

    @staticmethod
    def _find_gnu_time() -> str | None:
        for candidate in ("/usr/bin/time", shutil.which("gtime")):
            if not candidate or not os.path.exists(candidate):
                continue
            try:
                probe = subprocess.run([candidate, "-v", "true"], capture_output=True, text=True, timeout=10)
            except (OSError, subprocess.SubprocessError):
                continue
            if "Maximum resident set size" in probe.stderr:
                return candidate
        return None

    def run(self, argv: list[str], cwd: Path, timeout: float | None = None,
            stdout_path: Path | None = None, env: dict[str, str] | None = None) -> Sample:
        stats = self.scratch / "rusage.out"
        errs = self.scratch / "stderr.out"
        for leftover in (stats,):
            if leftover.exists():
                leftover.unlink()
        if self.gnu_time:
            inner = argv
            if timeout and self.timeout_cmd:
                # --foreground: timeout kills only the command and reaps it, so
                # its peak RSS reaches time's rusage (without it, timeout
                # kills its whole process group, itself included, unreaped).
                inner = [self.timeout_cmd, "--foreground", "-s", "KILL", f"{timeout:g}"] + argv
            full = [self.gnu_time, "-v", "-o", str(stats)] + inner
        else:
            full = [sys.executable, "-c", WRAPPER, str(stats), f"{timeout or 0:g}"] + argv
        backstop = (timeout + 60) if timeout else GLOBAL_TIMEOUT
        # As installed, a package's bytecode is compiled once; with
        # PYTHONDONTWRITEBYTECODE inherited, every run would recompile the
        # modules whose .pyc is missing or stale and measure the compiler.
        env = dict(os.environ if env is None else env)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
        try:
            with open(errs, "wb") as err:
                start = time.perf_counter()
                proc = subprocess.Popen(full, cwd=cwd, stdout=out, stderr=err, start_new_session=True,
                                        env=env)
                # A blocking wait: Popen.wait(timeout=...) polls with sleeps of
                # up to 50 ms, which rounds every short run up to ~0.064,
                # 0.114, 0.164 s. The backstop kills from a timer instead.
                backstop_timer = threading.Timer(backstop, os.killpg, (proc.pid, 9))
                backstop_timer.start()
                try:
                    code = proc.wait()
                finally:
                    backstop_timer.cancel()
                wall = time.perf_counter() - start
                if code == -9 and wall >= backstop:
                    return Sample(False, wall, None, -9, True, "killed by the backstop")
        finally:
            if stdout_path:
                out.close()
        rss_kb, timed_out = None, False
        text = stats.read_text(errors="replace") if stats.exists() else ""
        if self.gnu_time:
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
            rss_kb = int(match.group(1)) if match else None
            timed_out = bool(timeout) and code in (124, 137) and wall >= timeout * 0.98
        elif text:
            data = json.loads(text)
            rss_kb, timed_out, wall = data["maxrss_kb"], data["timed_out"], data["wall"]
        stderr_text = errs.read_text(errors="replace")
        first = next((ln.strip() for ln in stderr_text.splitlines() if ln.strip()), "")
        if self.gnu_time and first.startswith(("Command exited with non-zero status", "Command terminated")):
            first = ""
        # Prefer the last line of a Python traceback: it names the error.
        lines = [ln.strip() for ln in stderr_text.splitlines() if ln.strip()]
        if lines and lines[0].startswith("Traceback"):
            first = lines[-1]
        return Sample(code == 0, wall, rss_kb / 1024 if rss_kb is not None else None, code, timed_out, first)


@dataclass
class Tool:
    key: str  # what targets and references name: report, check, warm, load, infer, onnx-tool, floor, cold
    label: str
    argv: list[str]
    ok_codes: tuple[int, ...] = (0,)
    timeout: float | None = None
    cwd: Path | None = None
    prepare: Callable[[], None] | None = None  # before every measured run
    prime: Callable[[], None] | None = None  # once, before the first run
    scan_stdout: bool = False  # capture stdout, a PRM001 in it is a failure
    explain: Callable[[], str] | None = None  # on failure: a better first line
    note: str = ""
    env: dict[str, str] | None = None


@dataclass
class Result:
    model: str
    key: str
    tool: str
    walls: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    failed: str = ""
    timed_out: bool = False
    skipped: str = ""
    note: str = ""

    @property
    def wall(self) -> float | None:
        return statistics.median(self.walls) if self.walls else None

    @property
    def peak(self) -> float | None:
        return statistics.median(self.rss) if self.rss else None

    @property
    def usable(self) -> bool:
        return bool(self.walls) and not self.failed
