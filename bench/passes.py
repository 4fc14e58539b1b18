"""Time what paramlint does after the loader, in one process: core passes,
rules, the report document and an output format, on models loaded once.

Why a separate script: bench/run.py times whole processes, where the
loader (and interpreter start-up) dwarfs the rest; this one loads each
file once and times only the part after it, several times, each on a
model whose cached passes (axes, counts, MACs, graph) are dropped first,
as a fresh process would see it. Prints the median CPU milliseconds of
each phase (``--best``: the fastest run's, steadier on a busy machine).

    python bench/passes.py /tmp/bm/tfm50k.onnx fixtures/llama2-7b.yaml --runs 5
    python bench/passes.py MODEL --profile /tmp/passes.prof   # one cProfile'd run
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from typing import Callable

import paramlint.cli.app  # noqa: F401  (its GC thresholds, as the paramlint script runs)
from paramlint.lint.engine import Settings, load_model, report_of
from paramlint.formats.findings import text as findings_text
from paramlint.formats.report import json_doc as json_out
from paramlint.formats.report import text as report_text
from paramlint.ir.model import Model
from paramlint.lint.plugins import discover


def _reset(model: Model) -> None:
    """Drop every pass cached on the model (their keys start with ``_``)."""
    for key in [k for k in vars(model) if k.startswith("_")]:
        del model.__dict__[key]


def _phases(model: Model, rules: list, settings: Settings) -> dict[str, float]:
    _reset(model)
    gc.collect()
    gc.freeze()  # as the ONNX loader leaves it
    clock = time.process_time  # this process's CPU: less of the neighbours' load
    t0 = clock()
    report = report_of(model, settings, rules)
    t1 = clock()
    json_out.render([report])
    t2 = clock()
    report_text.render([report])
    t3 = clock()
    findings_text.render([report])
    t4 = clock()
    return {"rules+document": t1 - t0, "json": t2 - t1, "report text": t3 - t2,
            "check text": t4 - t3}


def _profile(model: Model, rules: list, settings: Settings, out: str) -> None:
    import cProfile

    profiler = cProfile.Profile()
    run: Callable[[], object] = lambda: _phases(model, rules, settings)  # noqa: E731
    profiler.runcall(run)
    profiler.dump_stats(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--best", action="store_true", help="the fastest run, not the median")
    parser.add_argument("--profile", metavar="OUT", help="write one cProfile'd run here instead")
    args = parser.parse_args()
    rules = discover().rules
    settings = Settings()
    for path in args.paths:
        model = load_model(path)
        gc.unfreeze()
        if model.failed:
            print(f"{path}: failed to load: {model.error}")
            continue
        if args.profile:
            _profile(model, rules, settings, args.profile)
            print(f"{path}: profile in {args.profile}")
            continue
        runs = [_phases(model, rules, settings) for _ in range(args.runs)]
        pick = min if args.best else statistics.median
        cells = "  ".join(f"{k} {pick(r[k] for r in runs) * 1000:8.1f}" for k in runs[0])
        total = pick(sum(r.values()) for r in runs) * 1000
        print(f"{path}  ({len(model.layers)} layers)  {cells}  total {total:8.1f} ms")


if __name__ == "__main__":
    main()
