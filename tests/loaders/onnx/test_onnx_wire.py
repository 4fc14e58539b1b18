"""read_model against onnx.load: the same model, minus the large payloads.

Each model is laid out the way exporters lay them out; the reference is
``onnx.load(path, load_external_data=False)`` with its large payloads
cleared by ``clear_payloads`` below, an independent re-implementation of the
rule on parsed protos (no wire format involved).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import onnx_builders as ob
from paramlint.loaders.onnx.wire import MAX_GRAPH_DEPTH, payload_dropped, read_model

KEEP = 4096
PAYLOAD_FIELDS = (
    "float_data",
    "int32_data",
    "string_data",
    "int64_data",
    "raw_data",
    "double_data",
    "uint64_data",
)


# --- the reference rule, on parsed protos -------------------------------------


def _varint_size(value: int) -> int:
    value &= (1 << 64) - 1  # negative int32/int64 are sign-extended to 10 bytes
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


def payload_size(t: TensorProto) -> int:
    """Bytes of values a tensor holds on the wire (length prefixes excluded)."""
    return (
        len(t.raw_data)
        + 4 * len(t.float_data)
        + 8 * len(t.double_data)
        + sum(_varint_size(v) for v in t.int32_data)
        + sum(_varint_size(v) for v in t.int64_data)
        + sum(_varint_size(v) for v in t.uint64_data)
        + sum(len(s) for s in t.string_data)
    )


def all_tensors(model: onnx.ModelProto):
    """Every TensorProto in a model, subgraphs, functions and training included."""

    def graph(g):
        yield from g.initializer
        for sp in g.sparse_initializer:
            yield from (sp.values, sp.indices)
        for n in g.node:
            yield from nodes_attrs(n.attribute)

    def nodes_attrs(attrs):
        for a in attrs:
            if a.HasField("t"):
                yield a.t
            yield from a.tensors
            if a.HasField("sparse_tensor"):
                yield from (a.sparse_tensor.values, a.sparse_tensor.indices)
            for sp in a.sparse_tensors:
                yield from (sp.values, sp.indices)
            if a.HasField("g"):
                yield from graph(a.g)
            for sub in a.graphs:
                yield from graph(sub)

    yield from graph(model.graph)
    for f in model.functions:
        yield from nodes_attrs(f.attribute_proto)
        for n in f.node:
            yield from nodes_attrs(n.attribute)
    for ti in model.training_info:
        yield from graph(ti.initialization)
        yield from graph(ti.algorithm)


def clear_payloads(model: onnx.ModelProto, keep_bytes: int = KEEP) -> onnx.ModelProto:
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for t in all_tensors(model):
        if payload_size(t) > keep_bytes:
            for name in PAYLOAD_FIELDS:
                t.ClearField(name)
    return model


def reference(path, keep_bytes: int = KEEP) -> onnx.ModelProto:
    return clear_payloads(onnx.load(path, load_external_data=False), keep_bytes)


def assert_matches_reference(path, keep_bytes: int = KEEP) -> onnx.ModelProto:
    slim = read_model(str(path), keep_bytes)
    ref = reference(str(path), keep_bytes)
    assert slim == ref
    assert slim.SerializeToString() == ref.SerializeToString()
    return slim


# --- model builders -------------------------------------------------------------

RNG = np.random.default_rng(1234)


def vi(name, elem=TensorProto.FLOAT, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def floats(name, *shape, variant="raw"):
    """A random float32 tensor stored as raw_data or as float_data."""
    values = RNG.standard_normal(shape).astype(np.float32)
    if variant == "raw":
        return numpy_helper.from_array(values, name)
    return helper.make_tensor(name, TensorProto.FLOAT, shape, values.ravel().tolist())


def int64s(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def model_of(nodes, inputs, outputs, initializers=(), **kwargs):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], **kwargs)


def conv_net(variant="raw"):
    """Conv -> Relu -> Reshape -> Gemm, large kernels, small biases, an int64 shape."""
    nodes = [
        helper.make_node("Conv", ["x", "conv.w", "conv.b"], ["c"], kernel_shape=[3, 3], pads=[1] * 4),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Reshape", ["r", "shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["y"], transB=1),
    ]
    inits = [
        floats("conv.w", 32, 3, 3, 3, variant=variant),  # 3456 B: kept
        floats("conv.b", 32, variant=variant),
        int64s("shape", [1, -1]),
        floats("fc.w", 10, 32 * 8 * 8, variant=variant),  # 80 KiB: dropped
        floats("fc.b", 10, variant=variant),
    ]
    return model_of(nodes, [vi("x", shape=[1, 3, 8, 8])], [vi("y", shape=[1, 10])], inits)


def constant_node_model():
    """A Constant node holding a large tensor as its `value` attribute."""
    nodes = [
        helper.make_node("Constant", [], ["w"], value=floats("w_value", 64, 64)),
        helper.make_node("Constant", [], ["s"], value=int64s("s_value", [64, 64])),
        helper.make_node("MatMul", ["x", "w"], ["m"]),
        helper.make_node("Reshape", ["m", "s"], ["y"]),
    ]
    return model_of(nodes, [vi("x", shape=[64, 64])], [vi("y", shape=[64, 64])])


def subgraph_model(op="If"):
    """An If (or Loop) whose body holds a large initializer and a large Constant."""
    body_nodes = [
        helper.make_node("Constant", [], ["k"], value=floats("k_value", 40, 40)),
        helper.make_node("MatMul", ["x", "body.w"], ["t"]),
        helper.make_node("Add", ["t", "k"], ["out"]),
    ]
    body_inits = [floats("body.w", 40, 40), floats("body.small", 4)]
    if op == "If":
        body = helper.make_graph(body_nodes, "then", [], [vi("out", shape=[40, 40])], body_inits)
        other = helper.make_graph(
            [helper.make_node("Identity", ["x"], ["out2"])], "else", [], [vi("out2", shape=[40, 40])]
        )
        node = helper.make_node("If", ["cond"], ["y"], then_branch=body, else_branch=other)
        inputs = [vi("cond", TensorProto.BOOL, []), vi("x", shape=[40, 40])]
    else:
        body = helper.make_graph(
            body_nodes + [helper.make_node("Identity", ["c"], ["c_out"])],
            "body",
            [vi("i", TensorProto.INT64, []), vi("c", TensorProto.BOOL, [])],
            [vi("c_out", TensorProto.BOOL, []), vi("out", shape=[40, 40])],
            body_inits,
        )
        node = helper.make_node("Loop", ["n", "", "cond"], ["y"], body=body)
        inputs = [
            vi("n", TensorProto.INT64, []),
            vi("cond", TensorProto.BOOL, []),
            vi("x", shape=[40, 40]),
        ]
    return model_of([node], inputs, [vi("y", shape=None)])


def function_model():
    """A model-local function whose body has a large Constant, and an attribute default."""
    fn = helper.make_function(
        "local",
        "Affine",
        ["x"],
        ["y"],
        [
            helper.make_node("Constant", [], ["w"], value=floats("fw", 32, 32)),
            helper.make_node("MatMul", ["x", "w"], ["y"]),
        ],
        [helper.make_opsetid("", 17)],
    )
    fn.attribute_proto.append(helper.make_attribute("table", floats("default_table", 50, 50)))
    node = helper.make_node("Affine", ["x"], ["y"], domain="local")
    return helper.make_model(
        helper.make_graph([node], "g", [vi("x", shape=[32, 32])], [vi("y", shape=[32, 32])]),
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local", 1)],
        functions=[fn],
    )


def sparse_model():
    """A sparse initializer and a sparse Constant, both with large values/indices."""
    n = 2000
    idx = np.sort(RNG.choice(100 * 100, size=n, replace=False)).astype(np.int64)
    values = helper.make_tensor("sp.values", TensorProto.FLOAT, [n], RNG.standard_normal(n).tolist())
    indices = helper.make_tensor("sp.indices", TensorProto.INT64, [n], idx.tolist())
    sparse = helper.make_sparse_tensor(values, indices, [100, 100])
    small = helper.make_sparse_tensor(
        helper.make_tensor("small.values", TensorProto.FLOAT, [2], [1.0, 2.0]),
        helper.make_tensor("small.indices", TensorProto.INT64, [2], [0, 5]),
        [10],
    )
    sparse_const = helper.make_sparse_tensor(
        numpy_helper.from_array(RNG.standard_normal(n).astype(np.float32), "c.values"),
        numpy_helper.from_array(idx, "c.indices"),
        [100, 100],
    )
    nodes = [
        helper.make_node("Constant", [], ["c"], sparse_value=sparse_const),
        helper.make_node("Add", ["sp", "c"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "g", [], [vi("y", shape=[100, 100])], sparse_initializer=[sparse, small]
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def dtype_zoo_model(scale: int = 1):
    """One initializer per value field: int32/int64/uint64/double/string data."""
    n = 600 * scale
    inits = [
        helper.make_tensor("i32", TensorProto.INT32, [n], RNG.integers(-(2**31), 2**31, n).tolist()),
        helper.make_tensor("i64", TensorProto.INT64, [n], RNG.integers(-(2**62), 2**62, n).tolist()),
        helper.make_tensor("u64", TensorProto.UINT64, [n], RNG.integers(0, 2**63, n).tolist()),
        helper.make_tensor("f64", TensorProto.DOUBLE, [n], RNG.standard_normal(n).tolist()),
        helper.make_tensor("str", TensorProto.STRING, [n], [b"token%d" % i for i in range(n)]),
        helper.make_tensor("f16", TensorProto.FLOAT16, [n], RNG.standard_normal(n).astype(np.float16)),
    ]
    outs = [vi(t.name, t.data_type, [n]) for t in inits]
    nodes = [helper.make_node("Identity", [t.name], [t.name + "_out"]) for t in inits]
    for o in outs:
        o.name += "_out"
    return model_of(nodes, [], outs, inits)


def tensor_list_attr_model():
    """A custom node with `tensors`, `sparse_tensors` and `graphs` attributes."""
    sub = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["b"])], "sub", [vi("a")], [vi("b")], [floats("sub.w", 30, 30)]
    )
    node = helper.make_node(
        "Custom",
        ["x"],
        ["y"],
        domain="custom.ops",
        tables=[floats("t0", 40, 40), floats("t1", 2)],
        bodies=[sub, sub],
    )
    sp = helper.make_sparse_tensor(floats("sv", 1500, variant="float_data"), int64s("si", list(range(1500))), [3000])
    node.attribute.append(helper.make_attribute("sparse_list", [sp, sp]))
    return helper.make_model(
        helper.make_graph([node], "g", [vi("x")], [vi("y")]),
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("custom.ops", 1)],
    )


def training_model():
    """A TrainingInfoProto whose initialization graph holds a large initializer."""
    model = conv_net()
    init_graph = helper.make_graph(
        [helper.make_node("Identity", ["seed"], ["fc.w"])], "init", [], [vi("fc.w")], [floats("seed", 10, 2048)]
    )
    info = onnx.TrainingInfoProto()
    info.initialization.CopyFrom(init_graph)
    info.algorithm.CopyFrom(helper.make_graph([], "algo", [], []))
    model.training_info.append(info)
    return model


def save(model, path) -> str:
    onnx.save(model, str(path))
    return str(path)


MODELS = {
    "conv_net_raw_data": lambda: conv_net("raw"),
    "conv_net_float_data": lambda: conv_net("float_data"),
    "constant_node": constant_node_model,
    "if_subgraph": lambda: subgraph_model("If"),
    "loop_subgraph": lambda: subgraph_model("Loop"),
    "local_function": function_model,
    "sparse_initializer": sparse_model,
    "every_value_field": dtype_zoo_model,
    "tensor_and_graph_lists": tensor_list_attr_model,
    "training_info": training_model,
}


# --- differential tests ----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODELS))
def test_read_model_equals_onnx_load_with_large_payloads_cleared(name, tmp_path):
    path = save(MODELS[name](), tmp_path / f"{name}.onnx")
    slim = assert_matches_reference(path)
    # The case is meaningful: something was dropped and something kept.
    tensors = list(all_tensors(slim))
    assert any(payload_dropped(t) for t in tensors)
    assert os.path.getsize(path) > 2 * slim.ByteSize()


FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.onnx")))
@pytest.mark.parametrize("keep_bytes", [0, KEEP])
def test_every_onnx_fixture_reads_as_onnx_load_with_large_payloads_cleared(fixture, keep_bytes):
    assert_matches_reference(str(FIXTURES / fixture), keep_bytes)


def test_exporter_shaped_corpus_reads_as_onnx_load_with_large_payloads_cleared(tmp_path):
    small_resnet = {"weights": "random", "blocks": (1, 1, 1, 1), "size": 64}
    corpus = {"resnet": ob.resnet_graph("unfused", **small_resnet),
              "resnet_folded": ob.resnet_graph("folded", **small_resnet),
              "resnet_merged": ob.resnet_graph("merged", **small_resnet),
              "tied_lm": ob.tied_lm_graph(),
              "qdq": ob.qdq_conv_graph(), "chain": ob.chain_graph(300)}
    for name, model in corpus.items():
        assert_matches_reference(ob.save(model, tmp_path / f"{name}.onnx"))


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("keep_bytes", [0, 100, 10**9])
def test_read_model_follows_keep_bytes(name, keep_bytes, tmp_path):
    path = save(MODELS[name](), tmp_path / f"{name}.onnx")
    assert_matches_reference(path, keep_bytes)


def test_huge_keep_bytes_returns_the_model_unchanged(tmp_path):
    model = conv_net()
    path = save(model, tmp_path / "m.onnx")
    assert read_model(path, keep_bytes=10**12) == onnx.load(path)


def test_small_payloads_are_kept_byte_identical(tmp_path):
    model = dtype_zoo_model(scale=1)  # some value fields below 4 KiB, some above
    model.graph.initializer.append(floats("tiny_raw", 7))
    model.graph.initializer.append(floats("tiny_float_data", 7, variant="float_data"))
    path = save(model, tmp_path / "m.onnx")
    original = {t.name: t for t in onnx.load(path).graph.initializer}
    slim = read_model(path)
    kept = [t for t in slim.graph.initializer if payload_size(original[t.name]) <= KEEP]
    assert {t.name for t in kept} >= {"tiny_raw", "tiny_float_data", "f16"}
    for t in kept:
        assert t.SerializeToString() == original[t.name].SerializeToString()


def test_payload_exactly_keep_bytes_is_kept_and_one_more_byte_is_dropped(tmp_path):
    at = numpy_helper.from_array(np.ones(KEEP, dtype=np.uint8), "at")
    over = numpy_helper.from_array(np.ones(KEEP + 1, dtype=np.uint8), "over")
    path = save(model_of([], [], [], [at, over]), tmp_path / "m.onnx")
    slim = {t.name: t for t in read_model(path).graph.initializer}
    assert slim["at"].raw_data == at.raw_data
    assert slim["over"].raw_data == b""
    assert payload_dropped(slim["over"]) and not payload_dropped(slim["at"])


def test_dropped_tensor_keeps_name_dims_data_type_and_doc_string(tmp_path):
    w = floats("fc.w", 128, 256)
    w.doc_string = "the classifier"
    path = save(model_of([], [], [], [w]), tmp_path / "m.onnx")
    (t,) = read_model(path).graph.initializer
    assert (t.name, list(t.dims), t.data_type, t.doc_string) == (
        "fc.w",
        [128, 256],
        TensorProto.FLOAT,
        "the classifier",
    )
    assert not any(t.HasField(f) if f == "raw_data" else getattr(t, f) for f in PAYLOAD_FIELDS)
    assert payload_dropped(t)


def test_int64_reshape_target_keeps_its_values_for_shape_inference(tmp_path):
    path = save(conv_net(), tmp_path / "m.onnx")
    slim = read_model(path)
    shape = next(t for t in slim.graph.initializer if t.name == "shape")
    assert numpy_helper.to_array(shape).tolist() == [1, -1]
    inferred = onnx.shape_inference.infer_shapes(slim, strict_mode=True, data_prop=True)
    flat = next(v for v in inferred.graph.value_info if v.name == "flat")
    assert [d.dim_value for d in flat.type.tensor_type.shape.dim] == [1, 32 * 8 * 8]


def test_shape_inference_runs_on_a_slim_model_with_dropped_constants(tmp_path):
    path = save(constant_node_model(), tmp_path / "m.onnx")
    slim = read_model(path)
    assert payload_dropped(slim.graph.node[0].attribute[0].t)
    inferred = onnx.shape_inference.infer_shapes(slim, strict_mode=True, data_prop=True)
    m = next(v for v in inferred.graph.value_info if v.name == "m")
    assert [d.dim_value for d in m.type.tensor_type.shape.dim] == [64, 64]


def test_external_data_entries_are_kept_and_the_missing_data_file_is_not_needed(tmp_path):
    path = str(tmp_path / "ext.onnx")
    onnx.save_model(conv_net(), path, save_as_external_data=True, location="weights.bin", size_threshold=1024)
    os.remove(tmp_path / "weights.bin")
    slim = assert_matches_reference(path)
    fc = next(t for t in slim.graph.initializer if t.name == "fc.w")
    assert fc.data_location == TensorProto.EXTERNAL
    assert {e.key: e.value for e in fc.external_data}["location"] == "weights.bin"
    assert list(fc.dims) == [10, 2048]
    assert not payload_dropped(fc)  # its values were never in the file


def test_unknown_fields_and_metadata_are_copied_verbatim(tmp_path):
    model = conv_net()
    helper.set_model_props(model, {"author": "someone", "license": "MIT"})
    model.doc_string = "a doc string"
    model.graph.initializer[3].metadata_props.add(key="origin", value="fc")
    data = model.SerializeToString() + b"\xc8\x3e\x07"  # field 1001, varint 7: unknown
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    slim = read_model(str(path))
    assert slim == reference(str(path))
    assert slim.SerializeToString().endswith(b"\xc8\x3e\x07")
    assert slim.graph.initializer[3].metadata_props[0].value == "fc"


def test_graphs_nested_to_the_depth_limit_are_read(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "leaf", [], [vi("y")], [floats("deep.w", 40, 40)]
    )
    leaf = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "leaf", [], [vi("y")])
    for _ in range(MAX_GRAPH_DEPTH - 1):
        node = helper.make_node("If", ["c"], ["y"], then_branch=graph, else_branch=leaf)
        graph = helper.make_graph([node], "g", [vi("c", TensorProto.BOOL, [])], [vi("y")])
    path = save(helper.make_model(graph), tmp_path / "deep.onnx")
    slim = assert_matches_reference(path)
    assert sum(payload_dropped(t) for t in all_tensors(slim)) == 1


def test_payload_dropped_is_false_for_empty_and_kept_tensors():
    assert not payload_dropped(helper.make_tensor("empty", TensorProto.FLOAT, [0, 3], []))
    assert not payload_dropped(floats("kept", 3))
    gone = TensorProto(name="gone", data_type=TensorProto.FLOAT, dims=[3])
    assert payload_dropped(gone)


def test_read_model_refuses_a_negative_keep_bytes(tmp_path):
    path = save(conv_net(), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="keep_bytes"):
        read_model(path, keep_bytes=-1)


def test_read_model_accepts_a_path_like(tmp_path):
    path = tmp_path / "m.onnx"
    save(conv_net(), path)
    assert read_model(path) == reference(str(path))


# --- property test ---------------------------------------------------------------

ENCODINGS = ("raw", "float_data", "int32_data", "int64_data", "double_data", "string_data", "uint64_data")
PLACES = ("initializer", "constant", "subgraph", "sparse", "function")


def _random_tensor(name: str, encoding: str, nbytes: int, seed: int) -> TensorProto:
    """A tensor whose payload is about ``nbytes`` bytes on the wire."""
    rng = np.random.default_rng(seed)
    if encoding == "raw":
        return numpy_helper.from_array(rng.integers(0, 256, nbytes, dtype=np.uint8), name)
    if encoding == "float_data":
        n = max(nbytes // 4, 1)
        return helper.make_tensor(name, TensorProto.FLOAT, [n], rng.standard_normal(n).tolist())
    if encoding == "double_data":
        n = max(nbytes // 8, 1)
        return helper.make_tensor(name, TensorProto.DOUBLE, [n], rng.standard_normal(n).tolist())
    if encoding == "string_data":
        n = max(nbytes // 8, 1)
        return helper.make_tensor(name, TensorProto.STRING, [n], [b"%08d" % i for i in range(n)])
    n = max(nbytes // 2, 1)  # small varints: about 1-2 bytes each
    dtype = {"int32_data": TensorProto.INT32, "int64_data": TensorProto.INT64, "uint64_data": TensorProto.UINT64}[
        encoding
    ]
    return helper.make_tensor(name, dtype, [n], rng.integers(0, 200, n).tolist())


def _model_with(tensors: list[tuple[str, TensorProto]]) -> onnx.ModelProto:
    inits, nodes, sparse, fn_nodes = [], [], [], []
    body_inits = []
    for i, (place, t) in enumerate(tensors):
        if place == "initializer":
            inits.append(t)
        elif place == "constant":
            nodes.append(helper.make_node("Constant", [], [f"k{i}"], value=t))
        elif place == "subgraph":
            body_inits.append(t)
        elif place == "sparse":
            n = max(t.dims[0], 1)
            sparse.append(helper.make_sparse_tensor(t, int64s(f"idx{i}", list(range(n))), [2 * n]))
        else:
            fn_nodes.append(helper.make_node("Constant", [], [f"f{i}"], value=t))
    if body_inits:
        body = helper.make_graph([], "body", [], [], body_inits)
        nodes.append(helper.make_node("If", ["c"], ["y"], then_branch=body, else_branch=body))
    functions = []
    if fn_nodes:
        functions.append(helper.make_function("local", "F", [], [], fn_nodes, [helper.make_opsetid("", 17)]))
    graph = helper.make_graph(nodes, "g", [], [], inits, sparse_initializer=sparse)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], functions=functions)


tensor_specs = st.lists(
    st.tuples(
        st.sampled_from(PLACES),
        st.sampled_from(ENCODINGS),
        st.integers(min_value=0, max_value=2 * 300),
        st.integers(min_value=0, max_value=2**16),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=tensor_specs, keep_bytes=st.integers(min_value=0, max_value=600))
def test_property_read_model_matches_reference_for_random_payload_sizes(specs, keep_bytes):
    # Payload sizes cluster around keep_bytes (0..600) so both sides are hit.
    tensors = [
        (place, _random_tensor(f"t{i}", enc, size, seed)) for i, (place, enc, size, seed) in enumerate(specs)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = save(_model_with(tensors), os.path.join(tmp, "m.onnx"))
        slim = assert_matches_reference(path, keep_bytes)
        original = list(all_tensors(onnx.load(path)))
    for before, after in zip(original, all_tensors(slim), strict=True):
        if payload_size(before) <= keep_bytes:
            assert after.SerializeToString() == before.SerializeToString()
        else:
            assert (after.name, list(after.dims), after.data_type) == (
                before.name,
                list(before.dims),
                before.data_type,
            )
            assert payload_size(after) == 0



# --- unpacked repeated values (legal protobuf, never written by onnx) ------------


def _key(number: int, wire_type: int) -> bytes:
    return bytes([number << 3 | wire_type])


def _len_field(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def unpacked_tensor_bytes(name: str, n: int) -> dict[str, bytes]:
    """Serialized TensorProtos whose values are unpacked fields, one per element."""
    head = _key(1, 0) + _varint(n)  # dims: [n], unpacked too
    named = _len_field(8, name.encode())
    values = RNG.integers(-(2**40), 2**40, n).tolist()
    return {
        "float_data": head + _key(2, 0) + b"\x01" + b"".join(
            _key(4, 5) + np.float32(v).tobytes() for v in values
        ) + named,
        "double_data": head + _key(2, 0) + b"\x0b" + named + b"".join(
            _key(10, 1) + np.float64(v).tobytes() for v in values
        ),
        "int64_data": head + _key(2, 0) + b"\x07" + named + b"".join(_key(7, 0) + _varint(v) for v in values),
        # a packed part, then an unpacked part: parsers concatenate them
        "int32_mixed": head + _key(2, 0) + b"\x06" + named + _len_field(
            5, b"".join(_varint(v % 1000) for v in values[: n // 2])
        ) + b"".join(_key(5, 0) + _varint(v % 1000) for v in values[n // 2 :]),
    }


@pytest.mark.parametrize("n", [10, 5000])
@pytest.mark.parametrize("encoding", ["float_data", "double_data", "int64_data", "int32_mixed"])
def test_unpacked_values_are_read_and_dropped_like_packed_ones(tmp_path, encoding, n):
    tensor = unpacked_tensor_bytes("w", n)[encoding]
    graph = _len_field(5, tensor) + _len_field(2, b"g")
    data = _len_field(7, graph) + _len_field(8, _key(2, 0) + b"\x11")
    path = tmp_path / "unpacked.onnx"
    path.write_bytes(data)
    slim = assert_matches_reference(str(path))
    (t,) = slim.graph.initializer
    assert (t.name, list(t.dims)) == ("w", [n])
    assert payload_dropped(t) == (n > 1000)
