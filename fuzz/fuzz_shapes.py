"""Single-op models of every default-domain operator through shape inference
(issue 11; not run in CI).

Each input picks an operator from onnx's schemas, a number of inputs
(some with the empty name), their ranks and dims (zero, negative, huge,
symbolic), and attribute values of each declared attribute's type
(huge and negative ints, odd strings such as ``"\\xff"``). The model is
loaded with ``paramlint.loaders.onnx.loader.load``, so onnx's C++ shape
inference runs in paramlint's supervised child.

Verdicts: a ``LoadError`` is an answer. One that says onnx crashed or
timed out is an onnx bug that paramlint contained: it is logged (op,
attributes, the message) to ``findings.jsonl`` in the temp folder's
``paramlint-fuzz-shapes/`` with the model saved beside it (outside the
repository: they are model files), and fuzzing goes on. Anything else escaping the loader,
or a model breaking counting.md's identities, is a paramlint crash.

    python fuzz/fuzz_shapes.py --random 300          # 5 minutes, no atheris needed
    pip install atheris
    python fuzz/fuzz_shapes.py corpus_shapes -max_total_time=300 -timeout=30

The child's deadline is lowered to 3 s (``--deadline``) so hangs cost little.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

INTS = [0, 1, 2, 3, -1, -2, 7, 64, -1000000, 1000000, 2**31 - 1, -(2**31), 2**62, -(2**62)]
DIMS = [0, 1, 2, 3, 4, 8, -1, -5, 10**6, 2**40, "N", None]
STRINGS = ["", "a", "\u00ff", "ab->ba", "ij,jk->ik", "...", "NOTSET", "constant", "reflect",
           "\x00", "a" * 300, "->", ",", "ii", "i...j", "\u00ff->\u00ff"]
DTYPES = [1, 6, 7, 9, 10, 11, 8, 2, 16, 0, 99]


class Source:
    """Choices from libFuzzer's bytes (atheris) or from a seeded PRNG."""

    def __init__(self, data: bytes | None = None, rng: random.Random | None = None) -> None:
        self.rng = rng
        if data is not None:
            import atheris

            self.fdp = atheris.FuzzedDataProvider(data)

    def below(self, n: int) -> int:
        if self.rng is not None:
            return self.rng.randrange(n)
        return self.fdp.ConsumeIntInRange(0, n - 1) if n > 1 else 0

    def pick(self, items):
        return items[self.below(len(items))]


def _schemas():
    from onnx import defs

    latest = {}
    for s in defs.get_all_schemas_with_history():
        if s.domain in ("", "ai.onnx") and not s.deprecated:
            if s.name not in latest or s.since_version > latest[s.name].since_version:
                latest[s.name] = s
    return [latest[k] for k in sorted(latest)]


def _attribute(name: str, kind, src: Source):
    from onnx import AttributeProto, helper

    t = AttributeProto.AttributeType
    if kind == t.INT:
        return helper.make_attribute(name, src.pick(INTS))
    if kind == t.FLOAT:
        return helper.make_attribute(name, src.pick([0.0, 1.0, -1.0, 1e30, float("nan")]))
    if kind == t.STRING:
        return helper.make_attribute(name, src.pick(STRINGS))
    if kind == t.INTS:
        return helper.make_attribute(name, [src.pick(INTS) for _ in range(src.below(5))], attr_type=kind)
    if kind == t.FLOATS:
        return helper.make_attribute(name, [src.pick([0.0, 1.0, -1.0]) for _ in range(src.below(4))],
                                     attr_type=kind)
    if kind == t.STRINGS:
        return helper.make_attribute(name, [src.pick(STRINGS) for _ in range(src.below(3))],
                                     attr_type=kind)
    return None  # tensors, graphs, types: left out


def build(src: Source, schemas) -> tuple[bytes, dict]:
    """A serialized one-node model and what was chosen."""
    from onnx import TensorProto, helper

    schema = src.pick(schemas)
    n_in = src.below(max(len(schema.inputs), 1) + 3)
    inputs, names = [], []
    for k in range(n_in):
        if src.below(6) == 0:
            names.append("")  # an absent optional input, or the RegexFullMatch crash
            continue
        rank = src.pick([None, 0, 1, 2, 3, 4, 6])
        shape = None if rank is None else [src.pick(DIMS) for _ in range(rank)]
        dtype = src.pick(DTYPES)
        name = f"x{k}"
        inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        names.append(name)
    n_out = 1 + src.below(max(len(schema.outputs), 1) + 1)
    outputs = [f"y{k}" for k in range(n_out)]
    node = helper.make_node(schema.name, names, outputs)
    chosen = {}
    for name, attr in sorted(schema.attributes.items()):
        if src.below(3) == 0:
            continue
        made = _attribute(name, attr.type, src)
        if made is not None:
            node.attribute.append(made)
            chosen[name] = repr(helper.get_attribute_value(made))[:80]
    graph = helper.make_graph([node], "g", inputs,
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", max(schema.since_version, 13))])
    model.ir_version = 10
    return model.SerializeToString(), {"op": schema.name, "inputs": names, "attributes": chosen}


def _verdict(data: bytes, info: dict, path: str, log: Path) -> None:
    from hostile_helpers import check_failure, check_invariants
    from paramlint.ir.model import LoadError
    from paramlint.loaders.onnx.loader import load

    with open(path, "wb") as handle:
        handle.write(data)
    try:
        model = load(path)
    except LoadError as exc:
        if "onnx shape inference" in exc.message:  # an onnx bug, contained
            digest = hashlib.sha1(data).hexdigest()[:12]
            saved = log.parent / f"shapes-{info['op']}-{digest}.onnx"
            saved.write_bytes(data)
            with open(log, "a") as out:
                out.write(json.dumps({**info, "message": exc.message, "model": saved.name}) + "\n")
            print(f"onnx: {info['op']}: {exc.message}", flush=True)
            return
        problems = check_failure(exc)
    else:
        problems = check_invariants(model)
    if problems:
        raise AssertionError(f"{info}: " + "; ".join(problems))


def main() -> None:
    from paramlint.loaders.onnx import infer as onnx_infer

    args = sys.argv[1:]
    if "--deadline" in args:
        i = args.index("--deadline")
        onnx_infer.INFER_SECONDS = float(args[i + 1])
        del args[i:i + 2]
    else:
        onnx_infer.INFER_SECONDS = 3.0
    folder = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())
    path = str(folder / f"paramlint-shapes-{os.getpid()}.onnx")
    out = Path(tempfile.gettempdir()) / "paramlint-fuzz-shapes"
    out.mkdir(exist_ok=True)
    log = out / "findings.jsonl"
    print(f"findings go to {log}", flush=True)
    schemas = _schemas()
    if args and args[0] == "--random":
        seconds = float(args[1]) if len(args) > 1 else 60
        rng = random.Random(int(args[2]) if len(args) > 2 else 0)
        end, runs = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            data, info = build(Source(rng=rng), schemas)
            _verdict(data, info, path, log)
            runs += 1
        print(f"{runs} models of {len(schemas)} operators in {seconds:g} s", flush=True)
        return
    import atheris

    def one_input(raw: bytes) -> None:
        data, info = build(Source(data=raw), schemas)
        _verdict(data, info, path, log)

    atheris.Setup([sys.argv[0], *args], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
