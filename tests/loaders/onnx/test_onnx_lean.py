"""onnx_lean: the loader imports two modules of onnx, not the package.

What must hold: loading an ONNX model never runs onnx's ``__init__`` (which
imports numpy and ml_dtypes, most of an ONNX run's start-up), and a later
``import onnx`` in the same process, by a plugin or a test, still gets the
whole package, sharing the protobuf classes the loader parsed with.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EXPORT = REPO / "fixtures" / "exports" / "torchvision" / "resnet18.dynamo.onnx"


def run(script: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_loading_a_real_export_does_not_import_the_onnx_package():
    result = run("""
        import json, sys
        from paramlint.loaders.onnx import loader as onnx_loader
        model = onnx_loader.load(sys.argv[1])
        print(json.dumps({"layers": len(model.layers),
                          "imported": sorted(m for m in sys.modules
                                             if m in ("onnx", "ml_dtypes", "onnx.helper"))}))
    """, str(EXPORT))
    assert result["layers"] > 0
    assert result["imported"] == []


def test_onnx_imported_after_the_loader_is_the_whole_package_with_the_same_classes():
    result = run("""
        import json, sys
        from paramlint.loaders.onnx import lean as onnx_lean, loader as onnx_loader
        onnx_loader.load(sys.argv[1])
        pb = onnx_lean.proto()
        import onnx
        from onnx import helper, numpy_helper
        node = helper.make_node("Relu", ["x"], ["y"])
        graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", 1, [2])],
                                  [helper.make_tensor_value_info("y", 1, [2])])
        model = helper.make_model(graph)
        onnx.checker.check_model(model)
        inferred = onnx.shape_inference.infer_shapes(model)
        print(json.dumps({
            "same_module": onnx.onnx_ml_pb2 is pb,
            "same_class": onnx.ModelProto is pb.ModelProto,
            "cpp_attribute": onnx.onnx_cpp2py_export is onnx_lean.cpp(),
            "values": numpy_helper.to_array(helper.make_tensor("t", 1, [2], [1.0, 2.0])).tolist(),
            "outputs": len(inferred.graph.output),
        }))
    """, str(EXPORT))
    assert result == {"same_module": True, "same_class": True, "cpp_attribute": True,
                      "values": [1.0, 2.0], "outputs": 1}


def test_the_lean_parts_are_plain_imports_once_onnx_is_imported():
    result = run("""
        import json
        import onnx
        from paramlint.loaders.onnx import lean as onnx_lean
        print(json.dumps({"proto": onnx_lean.proto() is onnx.onnx_ml_pb2,
                          "full": onnx_lean.full() is onnx}))
    """)
    assert result == {"proto": True, "full": True}
