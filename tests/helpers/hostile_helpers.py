"""Shared machinery for the hostile-input suites (issue 5).

Three promises are tested: a hostile or broken file never produces a
traceback (only a ``LoadError`` / PRM001), never hangs, and never makes
paramlint read anything but the file it was given.

* ``Hang`` / ``hang_guard``: a hang detector (SIGALRM), not a timing.
  ``Hang`` derives from ``BaseException`` so that the engine's and the
  loaders' ``except Exception`` boundaries cannot swallow it.
* ``check_invariants`` / ``check_failure``: what a loaded model, or a
  refusal, must look like.
* ``truncations`` / ``flips``: the mutation corpus.
* ``run_corpus``: runs this file as a script in a child process, with an
  audit hook that records every ``open`` outside an allowlist and an
  address-space limit, analyses every file given in one process, and
  returns what went wrong.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"

#: Per-file hang bound, seconds. Generous on purpose: a small architecture
#: file takes milliseconds; only a runaway loop reaches this.
HANG_SECONDS = 10.0
#: Address-space limit of the corpus child process (RLIMIT_AS).
MEMORY_LIMIT = 2 * 1024**3


class Hang(BaseException):
    """Raised by SIGALRM inside ``hang_guard``."""


@contextlib.contextmanager
def hang_guard(seconds: float = HANG_SECONDS, what: str = ""):
    """Raise ``Hang`` if the body runs longer than ``seconds`` (main thread only)."""

    def on_alarm(signum, frame):
        raise Hang(f"no result after {seconds:g} s: {what}")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ------------------------------------------------------------ invariants


def check_invariants(model) -> list[str]:
    """Violations of counting.md's totals identities on a loaded model ([] if none)."""
    from paramlint.analysis.counting import count

    problems: list[str] = []
    texts = [("model.name", model.name), *((f"weight {k!r}", k) for k in model.weights)]
    for layer in model.layers:
        texts += [(f"layer {layer.name!r} name", layer.name), (f"layer {layer.name!r} op", layer.op),
                  (f"layer {layer.name!r} source_op", layer.source_op)]
        texts += [(f"layer {layer.name!r} tensor", t) for t in (*layer.inputs, *layer.outputs, *layer.weights)]
    problems += [f"{what} is {type(value).__name__}, not str: {value!r}"
                 for what, value in texts if not isinstance(value, str)]
    counts = count(model)
    t = counts.totals
    for name in ("params", "trainable", "non_trainable", "per_use_params", "tied_savings", "unused_params"):
        value = getattr(t, name)
        if type(value) is not int or value < 0:
            problems.append(f"totals.{name} = {value!r} is not an int >= 0")
    if problems:
        return problems
    if t.params + t.tied_savings != t.per_use_params:
        problems.append(f"params {t.params} + tied_savings {t.tied_savings} != per_use_params {t.per_use_params}")
    if t.params > t.per_use_params:
        problems.append(f"params {t.params} > per_use_params {t.per_use_params}")
    if t.trainable + t.non_trainable != t.params:
        problems.append(f"trainable {t.trainable} + non_trainable {t.non_trainable} != params {t.params}")
    layer_sum = 0
    for layer in model.layers:
        c = counts.layers.get(layer.name)
        if c is None:
            problems.append(f"layer {layer.name!r} has no counts")
            continue
        if type(c.params) is not int or c.params < 0:
            problems.append(f"layer {layer.name!r}: params = {c.params!r} is not an int >= 0")
            continue
        layer_sum += c.params
    if layer_sum != t.per_use_params:
        problems.append(f"sum of layer params {layer_sum} != per_use_params {t.per_use_params}")
    if len({layer.name for layer in model.layers}) != len(model.layers):
        problems.append("two layers share a name")
    return problems


def document_problems(doc: dict) -> list[str]:
    """counting.md's identities on a report document (a failed one has null totals)."""
    t = doc.get("totals") or {}
    if doc.get("error"):
        return [] if all(v is None for v in t.values()) and not doc.get("layers") else \
            ["a failed model has counts"]
    keys = ("params", "trainable", "non_trainable", "per_use_params", "tied_savings")
    if not all(type(t.get(k)) is int and t[k] >= 0 for k in keys):
        return [f"totals not ints >= 0: {t}"]
    problems = []
    if t["params"] + t["tied_savings"] != t["per_use_params"]:
        problems.append(f"params + tied_savings != per_use_params: {t}")
    if t["params"] > t["per_use_params"]:
        problems.append(f"params > per_use_params: {t}")
    if t["trainable"] + t["non_trainable"] != t["params"]:
        problems.append(f"trainable + non_trainable != params: {t}")
    # A layer whose parameters are unknown (docs/unknowns.md) has params
    # null and the part counted in params_at_least; the totals sum those.
    unknown = set((doc.get("partial") or {}).get("params") or ())
    if unknown and t.get("params_complete") is not False:
        problems.append("layers with unknown params, yet params_complete is not false")
    layer_params = []
    for layer in doc.get("layers", []):
        if layer.get("name") in unknown:
            if layer.get("params") is not None:
                problems.append(f"layer {layer.get('name')!r}: params unknown, yet not null")
            layer_params.append(layer.get("params_at_least"))
        else:
            layer_params.append(layer.get("params"))
    if not all(type(p) is int and p >= 0 for p in layer_params):
        problems.append("a layer's params is not an int >= 0")
    elif sum(layer_params) != t["per_use_params"]:
        problems.append(f"sum of layer params {sum(layer_params)} != per_use_params {t['per_use_params']}")
    return problems


