"""Native code on untrusted input, in a supervised child process.

onnx's C++ shape inference segfaults, aborts or spins on some hostile
one-node graphs, and a memory-mapped file truncated while it is read raises
SIGBUS. Neither can be caught in the process it happens in, so that work
runs here: in one long-lived child per process (forked on first use, so a
YAML-only run never starts it), spoken to through a pipe with
length-prefixed messages of plain bytes (no pickle from the child: it has
read the hostile file).

The child lives with limits: address space (``RLIMIT_AS``), no core dumps,
a deadline per call, a cap on the answer's size; it dies with its parent
(``PR_SET_PDEATHSIG``) and ignores Ctrl-C (the parent handles it). When it
crashes, hangs or breaks a limit, ``call`` raises ``ChildFailed`` naming
what happened, the child is reaped, and the next call starts a fresh one.
Where ``os.fork`` does not exist, jobs run in-process.
"""

from __future__ import annotations

import atexit
import importlib
import os
import select
import signal
import struct
import sys
import time

#: Address space the child may add to what it inherits (onnx's inference of
#: a 50,000-node graph peaks far below 1 GiB).
MEMORY_BYTES = 4 << 30
#: Largest answer accepted from the child.
MAX_ANSWER = 1 << 30

_REQUEST = struct.Struct("!HQ")
_ANSWER = struct.Struct("!cQ")
_OK, _ERROR = b"O", b"E"


class ChildFailed(Exception):
    """The child crashed, hung or broke a limit; ``str`` says which."""

    def __init__(self, what: str, transient: bool = False) -> None:
        super().__init__(what)
        #: A deadline missed on a busy machine may pass next time: not a
        #: property of the file, so not worth caching.
        self.transient = transient


class JobError(Exception):
    """The job itself raised; ``str`` is its one-line message."""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def die_with_parent(parent: int | None = None) -> None:
    """Linux: the kernel kills this process when its parent exits.

    ``parent``: the pid that started us; if it is already gone (it died
    before this call), exit now, as the kernel will not tell us later.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except Exception:
            pass
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _address_space() -> int:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_child() -> None:
    import resource

    for what, value in ((resource.RLIMIT_CORE, 0),
                        (resource.RLIMIT_AS, _address_space() + MEMORY_BYTES)):
        try:
            soft, hard = resource.getrlimit(what)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            if soft == resource.RLIM_INFINITY or value < soft:
                resource.setrlimit(what, (value, hard))
        except (ValueError, OSError):
            pass


def _read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    chunks = []
    while n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _run_job(job: str, payload: bytes) -> tuple[bytes, bytes]:
    module, _, name = job.partition(":")
    try:
        return _OK, getattr(importlib.import_module(module), name)(payload)
    except JobError as exc:
        return _ERROR, str(exc).encode("utf-8", "replace")
    except MemoryError:
        return _ERROR, b"out of memory"
    except RecursionError:
        return _ERROR, b"nested too deeply"
    except Exception as exc:
        return _ERROR, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")


def _serve(requests: int, answers: int, parent: int) -> None:
    """The child's loop: a request in, an answer out, until EOF."""
    while True:
        if os.getppid() != parent:
            return
        try:
            head = _read_exact(requests, _REQUEST.size)
        except (EOFError, OSError):
            return
        job_len, payload_len = _REQUEST.unpack(head)
        job = _read_exact(requests, job_len).decode("utf-8")
        payload = _read_exact(requests, payload_len)
        status, data = _run_job(job, payload)
        del payload
        _write_all(answers, _ANSWER.pack(status, len(data)) + data)


