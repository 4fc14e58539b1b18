"""The ``paramlint`` click group and how the process ends: known errors as
one line and exit 2, bugs with a traceback, Ctrl-C as exit 130, and a fast
exit without interpreter teardown when this process is the command.

Apart from the commands (commands.py) because it is about the process, not
about any one command; app.py (the entry point) imports both.
"""

from __future__ import annotations

import functools
import gc
import sys

import click

from paramlint import __version__


class Abort(Exception):
    """paramlint cannot do its job: one line on stderr, exit 2."""


def _known_error(exc: BaseException) -> bool:
    """Is ``exc`` a ConfigError, a BaselineError or an Abort?

    Looked up in ``sys.modules`` rather than imported: a run that never
    imported the baseline module (most do not) cannot have raised its
    error, and importing it just to catch nothing costs every run hashlib,
    tempfile and json.
    """
    if isinstance(exc, Abort):
        return True
    for module, name in (("paramlint.lint.config_errors", "ConfigError"),
                         ("paramlint.lint.baseline", "BaselineError")):
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(exc, cls):
            return True
    return False


def _guarded(func):
    """Exit 2 with one line for a known problem, with a traceback for a bug."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _known_error(exc):
                click.echo(f"paramlint: error: {exc}", err=True)
                sys.exit(2)
            # a bug: say so, show where, exit 2 not 1
            import traceback

            click.echo(f"paramlint: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo(traceback.format_exc(), err=True, nl=False)
            sys.exit(2)

    return wrapper


def _is_the_command() -> bool:
    """Whether this process is the ``paramlint`` command (the console script
    or ``python -m paramlint``), not a program that called ``main`` itself."""
    entry = sys.modules.get("__main__")
    spec = getattr(entry, "__spec__", None)
    if spec is not None and spec.name == "paramlint.__main__":
        return True
    name = str(getattr(entry, "__file__", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name in ("paramlint", "paramlint-script.py")


def _exit_now(code) -> None:
    """Exit as ``sys.exit(code)`` would, without tearing the interpreter down.

    Finalisation frees every object of every module one by one: 11-15 ms
    of a 100 ms run on one small file, for memory the kernel takes back
    anyway. Exit handlers run and the streams are flushed first; if a
    flush fails (a closed pipe), the ordinary exit reports it instead.
    """
    import atexit
    import os

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:
        return
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            return
    os._exit(status & 0xFF)


def _interrupted() -> None:
    """Ctrl-C: one line and exit 130 (128 + SIGINT), as any Unix tool;
    click's own handling prints "Aborted!" and exits 1, the status of
    "findings". Every file paramlint writes is written atomically, so
    stopping anywhere leaves nothing half written. It leaves at once:
    interpreter exit would join concurrent.futures' manager threads (an
    atexit hook), which can wait forever on workers that the interrupt
    left half started; workers die with this process (PR_SET_PDEATHSIG)."""
    click.echo("paramlint: interrupted", err=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    import os

    os._exit(130)


class _Main(click.Group):
    def __call__(self, *args, **kwargs):
        # The ``paramlint`` script: what start-up built lives until exit,
        # so no collection needs to walk it again.
        gc.freeze()
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as exc:
            if _is_the_command():
                _exit_now(exc.code)
            raise
        except KeyboardInterrupt:  # before or after click's own handling
            _interrupted()

    def make_context(self, *args, **kwargs):
        # Ctrl-C while the command line is parsed (start-up is fast now:
        # a terminal's Ctrl-C can land here rather than in an import)
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            _interrupted()

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            _interrupted()


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paramlint")
def main() -> None:
    """Static analysis of neural-network architectures (ONNX and YAML)."""
