"""What bench/run.py measures, and on what: paramlint's command, its flags, the peers, the machine.

The benchmark measures the ``paramlint`` script beside the running
interpreter (``paramlint_cmd``), so a run says which code it timed:
``tree_state`` records HEAD and uncommitted changes at the start and end,
and ``--snapshot`` (``make_snapshot``) exports the committed analyzer/ and
rules/ and puts them first on PYTHONPATH, through ``PARAMLINT_ENV``, so that
engineers editing the tree mid-run do not change the code under the
benchmark. ``check_flags`` reads ``paramlint check --help`` because older
paramlints lack the cache flags the cases would like to use.

onnx-tool, the slow peer, lives in bench/.venv-peers (``ensure_peers``),
never in paramlint's dependencies. ``machine`` gives the rows of
RESULTS.md's Machine table (CPU, RAM, load average at the start, versions)
that a reader needs to compare two runs.

``PARAMLINT_ENV`` is rebound by ``make_snapshot``: read it as
``environment.PARAMLINT_ENV`` when a command is built or run, not through
``from environment import PARAMLINT_ENV`` (that would keep the None).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

from timing import Timer

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PEERS_VENV = BENCH / ".venv-peers"
LOAD_AT_START = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)


def paramlint_cmd() -> list[str]:
    script = Path(sys.executable).with_name("paramlint")
    if script.exists():
        return [str(script)]
    found = shutil.which("paramlint")
    if found:
        return [found]
    return [sys.executable, "-m", "paramlint.cli.app"]


#: Environment for paramlint commands: with --snapshot, PYTHONPATH puts an
#: export of the committed analyzer/ and rules/ ahead of the editable
#: install, so engineers editing the tree mid-run do not change the code
#: (or invalidate the cache) under the benchmark.
PARAMLINT_ENV: dict[str, str] | None = None


def make_snapshot(folder: Path, log) -> str:
    """Export HEAD's analyzer/ and rules/ into folder; returns the commit."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=True).stdout.strip()
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD", "analyzer", "rules"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    # Lay the export out as the installed package: analyzer/ is paramlint,
    # rules/ is paramlint.rules.
    (folder / "analyzer").rename(folder / "paramlint")
    (folder / "rules").rename(folder / "paramlint" / "rules")
    # Bytecode now, or the first measured runs would pay for compiling it.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True, capture_output=True)
    env = dict(os.environ, PYTHONPATH=str(folder) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    where = subprocess.run([sys.executable, "-c", "import paramlint.rules; print(paramlint.__file__)"],
                           capture_output=True, text=True, env=env, cwd=folder.parent).stdout.strip()
    if not where.startswith(str(folder)):
        raise SystemExit(f"bench: --snapshot: paramlint still imports from {where or '?'}")
    global PARAMLINT_ENV
    PARAMLINT_ENV = env
    log(f"measuring paramlint at commit {commit} (a snapshot in {folder})")
    return commit


def tree_state() -> str:
    """HEAD and whether the code paramlint runs has uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "analyzer", "rules"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return head + (f" + {len(dirty.splitlines())} uncommitted file(s) in analyzer/, rules/" if dirty else "")


def check_flags(paramlint: list[str]) -> set[str]:
    try:
        text = subprocess.run(paramlint + ["check", "--help"], capture_output=True, text=True, timeout=60,
                              env=PARAMLINT_ENV).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", text))


def ensure_peers(log) -> tuple[str | None, str]:
    """bench/.venv-peers with onnx-tool; returns (python, error)."""
    python = PEERS_VENV / "bin" / "python"
    probe = [str(python), "-c", "import onnx_tool"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return str(python), ""
    log(f"creating {PEERS_VENV.relative_to(REPO)} with onnx-tool (once) ...")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True, capture_output=True,
                       text=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "onnx-tool"],
                       check=True, capture_output=True, text=True, timeout=900)
        subprocess.run(probe, check=True, capture_output=True, text=True, timeout=120)
    except subprocess.CalledProcessError as exc:
        lines = [ln for ln in (exc.stderr or exc.stdout or "").splitlines() if ln.strip()]
        return None, f"could not install onnx-tool: {lines[-1] if lines else exc}"
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not install onnx-tool: {exc}"
    return str(python), ""


def versions(python: str, code: str) -> str:
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.stdout.strip() or "?"


def machine(peer_python: str | None, timer: Timer, flags: set[str], code_rows) -> list[tuple[str, str]]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "?"
    ram = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    dev = versions(sys.executable, "import importlib.metadata as m\nfor n in ('paramlint','onnx','numpy','PyYAML','click'):\n"
                   "    try: print(n, m.version(n))\n    except Exception: print(n, '?')")
    peers = versions(peer_python, "import importlib.metadata as m\nfor n in ('onnx-tool','onnx','numpy'):\n"
                     "    print(n, m.version(n))") if peer_python else "not installed"
    rows = [
        ("date", _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("RAM", ram),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("load average at the start", " ".join(f"{x:.2f}" for x in LOAD_AT_START)),
        ("Python", platform.python_version() + f" ({sys.executable})"),
        ("dev environment", ", ".join(dev.splitlines())),
        ("peer environment", ", ".join(peers.splitlines()) + f" ({PEERS_VENV.relative_to(REPO)})"),
        *code_rows,
        ("check flags seen", ", ".join(sorted(f for f in flags if "cache" in f)) or "no cache flags"),
        ("measured with", timer.backend),
    ]
    return rows
