"""How the paramlint command ends: as sys.exit would, without the interpreter's teardown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

AS_THE_COMMAND = """
import atexit, runpy, sys
atexit.register(lambda: print("exit handler ran", flush=True))
sys.argv = ["paramlint", *sys.argv[1:]]
runpy.run_module("paramlint", run_name="__main__", alter_sys=True)
print("never reached")
"""


def test_the_command_runs_exit_handlers_flushes_and_keeps_its_status():
    proc = subprocess.run([sys.executable, "-c", AS_THE_COMMAND, "check", "--no-cache",
                           str(FIXTURES / "alexnet.yaml")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "PRM302" in proc.stdout and "Found 2 findings" in proc.stdout
    assert proc.stdout.rstrip().endswith("exit handler ran")
    assert "never reached" not in proc.stdout


def test_a_usage_error_still_exits_2_with_its_message():
    proc = subprocess.run([sys.executable, "-c", AS_THE_COMMAND, "check", "--bogus"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "No such option" in proc.stderr


def test_a_program_calling_main_gets_systemexit_and_carries_on():
    code = ("from paramlint.cli.app import main\n"
            "try:\n    main(['check', '--no-cache', %r])\n"
            "except SystemExit as exc:\n    print('caught', exc.code)\n") % str(FIXTURES / "alexnet.yaml")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("caught 1"), proc.stderr
