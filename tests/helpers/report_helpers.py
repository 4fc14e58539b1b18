"""Small builders for FileReport / Finding / Rule objects used by the tests."""

from __future__ import annotations

from typing import Any

from paramlint.lint.results import FileReport
from paramlint.lint.rule import Finding, Option, Rule

RULE_NAMES = {
    "PRM001": ("load-error", "error"),
    "PRM002": ("unknown-layer", "warning"),
    "PRM101": ("param-budget", "error"),
    "PRM201": ("unshared-layer", "info"),
    "PRM202": ("untied-twins", "info"),
    "PRM301": ("dense-on-large-spatial", "warning"),
    "PRM302": ("dense-dominates", "warning"),
    "PRM401": ("unused-weights", "warning"),
}

OPTIONS = {
    "PRM101": (Option("max-params", int, None, "model budget"),
               Option("max-layer-params", int, None, "layer budget")),
    "PRM301": (Option("min-spatial", int, 16, "smallest spatial size"),),
    "PRM302": (Option("max-share", float, 0.5, "largest share"),),
}


def finding(code: str = "PRM301", *, path: str = "models/net.yaml", layer: str | None = "fc6",
            message: str | None = None, line: int | None = 21, column: int | None = 5,
            severity: str | None = None, **kw: Any) -> Finding:
    name, default_severity = RULE_NAMES.get(code, ("custom-rule", "warning"))
    return Finding(code=code, rule=name, severity=severity or default_severity,
                   message=message or f"{name} on {layer}: 9,437,184 params (37.2% of the model)",
                   path=path, layer=layer, line=line, column=column, **kw)


def onnx_finding(code: str = "PRM301", *, path: str = "models/net.onnx", layer: str = "fc6",
                 node_index: int = 7, **kw: Any) -> Finding:
    return finding(code, path=path, layer=layer, line=None, column=None,
                   node_index=node_index, node_name=layer, **kw)


def layer(name: str, op: str = "dense", *, params: int = 0, output_shape=(10,),
          sharing: dict | None = None, line: int | None = 3, macs: int | None = 0,
          module: str | None = None) -> dict[str, Any]:
    return {"name": name, "op": op, "source_op": op, "inputs": [], "input_shape": None,
            "output_shape": list(output_shape) if output_shape is not None else None,
            "module": module, "macs": macs, "params": params, "trainable": params, "non_trainable": 0, "shared_with": [],
            "sharing": sharing, "location": {"line": line, "column": 5} if line else None}


def document(path: str = "models/net.yaml", *, layers: list[dict] | None = None,
             name: str = "net", error: str | None = None) -> dict[str, Any]:
    fmt = "onnx" if path.endswith(".onnx") else "yaml"
    layers = [] if error else (layers or [])
    total = sum(l["params"] or 0 for l in layers)
    totals = None if error else {
        "params": total, "trainable": total, "non_trainable": 0, "per_use_params": total,
        "tied_savings": 0, "unshared_params": 0, "sharing_savings": 0, "unused_params": 0}
    doc = {"path": path, "format": fmt, "name": name, "inputs": [], "totals": totals,
           "layers": layers, "ties": [], "merged_constants": []}
    if error:
        doc["error"] = error
    return doc


def report(path: str = "models/net.yaml", findings: list[Finding] | None = None,
           **doc_kw: Any) -> FileReport:
    return FileReport(path=path, document=document(path, **doc_kw), findings=list(findings or []))


def rule(code: str, name: str | None = None, severity: str | None = None) -> Rule:
    dname, dsev = RULE_NAMES.get(code, ("custom-rule", "warning"))
    return Rule(code=code, name=name or dname, severity=severity or dsev,
                summary=f"{name or dname} summary", check=lambda model, ctx: [],
                doc=f"Documentation of {name or dname}.", options=OPTIONS.get(code, ()))


def all_rules() -> list[Rule]:
    return [rule(code) for code in RULE_NAMES]


def rules_meta() -> list[dict[str, Any]]:
    from paramlint.cli.commands import rule_metadata

    return rule_metadata(all_rules())
