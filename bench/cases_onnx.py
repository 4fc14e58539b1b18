"""bench/run.py's ONNX cases: one file each, paramlint against onnx and onnx-tool.

``WEIGHTED`` (vgg16, vgg16-ext, chain5k, chain50k) carry their weights,
embedded or external: they measure what reading a large file costs.
paramlint's ``report`` and ``check`` (cold) and a warm-cache ``check`` run
beside ``onnx.load``, ``onnx.load`` + ``infer_shapes`` (the reference: what
paramlint's loader does, done by onnx) and onnx-tool's ``model_profile``
(the peer, under ``--peer-timeout``; skipped on chain50k with ``--quick``,
where it needs minutes).

``GRAPH_ONLY`` (tfm5k/50k/200k, chain5k/50k/200k-go; bench/graph_only.py)
have their weights in an absent external-data file: they measure the graph
passes alone, and whether they stay linear up to 200,000 nodes. The
reference there is onnx's own floor for the same work,
``onnx.load(load_external_data=False)`` + ``infer_shapes(data_prop=True)``,
with ``python -c 'import onnx'`` beside it so that its start-up can be read
off.
"""

from __future__ import annotations

from cases import CaseContext, warm_tool
from timing import Tool

WEIGHTED = ("vgg16", "vgg16-ext", "chain5k", "chain50k")
GRAPH_ONLY = ("tfm5k", "tfm50k", "tfm200k", "chain5k-go", "chain50k-go", "chain200k-go")
NAMES = WEIGHTED + GRAPH_ONLY
#: onnx's own floor on a graph-only file: read it and infer its shapes as
#: paramlint does (with data propagation); the weights are not there to read.
INFER_GRAPH_ONLY = ("import onnx, sys; m = onnx.load(sys.argv[1], load_external_data=False); "
                    "onnx.shape_inference.infer_shapes(m, data_prop=True)")


def tools(ctx: CaseContext, name: str, path: str) -> list[Tool]:
    return graph_only_tools(ctx, path) if name in GRAPH_ONLY else weighted_tools(ctx, name, path)


def weighted_tools(ctx: CaseContext, name: str, path: str) -> list[Tool]:
    paramlint, py, args = ctx.paramlint, ctx.py, ctx.args
    tools: list[Tool] = []
    tools.append(ctx.cold("paramlint report", paramlint + ["report", path, "--format", "json"], "report",
                          explain=ctx.report_explain(path)))
    tools.append(ctx.cold("paramlint check", paramlint + ["check", path], "check", ok_codes=(0, 1),
                          scan_stdout=True))
    tools.extend(warm_tool(paramlint + ["check", path], ctx.flags, ctx.scratch / f"warm-{name}"))
    tools.append(Tool("load", "onnx.load", [py, "-c", "import onnx, sys; onnx.load(sys.argv[1])", path]))
    tools.append(Tool("infer", "onnx.load + infer_shapes",
                      [py, "-c", "import onnx, sys; m = onnx.load(sys.argv[1]); "
                                 "onnx.shape_inference.infer_shapes(m)", path]))
    if args.quick and name == "chain50k":
        tools.append(Tool("onnx-tool", "onnx-tool model_profile", [], note="skipped (--quick)"))
    elif ctx.peer_python:
        tools.append(Tool("onnx-tool", "onnx-tool model_profile",
                          [ctx.peer_python, "-c", "import onnx_tool, sys; onnx_tool.model_profile(sys.argv[1])",
                           path], timeout=args.peer_timeout))
    else:
        tools.append(Tool("onnx-tool", "onnx-tool model_profile", [], note=f"FAILED: {ctx.peer_error}"))
    return tools


def graph_only_tools(ctx: CaseContext, path: str) -> list[Tool]:
    paramlint, py = ctx.paramlint, ctx.py
    tools: list[Tool] = []
    tools.append(ctx.cold("paramlint report", paramlint + ["report", path, "--format", "json"], "report",
                          explain=ctx.report_explain(path)))
    tools.append(ctx.cold("paramlint check", paramlint + ["check", path], "check", ok_codes=(0, 1),
                          scan_stdout=True))
    tools.append(Tool("load", "onnx.load (graph only)",
                      [py, "-c", "import onnx, sys; onnx.load(sys.argv[1], load_external_data=False)",
                       path]))
    tools.append(Tool("infer", "onnx.load + infer_shapes(data_prop=True)", [py, "-c", INFER_GRAPH_ONLY,
                                                                           path]))
    # The floor's own start-up, for reading its ratio: `import onnx`
    # runs numpy's and ml_dtypes' imports (paramlint imports neither).
    tools.append(Tool("import", "python -c 'import onnx'", [py, "-c", "import onnx"]))
    return tools
