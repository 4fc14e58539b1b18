"""Random ONNX graphs: they load with consistent totals, or are refused cleanly.

Graphs are random chains of Conv, Gemm, MatMul, Add, Relu, Reshape,
Flatten, BatchNormalization, Gather, Identity and Transpose, built with
onnx.helper (never checked: inconsistent ones are the point) with random
initializers (stored values, equal values, no payload, external data,
wrong types, odd dims), ties, dangling references, cycles and bad
attributes; and the same models with a few bytes changed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from hostile_helpers import flips, load_both, truncations

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

OPS = ["Conv", "Gemm", "MatMul", "Add", "Relu", "Reshape", "Flatten", "BatchNormalization", "Gather",
       "Identity", "Transpose"]
DIM = st.integers(1, 6)
ODD_DIMS = st.sampled_from([[0], [-1, 3], [2**40, 2**40], [], [1] * 40, [3, 0, 2]])


class Graph:
    def __init__(self, draw):
        self.draw = draw
        self.nodes = []
        self.inits = {}
        self.count = 0

    def fresh(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def tensor(self, shape, dtype=TensorProto.FLOAT, role="w") -> str:
        """An initializer of ``shape`` (or, sometimes, an old one: a tie or a clash)."""
        draw = self.draw
        if self.inits and draw(st.integers(0, 7)) == 0:
            return draw(st.sampled_from(sorted(self.inits)))
        if draw(st.integers(0, 9)) == 0:
            shape = draw(ODD_DIMS)
        name = self.fresh(role)
        kind = draw(st.sampled_from(["values", "values", "equal", "no_payload", "external", "wrong_type",
                                     "short_raw"]))
        safe = [max(0, d) for d in shape]
        small = np.prod(safe, dtype=object) <= 4096
        if kind in ("values", "equal") and small:
            np_dtype = np.int64 if dtype == TensorProto.INT64 else np.float32
            if kind == "equal":
                arr = np.full(safe, 0.5, dtype=np_dtype) if np_dtype is np.float32 else np.zeros(safe, np_dtype)
            else:
                arr = (np.arange(int(np.prod(safe, dtype=object))) % 7).astype(np_dtype).reshape(safe)
            t = numpy_helper.from_array(arr, name)
        else:
            t = TensorProto(name=name, data_type=dtype, dims=shape)
            if kind == "external":
                t.data_location = TensorProto.EXTERNAL
                t.external_data.add(key="location", value=draw(st.sampled_from(
                    ["w.bin", "/etc/passwd", "../../../etc/shadow", "", "\x00"])))
                t.external_data.add(key="offset", value=draw(st.sampled_from(["0", "-1", "x", "99999999999"])))
            elif kind == "wrong_type":
                t.data_type = draw(st.sampled_from([TensorProto.STRING, TensorProto.UNDEFINED, 999,
                                                    TensorProto.BOOL, TensorProto.FLOAT16]))
                t.raw_data = b"\x01" * draw(st.integers(0, 16))
            elif kind == "short_raw":
                t.raw_data = b"\x00\x01\x02"  # fewer bytes than the dims say
        self.inits[name] = t
        return name

    def node(self, op, inputs, **attrs) -> str:
        out = self.fresh("t")
        name = self.draw(st.sampled_from([f"/{op}_{self.count}", "", "dup", f"n{self.count}"]))
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out


@st.composite
def graphs(draw):
    """A ModelProto, sometimes inconsistent on purpose."""
    g = Graph(draw)
    rank = draw(st.sampled_from([2, 3, 4]))
    shape = [draw(st.sampled_from([1, 2]))] + [draw(DIM) for _ in range(rank - 1)]
    declared = [draw(st.sampled_from([d, "batch", None])) if i == 0 else draw(st.sampled_from([d, d, None, "h"]))
                for i, d in enumerate(shape)]
    x = "input"
    graph_inputs = [helper.make_tensor_value_info(x, TensorProto.FLOAT, draw(st.sampled_from([declared, None])))]
    honest = draw(st.integers(0, 3)) > 0  # initializers that fit the running shape
    cur = x
    for _ in range(draw(st.integers(1, 10))):
        op = draw(st.sampled_from(OPS))
        c = shape[1] if len(shape) > 1 else 1
        if op == "Conv" and len(shape) >= 3:
            k = draw(st.integers(1, 3))
            cout = draw(DIM)
            wshape = [cout, c, *([k] * (len(shape) - 2))] if honest else draw(st.lists(DIM, max_size=5))
            ins = [cur, g.tensor(wshape)]
            if draw(st.booleans()):
                ins.append(g.tensor([cout]))
            attrs = {}
            if draw(st.booleans()):
                attrs["kernel_shape"] = draw(st.sampled_from([[k] * (len(shape) - 2), [0], [-1, 2], [k] * 7]))
            if draw(st.booleans()):
                attrs["group"] = draw(st.sampled_from([1, 1, 2, 0, -1]))
            if draw(st.integers(0, 3)) == 0:
                attrs["strides"] = draw(st.sampled_from([[1] * (len(shape) - 2), [0, 0], [2**31]]))
            if draw(st.integers(0, 3)) == 0:
                attrs["pads"] = draw(st.sampled_from([[1] * (2 * len(shape) - 4), [-5] * 4, [1]]))
            cur = g.node("Conv", ins, **attrs)
            out_sp = [max(1, d - k + 1) for d in shape[2:]]
            shape = [shape[0], cout, *out_sp]
        elif op == "Gemm" or op == "MatMul":
            fin = shape[-1] if op == "MatMul" else (int(np.prod(shape[1:])) if len(shape) > 1 else shape[0])
            if op == "Gemm" and len(shape) != 2:
                cur = g.node("Flatten", [cur], axis=1)
                shape = [shape[0], fin]
            units = draw(DIM)
            trans = draw(st.booleans())
            w = g.tensor(([units, fin] if trans else [fin, units]) if honest else draw(st.lists(DIM, max_size=3)))
            if op == "Gemm":
                ins = [cur, w] + ([g.tensor([units])] if draw(st.booleans()) else [])
                cur = g.node("Gemm", ins, transB=int(trans), **({"transA": 1} if draw(st.integers(0, 9)) == 0 else {}))
            else:
                operands = [cur, w] if draw(st.integers(0, 5)) else [w, cur]
                cur = g.node("MatMul", operands)
            shape = [*shape[:-1], units]
        elif op == "Add":
            other = g.tensor([shape[-1]] if honest else draw(st.sampled_from([[1], shape[1:], [7, 7]])))
            cur = g.node("Add", [cur, other] if draw(st.booleans()) else [other, cur])
        elif op == "BatchNormalization" and len(shape) >= 2:
            ins = [cur] + [g.tensor([c] if honest else [draw(DIM)], role=r) for r in ("s", "b", "m", "v")]
            cur = g.node("BatchNormalization", ins[: draw(st.sampled_from([5, 5, 5, 3]))],
                         **({"epsilon": 1e-5} if draw(st.booleans()) else {}))
        elif op == "Reshape":
            target = draw(st.sampled_from([[shape[0], -1], [-1], [0, -1], [-1, -1], [2**40], [3, 0, 7]]))
            shp = g.tensor([len(target)], dtype=TensorProto.INT64, role="shape")
            if shp in g.inits and g.inits[shp].data_type == TensorProto.INT64:
                g.inits[shp] = numpy_helper.from_array(np.array(target, dtype=np.int64), shp)
            cur = g.node("Reshape", [cur, shp])
            shape = [shape[0], int(np.prod(shape[1:]))] if target == [shape[0], -1] else shape
        elif op == "Flatten":
            cur = g.node("Flatten", [cur], axis=draw(st.sampled_from([1, 1, 0, -1, 9])))
            shape = [shape[0], int(np.prod(shape[1:]))]
        elif op == "Gather":
            table = g.tensor([draw(DIM), draw(DIM)], role="table")
            ids = "ids"
            if ids not in {i.name for i in graph_inputs}:
                graph_inputs.append(helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", 3]))
            cur = g.node("Gather", [table, ids] if draw(st.integers(0, 5)) else [cur, ids])
            shape = [shape[0], 3, 2]
        elif op == "Transpose":
            perm = list(range(len(shape)))[::-1]
            if draw(st.integers(0, 5)) == 0:
                perm = draw(st.sampled_from([[0, 0], [5, 1], [-1]]))
            src = cur if draw(st.integers(0, 3)) else g.tensor([draw(DIM), draw(DIM)])
            cur = g.node("Transpose", [src], perm=perm)
            if src != cur and perm == list(range(len(shape)))[::-1]:
                shape = shape[::-1]
        elif op == "Identity":
            src = cur if draw(st.integers(0, 3)) else draw(st.sampled_from(sorted(g.inits) or [cur]))
            cur = g.node("Identity", [src])
        else:
            cur = g.node("Relu", [cur])
    # structural damage, sometimes
    damage = draw(st.integers(0, 9))
    if damage == 0 and g.nodes:
        g.nodes[draw(st.integers(0, len(g.nodes) - 1))].input.append("nowhere")
    elif damage == 1 and len(g.nodes) > 1:
        g.nodes[0].input[0] = g.nodes[-1].output[0]  # a cycle
    elif damage == 2 and g.nodes:
        g.nodes.append(helper.make_node("Relu", [cur], [g.nodes[0].output[0]], name="clash"))  # two producers
    elif damage == 3 and g.inits:
        graph_inputs.append(helper.make_tensor_value_info(sorted(g.inits)[0], TensorProto.FLOAT, None))
    outputs = [helper.make_tensor_value_info(cur, TensorProto.FLOAT, None)]
    graph = helper.make_graph(g.nodes, draw(st.sampled_from(["g", ""])), graph_inputs, outputs,
                              list(g.inits.values()))
    opset = draw(st.sampled_from([11, 13, 17, 21, 1, 99]))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    if draw(st.integers(0, 9)) == 0:
        model.ir_version = draw(st.sampled_from([0, 3, 99, 2**40]))
    return model


@SETTINGS
@given(graphs())
def test_random_graphs_load_or_are_refused_cleanly(model):
    load_both(model.SerializeToString(), ".onnx")


@SETTINGS
@given(graphs(), st.integers(0, 2**16), st.booleans())
def test_random_graphs_with_damaged_bytes(model, seed, cut):
    data = model.SerializeToString()
    variants = truncations(data, 3) if cut else flips(data, 3, seed)
    for _, blob in variants:
        load_both(blob, ".onnx")


def test_an_honest_generated_graph_counts_as_expected():
    """The builder makes graphs the loader reads (guards the suite against vacuity)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, 5, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(np.arange(4 * 2 * 9, dtype=np.float32).reshape(4, 2, 3, 3), "w")
    fc = numpy_helper.from_array(np.arange(36 * 3, dtype=np.float32).reshape(36, 3), "fc")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
             helper.make_node("Flatten", ["c"], ["f"], name="flat"),
             helper.make_node("MatMul", ["f", "fc"], ["m"], name="dense"),
             helper.make_node("MatMul", ["f", "fc"], ["y"], name="dense_again")]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y], [w, fc]),
                              opset_imports=[helper.make_opsetid("", 17)])
    loaded = load_both(model.SerializeToString(), ".onnx")
    from paramlint.analysis.counting import count

    totals = count(loaded).totals
    assert totals.params == 72 + 108
    assert totals.tied_savings == 108
    assert totals.per_use_params == 72 + 2 * 108