def check_failure(error) -> list[str]:
    """What is wrong with a LoadError's message ([] if it is one clean line)."""
    text = str(error)
    problems = []
    if not error.message or not error.message.strip():
        problems.append("empty LoadError message")
    if "\n" in text or "\r" in text:
        problems.append(f"LoadError message spans lines: {text!r}")
    if "internal error" in text:
        problems.append(f"a loader bug surfaced as a load error: {text}")
    return problems


def load_both(text: str | bytes, suffix: str = ".yaml"):
    """The loader (raises only LoadError) and load_model (never raises) on one file.

    Returns the model, or None if it was refused; asserts the invariants.
    """
    from paramlint.lint.engine import load_model
    from paramlint.ir.model import LoadError
    from paramlint.loaders import candidates

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model" + suffix)
        with open(path, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        with hang_guard(what=path):
            try:
                model = candidates(path)[0].loader()(path)
            except LoadError as exc:
                problems = check_failure(exc)
                assert not problems, problems
                error = exc
            else:
                problems = check_invariants(model)
                assert not problems, problems
                error = None
            again = load_model(path)
        assert again.failed == (error is not None)
        if error is not None:
            assert again.error.message == error.message
        else:
            assert [(la.name, la.op) for la in again.layers] == [(la.name, la.op) for la in model.layers]
        return model if error is None else None


# --------------------------------------------------------------- mutants


def truncation_offsets(size: int, count: int = 40) -> list[int]:
    """``count`` offsets spread over ``[0, size)``, always with 0, 1 and size-1."""
    if size <= 0:
        return []
    offsets = {0, min(1, size - 1), size - 1}
    for i in range(count):
        offsets.add(i * (size - 1) // max(1, count - 1))
    return sorted(offsets)


def truncations(data: bytes, count: int = 40) -> list[tuple[str, bytes]]:
    return [(f"trunc{n}", data[:n]) for n in truncation_offsets(len(data), count)]


def flips(data: bytes, count: int = 40, seed: int = 0) -> list[tuple[str, bytes]]:
    """``count`` copies of ``data``, each with 1-4 seeded random bytes changed."""
    if not data:
        return []
    rng = random.Random(f"{seed}:{len(data)}")
    out = []
    for i in range(count):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(buf))
            # Half plain bit flips, half bytes that matter to the parsers
            # (YAML indicators, protobuf tag/varint bytes).
            if rng.random() < 0.5:
                buf[pos] ^= 1 << rng.randrange(8)
            else:
                buf[pos] = rng.choice(b"\x00\x08\x0a\x12\x1a\x22\x7f\x80\xff:-[]{}&*!|>#'\"\n\t ")
        out.append((f"flip{i}", bytes(buf)))
    return out


def write_mutants(source: Path, folder: Path, trunc: int = 40, flip: int = 40, seed: int = 0) -> list[Path]:
    """Truncated and flipped copies of ``source`` in ``folder``, same suffix."""
    data = source.read_bytes()
    paths = []
    for tag, blob in truncations(data, trunc) + flips(data, flip, seed):
        path = folder / f"{source.stem}.{tag}{source.suffix}"
        path.write_bytes(blob)
        paths.append(path)
    return paths


# ------------------------------------------------------ small ONNX models


def onnx_corpus_models(folder: Path) -> list[Path]:
    """A few small ONNX models built with onnx.helper, including hostile ones.

    ``external.onnx`` names an external-data file next to it and one by
    absolute path; both exist, so a loader that followed them would open
    them, and the audit hook would see it.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True, exist_ok=True)
    out = []

    def save(model, name):
        path = folder / name
        path.write_bytes(model.SerializeToString())
        out.append(path)

    rng = np.random.default_rng(0)

    def init(name, shape, values=None):
        arr = values if values is not None else rng.standard_normal(shape).astype(np.float32)
        return numpy_helper.from_array(np.asarray(arr, dtype=np.float32).reshape(shape), name)

    # conv -> bn -> relu -> flatten -> gemm, weights inside the file
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"], name="bn"),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="fc", transB=1),
    ]
    inits = [init("w", (4, 3, 3, 3)), init("b", (4,)), init("s", (4,)), init("bb", (4,)),
             init("m", (4,)), init("v", (4,), np.ones(4)), init("fw", (10, 256)), init("fb", (10,))]
    graph = helper.make_graph(nodes, "small", [x], [y], inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), "small_cnn.onnx")

    # an embedding tied to the output projection, with a shared MatMul weight
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", 5])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, None)
    table = init("table", (20, 6))
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["e"], name="embed"),
        helper.make_node("Transpose", ["table"], ["tt"], name="tie", perm=[1, 0]),
        helper.make_node("MatMul", ["e", "tt"], ["logits"], name="proj"),
    ]
    graph = helper.make_graph(nodes, "tied", [ids], [logits], [table])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), "tied.onnx")

    # external data: a sibling file and an absolute path, both present
    (folder / "weights.bin").write_bytes(b"\0" * 4096)
    secret = folder / "secret.bin"
    secret.write_bytes(b"\1" * 4096)
    def external(name, dims, location, **more):
        t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims)
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location), *more.items()):
            t.external_data.add(key=key, value=value)
        return t

    w = external("w_ext", [16, 8], "weights.bin", offset="0", length="512")
    w2 = external("w_abs", [8, 4], str(secret))
    w3 = external("w_up", [4, 2], "../../../../../../etc/passwd")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    nodes = [helper.make_node("MatMul", ["x", "w_ext"], ["a"], name="m1"),
             helper.make_node("MatMul", ["a", "w_abs"], ["b"], name="m2"),
             helper.make_node("MatMul", ["b", "w_up"], ["y"], name="m3")]
    graph = helper.make_graph(nodes, "external", [x], [y], [w, w2, w3])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), "external.onnx")

    # a model-local function and a subgraph (If), so the walkers see nesting
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [2])
    then_out = helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])
    else_out = helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])
    then_g = helper.make_graph([helper.make_node("Identity", ["k1"], ["t"])], "then", [], [then_out],
                               [init("k1", (2,))])
    else_g = helper.make_graph([helper.make_node("Identity", ["k2"], ["e"])], "else", [], [else_out],
                               [init("k2", (2,))])
    nodes = [helper.make_node("If", ["cond"], ["z"], name="branch", then_branch=then_g, else_branch=else_g)]
    graph = helper.make_graph(nodes, "branchy", [cond], [z])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), "branchy.onnx")
    onnx.checker.check_model(onnx.load(str(folder / "small_cnn.onnx")))
    return out


# ----------------------------------------------------------- the corpus run


def run_corpus(files: list[Path], out_dir: Path, timeout: float | None = None) -> dict:
    """Analyse ``files`` in one child process under the audit hook and RLIMIT_AS.

    Returns the child's report: ``crashes`` (exceptions that escaped, with
    tracebacks), ``hangs``, ``internal`` (PRM001 or rule findings that say
    "internal error"), ``outside`` (files opened that are not allowed),
    ``render`` (formats that crashed on the reports) and ``analysed``.
    """
    import resource

    manifest = out_dir / "manifest.json"
    result = out_dir / "result.json"
    manifest.write_text(json.dumps([str(f) for f in files]))

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = dict(os.environ)
    # No .pyc writes into the repo while the audit hook watches; one BLAS
    # thread so the address space numpy reserves does not scale with cores.
    env.update(PYTHONDONTWRITEBYTECODE="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if timeout is None:
        timeout = 120 + len(files) * 0.5
    proc = subprocess.run([sys.executable, __file__, str(manifest), str(result)],
                          capture_output=True, text=True, timeout=timeout, env=env,
                          preexec_fn=limit_memory, cwd=str(out_dir))
    if proc.returncode != 0 or not result.exists():
        raise AssertionError(f"corpus child failed (status {proc.returncode}):\n"
                             f"stdout: {proc.stdout[-4000:]}\nstderr: {proc.stderr[-4000:]}")
    return json.loads(result.read_text())


def _allowed_prefixes() -> list[str]:
    """Folders whose files the child may open for reading.

    * ``sys.prefix``, ``sys.exec_prefix``, ``sys.base_prefix``,
      ``sys.base_exec_prefix``: the interpreter's standard library and the
      virtual environment, i.e. imports (onnx, numpy, yaml and their
      extension modules are imported lazily, on the first file that needs
      them) and ``importlib.metadata`` reading the ``.dist-info`` of the
      installed distributions to find the ``paramlint.rules`` plugins;
    * every site-packages folder (a user site may live outside the prefixes);
    * the repository's ``analyzer/`` and ``rules/`` packages: the editable
      install imports them from the work tree, and formats/loaders/rules
      are imported on first use, i.e. while a model is being analysed.

    Nothing else: not the folder of the model (no sibling, no external-data
    file), not /etc, /proc, /dev, the home folder or the current folder.
    Only read modes are allowed even there (PYTHONDONTWRITEBYTECODE is set).
    """
    import site

    roots = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    roots.update(site.getsitepackages())
    user = site.getusersitepackages()
    if isinstance(user, str):
        roots.add(user)
    roots.update({str(REPO / "analyzer"), str(REPO / "rules")})
    return sorted(os.path.realpath(r) + os.sep for r in roots)


def _child(manifest: str, result: str) -> None:
    """The corpus child: audit hook first, then every file in one process."""
    files = json.loads(Path(manifest).read_text())
    state = {"current": None, "outside": [], "armed": True}
    allowed = _allowed_prefixes()
    result_real = os.path.realpath(result)

    def hook(event, args):
        if event != "open" or not state["armed"]:
            return
        path, mode, flags = args[0], args[1], args[2]
        if isinstance(path, int):  # re-wrapping a descriptor whose open was audited
            return
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        real = os.path.realpath(str(path))
        if state["current"] is not None and real == state["current"]:
            return
        writing = (mode is not None and any(c in str(mode) for c in "wax+")) or \
            (flags is not None and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if not writing and any(real.startswith(p) for p in allowed):
            return
        state["outside"].append({"while": state["current"], "path": real, "mode": str(mode)})

    sys.addaudithook(hook)

    import traceback

    def tb(limit: int = 3000) -> str:
        # linecache reads the sources of every frame, the tests' included:
        # not a read the model caused, so the hook looks away.
        state["armed"] = False
        try:
            return traceback.format_exc()[-limit:]
        finally:
            state["armed"] = True

    from paramlint import formats
    from paramlint.lint.engine import Settings, analyze_file
    from paramlint.lint.plugins import discover

    registry = discover()
    rules = registry.rules
    settings = Settings()
    crashes, hangs, internal, reports, unserialisable, invariants = [], [], [], [], [], []
    for path in files:
        state["current"] = os.path.realpath(path)
        try:
            with hang_guard(HANG_SECONDS, path):
                report = analyze_file(path, settings, rules)
        except Hang as exc:
            hangs.append({"path": path, "error": str(exc), "where": tb(1500)})
            continue
        except BaseException as exc:  # noqa: BLE001 - every escape is a finding here
            crashes.append({"path": path, "error": f"{type(exc).__name__}: {exc}",
                            "traceback": tb()})
            continue
        finally:
            state["current"] = None
        reports.append(report)
        try:
            json.dumps(report.to_dict())
        except Exception as exc:  # noqa: BLE001 - the cache and -f json need this
            unserialisable.append({"path": path, "error": f"{type(exc).__name__}: {exc}"})
        broken = document_problems(report.document)
        if broken:
            invariants.append({"path": path, "error": "; ".join(broken)})
        for finding in report.findings:
            if "internal error" in finding.message:
                internal.append({"path": path, "code": finding.code, "message": finding.message})
    render_errors = []
    metadata = [{"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary,
                 "doc": r.doc, "help_uri": None} for r in rules]
    for name in formats.CHECK_FORMATS:
        try:
            with hang_guard(HANG_SECONDS * 6, f"rendering {name}"):
                formats.get(name, formats.CHECK_FORMATS).render(
                    reports, quiet=False, show_statistics=True, rules=metadata, version="0")
        except BaseException as exc:  # noqa: BLE001
            render_errors.append({"format": name, "error": f"{type(exc).__name__}: {exc}",
                                  "traceback": tb()})
    # Prove the hook is live: an open it must record.
    canary = os.path.join(os.path.dirname(result_real), "canary.txt")
    with open(canary, "w") as handle:
        handle.write("x")
    hook_live = bool(state["outside"]) and state["outside"][-1]["path"] == os.path.realpath(canary)
    if hook_live:
        state["outside"].pop()
    state["armed"] = False
    out = {"hook_live": hook_live, "unserialisable": unserialisable, "invariants": invariants,"analysed": len(reports), "files": len(files), "crashes": crashes, "hangs": hangs,
           "internal": internal, "outside": state["outside"], "render": render_errors,
           "failed": sum(1 for r in reports if r.failed)}
    with open(result_real, "w", encoding="utf-8") as handle:
        json.dump(out, handle, indent=1)


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