class _Child:
    def __init__(self) -> None:
        parent = os.getpid()
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 0
            try:
                os.close(req_w)
                os.close(ans_r)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                if "faulthandler" in sys.modules:  # its dump would reach the user's stderr
                    sys.modules["faulthandler"].disable()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                die_with_parent(parent)
                _limit_child()
                _serve(req_r, ans_w, parent)
            except BaseException:
                code = 70
            finally:
                os._exit(code)
        os.close(req_r)
        os.close(ans_w)
        self.pid, self.owner = pid, parent
        self.requests, self.answers = req_w, ans_r

    def close(self, kill: bool = True) -> int | None:
        """Stop and reap the child; its wait status, if it was reaped."""
        for fd in (self.requests, self.answers):
            try:
                os.close(fd)
            except OSError:
                pass
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            return os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            return None

    def send(self, job: str, payload: bytes) -> None:
        """Hand the child a job; its answer is read by ``receive``."""
        name = job.encode("utf-8")
        try:
            _write_all(self.requests, _REQUEST.pack(len(name), len(payload)) + name)
            _write_all(self.requests, payload)
        except OSError:
            raise self._failed() from None

    def receive(self, deadline: float, timeout: float) -> tuple[bytes, bytes]:
        try:
            status, size = _ANSWER.unpack(_read_exact(self.answers, _ANSWER.size, deadline))
            if size > MAX_ANSWER:
                raise OverflowError
            return status, _read_exact(self.answers, size, deadline)
        except TimeoutError:
            self.close()
            raise ChildFailed(f"timed out after {round(timeout, 1):g} s", transient=True) from None
        except OverflowError:
            self.close()
            raise ChildFailed(f"answer over the {MAX_ANSWER >> 20} MiB limit") from None
        except (EOFError, OSError):
            raise self._failed() from None

    def _failed(self) -> ChildFailed:
        """The child is gone: reaped, and why, as a ChildFailed."""
        status = self.close(kill=False)
        if status is not None and os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGKILL:
                return ChildFailed("was killed (SIGKILL, out of memory?)", transient=True)
            return ChildFailed(f"crashed ({_signal_name(sig)})")
        code = os.WEXITSTATUS(status) if status is not None else "unknown"
        return ChildFailed(f"exited unexpectedly (status {code})")


_child: _Child | None = None


def _stop() -> None:
    global _child, _pending
    if _child is not None and _child.owner == os.getpid():
        _child.close()
    _child = None
    _pending = None


atexit.register(_stop)


class Pending:
    """A job handed to the child, its answer not read yet: the caller goes
    on with work of its own meanwhile (the loader builds its graph while
    the child infers shapes, on another core). Read it with ``result``, or
    drop it with ``cancel``; until then no other job may be submitted."""

    def __init__(self, job: str, payload: bytes, timeout: float) -> None:
        global _child, _pending
        if _pending is not None and _child is not None and _child.owner == os.getpid():
            raise RuntimeError("a job is already pending in the child")
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self._answer: tuple[bytes, bytes] | None = None
        self._job: tuple[str, bytes] | None = None
        if not hasattr(os, "fork"):  # run in-process, when the answer is asked for
            self._job = (job, payload)
            return
        if _child is not None and _child.owner != os.getpid():
            _child = None  # inherited through a fork: the parent's, not ours
        if _child is None:
            _child = _Child()
        try:
            _child.send(job, payload)
        except ChildFailed:
            _child = None
            raise
        _pending = self

    def result(self) -> bytes:
        """The job's answer. Raises ``JobError`` with the job's own message,
        ``ChildFailed`` when the child crashed, hung or broke a limit (and
        is replaced)."""
        global _child, _pending
        if self._answer is None:
            if self._job is not None:
                self._answer = _run_job(*self._job)
            else:
                if _pending is not self or _child is None:
                    raise RuntimeError("this job's answer was already read or dropped")
                _pending = None
                try:
                    self._answer = _child.receive(self.deadline, self.timeout)
                except ChildFailed:
                    _child = None
                    raise
        status, data = self._answer
        if status != _OK:
            raise JobError(data.decode("utf-8", "replace"))
        return data

    def cancel(self) -> None:
        """Drop an unread answer: the child, mid-job, is stopped (the next
        job starts a fresh one)."""
        global _pending
        if _pending is self:
            _pending = None
            _stop()


_pending: Pending | None = None


def submit(job: str, payload: bytes, timeout: float) -> Pending:
    """``job(payload)`` (a ``"module:function"`` taking and returning bytes)
    started in the supervised child; its answer is due within ``timeout``
    seconds of now."""
    return Pending(job, payload, timeout)


def call(job: str, payload: bytes, timeout: float) -> bytes:
    """``job(payload)`` in the supervised child, within ``timeout`` seconds.

    Raises ``JobError`` with the job's own error message, ``ChildFailed``
    when the child crashed, hung or broke a limit (and is replaced).
    """
    return submit(job, payload, timeout).result()


def started() -> bool:
    """Whether this process has a child running (for tests and benches)."""
    return _child is not None and _child.owner == os.getpid()


def reset() -> None:
    """Stop this process's child; the next call forks a fresh one (which
    sees the parent's memory as it is then: tests that patch a job use it)."""
    _stop()
