"""What bench/run.py reports: the table, the targets, and RESULTS.md.

A wall time alone says little on a shared machine, so every row is read
against its model's reference command (``REFERENCE``: onnx.load, onnx.load
+ infer_shapes, the import floor, the cold or ``-j 1`` run) and the
targets (``TARGETS``, bench/README.md's table) are ratios of two rows'
medians. A peer killed at ``--peer-timeout`` has a lower-bound time, so a
ratio against it is an upper bound (``<``) and a target then passes only
if the bound already meets it (``evaluate``). ``plain_table`` is what the
terminal shows; ``write_results`` writes the same rows, the machine and the
models to RESULTS.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from cases_onnx import GRAPH_ONLY
from timing import Result, Timer

REFERENCE = {"vgg16": "load", "vgg16-ext": "load", "chain5k": "infer", "chain50k": "infer",
             "yaml1": "floor", "yaml200": "cold", **{n: "infer" for n in GRAPH_ONLY},
             "exports40": "serial", "yaml1000": "serial"}


def find(results: list[Result], model: str, key: str) -> Result | None:
    for row in results:
        if row.model == model and row.key == key:
            return row
    return None


def reference(results: list[Result], model: str) -> Result | None:
    return find(results, model, REFERENCE.get(model, ""))


def fmt_wall(row: Result) -> str:
    if row.failed:
        return "FAILED"
    if row.skipped:
        return "skipped"
    if row.timed_out:
        return f"> {row.wall:g} s"
    return f"{row.wall:.3f}" if row.wall is not None else "?"


def fmt_rss(row: Result) -> str:
    if row.failed or row.skipped or row.peak is None:
        return "—" if (row.failed or row.skipped) else "?"
    return (">= " if row.timed_out else "") + f"{row.peak:.1f}"


def ratio_text(num: Result, den: Result | None, attr: str) -> str:
    if den is None or not num.usable or not den.usable or num is den:
        return "1.00x" if num is den and num.usable else "—"
    a, b = getattr(num, attr), getattr(den, attr)
    if a is None or not b:
        return "—"
    r = a / b
    if attr == "wall" and den.timed_out and num.timed_out:
        return "?"
    if attr == "wall" and den.timed_out:
        return f"< {r:.3f}x"
    if attr == "wall" and num.timed_out:
        return f"> {r:.2f}x"
    if attr == "peak" and (den.timed_out or num.timed_out):
        return f"~{r:.2f}x"
    return f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x"


def table_rows(results: list[Result], infos: dict[str, dict]) -> list[list[str]]:
    rows = []
    for row in results:
        ref = reference(results, row.model)
        ref_name = ref.tool if ref else "?"
        note = row.failed or row.skipped or row.note
        if row.timed_out:
            note = (note + "; " if note else "") + "timed out: the time is a lower bound"
        fastest = f"{min(row.walls):.3f}" if row.usable and not row.timed_out else ""
        rows.append([row.model, row.tool, fmt_wall(row), fastest, fmt_rss(row),
                     ratio_text(row, ref, "wall"), ratio_text(row, ref, "peak"),
                     f"{len(row.walls)}", ref_name, note])
    return rows


HEADERS = ["model", "tool", "median wall s", "min wall s", "peak RSS MB", "wall vs ref", "RSS vs ref", "runs", "reference", "note"]


def plain_table(rows: list[list[str]]) -> str:
    cols = HEADERS[:8] + ["note"]
    data = [r[:8] + [r[9]] for r in rows]
    widths = [max(len(c), *(len(r[i]) for r in data)) if data else len(c) for i, c in enumerate(cols)]
    widths[-1] = len(cols[-1])
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in data:
        lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def md_table(headers: list[str], rows: list[list[str]]) -> str:
    esc = [[v.replace("|", "\\|") for v in r] for r in rows]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in esc]
    return "\n".join(out)


@dataclass
class Target:
    text: str
    num: tuple[str, str, str]  # model, tool prefix, "wall" | "peak"
    den: tuple[str, str, str]
    limit: float  # num/den must be <= limit


TARGETS = [
    Target("VGG16 553 MB embedded: `report` wall <= 0.5x `onnx.load`",
           ("vgg16", "report", "wall"), ("vgg16", "load", "wall"), 0.5),
    Target("VGG16 553 MB embedded: `report` peak RSS <= 0.1x `onnx.load`",
           ("vgg16", "report", "peak"), ("vgg16", "load", "peak"), 0.1),
    Target("VGG16 553 MB embedded: `report` >= 4x faster than onnx-tool (wall <= 0.25x)",
           ("vgg16", "report", "wall"), ("vgg16", "onnx-tool", "wall"), 0.25),
    Target("VGG16 553 MB embedded: `report` peak RSS <= 0.1x onnx-tool",
           ("vgg16", "report", "peak"), ("vgg16", "onnx-tool", "peak"), 0.1),
    Target("50,000 nodes: `report` <= 12x its 5,000-node time",
           ("chain50k", "report", "wall"), ("chain5k", "report", "wall"), 12.0),
    Target("50,000 nodes: `report` <= 3x `onnx.load` + `infer_shapes`",
           ("chain50k", "report", "wall"), ("chain50k", "infer", "wall"), 3.0),
    Target("50,000 nodes: `report` >= 50x faster than onnx-tool (wall <= 0.02x)",
           ("chain50k", "report", "wall"), ("chain50k", "onnx-tool", "wall"), 0.02),
    Target("one tiny YAML: `check` (no cache) <= 1.5x `python -c 'import yaml, click'`",
           ("yaml1", "check", "wall"), ("yaml1", "floor", "wall"), 1.5),
    Target("200 YAML files: warm-cache `check` <= 0.2x the cold run",
           ("yaml200", "warm", "wall"), ("yaml200", "cold", "wall"), 0.2),
    # issue 17: graph-only files, folders of real exports
    Target("graph-only 50k transformer: `report` <= 2.5x `onnx.load` + `infer_shapes(data_prop=True)`",
           ("tfm50k", "report", "wall"), ("tfm50k", "infer", "wall"), 2.5),
    Target("graph-only 50k Conv chain: `report` <= 2.5x `onnx.load` + `infer_shapes(data_prop=True)`",
           ("chain50k-go", "report", "wall"), ("chain50k-go", "infer", "wall"), 2.5),
    Target("graph-only transformer: 200k `report` <= 5x its 50k time (linear)",
           ("tfm200k", "report", "wall"), ("tfm50k", "report", "wall"), 5.0),
    Target("graph-only Conv chain: 200k `report` <= 5x its 50k time (linear)",
           ("chain200k-go", "report", "wall"), ("chain50k-go", "report", "wall"), 5.0),
    Target("40 real exports: default workers never slower than `-j 1`",
           ("exports40", "default", "wall"), ("exports40", "serial", "wall"), 1.0),
    Target("40 real exports: a fresh cache <= 1.2x `--no-cache` (default workers)",
           ("exports40", "fresh", "wall"), ("exports40", "default", "wall"), 1.2),
    Target("40 real exports: warm cache <= 1.5x `python -c 'import click'`",
           ("exports40", "warm", "wall"), ("exports40", "floor", "wall"), 1.5),
    Target("1,000 YAML files: default workers never slower than `-j 1`",
           ("yaml1000", "default", "wall"), ("yaml1000", "serial", "wall"), 1.0),
    Target("1,000 YAML files: a fresh cache <= 1.2x `--no-cache` (default workers)",
           ("yaml1000", "fresh", "wall"), ("yaml1000", "default", "wall"), 1.2),
]


def evaluate(results: list[Result]) -> list[list[str]]:
    rows = []
    for target in TARGETS:
        num, den = find(results, *target.num[:2]), find(results, *target.den[:2])
        limit = f"<= {target.limit:g}x"
        if num is None or den is None:
            rows.append([target.text, "not run", limit, "n/a"])
            continue
        for row in (num, den):
            if row.skipped:
                rows.append([target.text, f"{row.tool}: {row.skipped}", limit, "n/a"])
                break
            if row.failed:
                rows.append([target.text, f"{row.model} {row.tool} FAILED", limit, "MISS"])
                break
        else:
            a, b = getattr(num, target.num[2]), getattr(den, target.den[2])
            if a is None or not b:
                rows.append([target.text, "no data", limit, "n/a"])
                continue
            r = a / b
            measured = f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x"
            verdict = "PASS" if r <= target.limit else "MISS"
            if target.den[2] == "wall" and den.timed_out:
                measured = f"< {r:.3f}x (peer timed out at {b:g} s: a lower bound)"
                if r > target.limit:
                    verdict = "UNKNOWN (raise --peer-timeout)"
            elif target.den[2] == "peak" and den.timed_out:
                measured += f" (peer killed at {den.wall:g} s: its peak is a lower bound)"
                if r > target.limit:
                    verdict = "UNKNOWN (raise --peer-timeout)"
            if num.timed_out:
                verdict = "MISS"
            rows.append([target.text, measured, limit, verdict])
    return rows


def write_results(path: Path, machine_rows, infos, results, target_rows, args, timer: Timer,
                  total: float) -> None:
    models = [[n, Path(i["path"]).name + ("/" if Path(i["path"]).is_dir() else ""),
               f"{i['bytes'] / 1e6:,.1f} MB" if i["bytes"] > 1e6 else f"{i['bytes'] / 1e3:,.1f} kB",
               f"{i['nodes']:,}"] for n, i in infos.items()]
    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/run.py` (see bench/README.md); do not edit by hand.",
        f"Command: `python bench/run.py {' '.join(sys.argv[1:])}`".rstrip() + f" — {args.runs} run(s) per "
        f"command, medians; total {total / 60:.1f} min.",
        "",
        "## Machine",
        "",
        md_table(["", ""], [[k, v] for k, v in machine_rows]),
        "",
        "## Models",
        "",
        md_table(["model", "file", "size", "nodes / layers"], models),
        "",
        "## Results",
        "",
        "Wall time is the whole process (start-up included), measured from outside; peak RSS is the "
        "child's maximum resident set. Ratios are against the model's reference command "
        "(column `reference`). `> N s`: onnx-tool was killed at the `--peer-timeout`; its time is then "
        "a lower bound and a ratio against it an upper bound (`<`). The files are in the page cache "
        "(generated just before), so these are warm-read timings.",
        "",
        md_table(HEADERS, table_rows(results, infos)),
        "",
        "## Targets",
        "",
        md_table(["target", "measured", "limit", "verdict"], target_rows),
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")

