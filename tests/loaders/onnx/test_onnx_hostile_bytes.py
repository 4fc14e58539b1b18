"""read_model on hostile input: a one-line LoadError, in bounded time and memory.

Every case asserts the exception type and what its message says, so a
regression that turns a clear reason into a vague one fails here too.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from paramlint.ir.model import LoadError
from paramlint.loaders.onnx import wire as onnx_wire
from paramlint.loaders.onnx.wire import MAX_GRAPH_DEPTH, read_model
from paramlint.loaders.onnx.protowire import encode_varint

# --- helpers --------------------------------------------------------------------


def small_model() -> onnx.ModelProto:
    """A Conv with a large kernel: about 14 KB, opset_import its last field."""
    w = numpy_helper.from_array(np.ones((32, 3, 3, 3), np.float32) / 3, "w")
    b = numpy_helper.from_array(np.zeros(32, np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [w, b],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def field(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return encode_varint(number << 3 | 2) + encode_varint(len(payload)) + payload


OPSET = field(8, field(2, b"\x11"))  # opset_import { version: 17 }


def write(tmp_path, data: bytes, name: str = "m.onnx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def load_error(path) -> LoadError:
    with pytest.raises(LoadError) as info:
        read_model(str(path))
    err = info.value
    assert "\n" not in str(err), "the reason must fit on one line"
    assert err.location is not None and err.location.path == str(path)
    return err


# --- files that are not there or not files --------------------------------------


def test_empty_file_is_refused(tmp_path):
    assert "empty file" in load_error(write(tmp_path, b"")).message


def test_missing_file_is_refused(tmp_path):
    assert "no such file" in load_error(tmp_path / "absent.onnx").message


def test_directory_is_refused(tmp_path):
    (tmp_path / "dir.onnx").mkdir()
    assert "directory" in load_error(tmp_path / "dir.onnx").message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_opening_it(tmp_path):
    # Opening a FIFO with no writer would block: the stat must refuse it first.
    path = tmp_path / "pipe.onnx"
    os.mkfifo(path)
    assert "not a regular file" in load_error(path).message


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_character_device_is_refused(device):
    assert "not a regular file" in load_error(device).message


def test_unreadable_file_is_refused(tmp_path, monkeypatch):
    # Tests run as root in CI, where chmod 0 does not stop a read, so the
    # refusal the kernel would give is simulated at os.open.
    path = write(tmp_path, small_model().SerializeToString())

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "open", denied)
    assert "permission denied" in load_error(path).message


def test_symlink_to_a_model_is_read(tmp_path):
    target = write(tmp_path, small_model().SerializeToString())
    link = tmp_path / "link.onnx"
    link.symlink_to(target)
    assert read_model(str(link)).graph.node[0].op_type == "Conv"


# --- bytes that are not protobuf ---------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_are_refused(tmp_path, seed):
    rng = random.Random(seed)
    data = rng.randbytes(rng.randrange(1, 4096))
    message = load_error(write(tmp_path, data)).message
    assert message.startswith(("not a valid ONNX file", "not an ONNX model"))


def test_every_truncation_of_a_model_is_refused(tmp_path):
    data = small_model().SerializeToString()
    path = tmp_path / "cut.onnx"
    reasons = set()
    for n in range(len(data)):
        path.write_bytes(data[:n])
        reasons.add(load_error(path).message.split(":")[0])
    assert reasons == {
        "not a valid ONNX file",  # empty
        "not a valid ONNX file (truncated or corrupt protobuf)",
        "not an ONNX model",  # cut between fields: no graph / no opset_import
    }


def test_truncation_inside_a_weight_says_where(tmp_path):
    data = small_model().SerializeToString()
    message = load_error(write(tmp_path, data[: len(data) // 2])).message
    assert "truncated or corrupt" in message
    assert "runs past the end" in message and "at byte" in message


def test_varint_longer_than_ten_bytes_is_refused(tmp_path):
    data = b"\x08" + b"\xff" * 11 + b"\x01"  # ir_version = 12-byte varint
    assert "varint longer than 10 bytes" in load_error(write(tmp_path, data)).message


def test_truncated_varint_is_refused(tmp_path):
    assert "truncated varint" in load_error(write(tmp_path, b"\x08\xff\xff")).message


def test_length_prefix_past_the_end_is_refused(tmp_path):
    data = b"\x3a" + encode_varint(2**31) + b"\x0a\x00"  # graph of 2 GiB, 2 bytes given
    message = load_error(write(tmp_path, data)).message
    assert "length prefix (2147483648 bytes) runs past the end" in message


def test_length_prefix_past_the_end_of_its_parent_message_is_refused(tmp_path):
    # A node declared 5 bytes long inside a graph of 3 bytes: the file has
    # enough bytes, the graph does not.
    data = OPSET + b"\x3a\x03" + b"\x0a\x05\x0a" + b"\x12\x01y" * 4
    assert "runs past the end of its message" in load_error(write(tmp_path, data)).message


@pytest.mark.parametrize(
    ("wire_type", "reason"),
    [(3, "group start"), (4, "group end"), (6, "invalid wire type 6"), (7, "invalid wire type 7")],
)
def test_unexpected_wire_types_are_refused_at_top_level(tmp_path, wire_type, reason):
    data = bytes([7 << 3 | wire_type]) + b"\x00" * 8 + OPSET
    assert reason in load_error(write(tmp_path, data)).message


@pytest.mark.parametrize("wire_type", [3, 4, 6, 7])
def test_unexpected_wire_types_are_refused_inside_a_tensor(tmp_path, wire_type):
    # A tensor this small is not walked field by field (it cannot hold a
    # payload worth dropping): protobuf's parser refuses it.
    tensor = b"\x08\x04" + bytes([9 << 3 | wire_type]) + b"\x00" * 8  # dims=4, raw_data?
    graph = field(5, tensor)
    data = field(7, graph) + OPSET
    message = load_error(write(tmp_path, data)).message
    assert message.startswith("not a valid ONNX file") and "corrupt" in message


@pytest.mark.parametrize("wire_type", [3, 4, 6, 7])
def test_unexpected_wire_types_are_refused_inside_a_large_tensor(tmp_path, wire_type):
    tensor = b"\x08\x04" + field(13, b"x" * 5000) + bytes([9 << 3 | wire_type]) + b"\x00" * 8
    graph = field(5, tensor)
    data = field(7, graph) + OPSET
    message = load_error(write(tmp_path, data)).message
    assert f"wire type {wire_type}" in message and "in field 9" in message


def test_field_number_zero_is_refused(tmp_path):
    assert "field number 0" in load_error(write(tmp_path, b"\x02\x00" + OPSET)).message


def test_graph_field_with_a_scalar_wire_type_is_refused(tmp_path):
    data = b"\x38\x01" + OPSET  # graph = varint 1
    message = load_error(write(tmp_path, data)).message
    assert "ModelProto field 7" in message and "expected length-delimited" in message


def test_initializer_with_a_scalar_wire_type_is_refused(tmp_path):
    data = field(7, b"\x28\x01") + OPSET  # graph { initializer = varint 1 }
    message = load_error(write(tmp_path, data)).message
    assert "field 5 of GraphProto" in message and "expected a message" in message


def test_garbage_where_onnx_parses_is_wrapped(tmp_path):
    # value_info (graph field 11) is copied without a look; onnx's parser
    # finds the wire-type-7 key inside it.
    data = field(7, field(11, b"\x0f\x00")) + OPSET
    message = load_error(write(tmp_path, data)).message
    assert message.startswith("not a valid ONNX file: Error parsing message")


# --- protobuf that is not a model -----------------------------------------------------


def test_serialized_tensor_is_not_a_model(tmp_path):
    tensor = numpy_helper.from_array(np.ones((4, 4), np.float32), "t")
    message = load_error(write(tmp_path, tensor.SerializeToString())).message
    assert message.startswith("not an ONNX model: ModelProto field")


@pytest.mark.parametrize("what", ["graph", "node"])
def test_serialized_graph_or_node_is_not_a_model(tmp_path, what):
    model = small_model()
    proto = model.graph if what == "graph" else model.graph.node[0]
    message = load_error(write(tmp_path, proto.SerializeToString())).message
    assert message.startswith("not an ONNX model")


def test_model_without_a_graph_is_refused(tmp_path):
    model = onnx.ModelProto(ir_version=8, producer_name="x")
    model.opset_import.add(version=17)
    assert load_error(write(tmp_path, model.SerializeToString())).message == "not an ONNX model: no graph"


def test_model_without_opset_import_is_refused(tmp_path):
    model = small_model()
    del model.opset_import[:]
    message = load_error(write(tmp_path, model.SerializeToString())).message
    assert message == "not an ONNX model: no opset_import"


# --- nesting and sizes ---------------------------------------------------------------


GRAPH_TYPE = b"\xa0\x01\x05"  # AttributeProto.type = GRAPH, as writers set it
GRAPHS_TYPE = b"\xa0\x01\x0a"  # AttributeProto.type = GRAPHS


def nested_graph_bytes(depth: int, typed: bool = True) -> bytes:
    """ModelProto bytes with graphs nested ``depth`` deep through If-style attributes."""
    graph = b""
    for _ in range(depth - 1):
        attribute = field(6, graph) + (GRAPH_TYPE if typed else b"")  # AttributeProto.g
        node = field(5, attribute)  # NodeProto.attribute
        graph = field(1, node)  # GraphProto.node
    return field(7, graph) + OPSET


def test_subgraphs_nested_thousands_deep_are_refused_without_recursion_error(tmp_path):
    message = load_error(write(tmp_path, nested_graph_bytes(5000))).message
    assert message == f"subgraphs nested more than {MAX_GRAPH_DEPTH} deep"


def test_one_level_past_the_depth_limit_is_refused(tmp_path):
    assert read_model(write(tmp_path, nested_graph_bytes(MAX_GRAPH_DEPTH))).graph is not None
    message = load_error(write(tmp_path, nested_graph_bytes(MAX_GRAPH_DEPTH + 1))).message
    assert "nested more than" in message


def test_untyped_graph_attributes_nested_past_the_limit_are_a_one_line_error(tmp_path):
    # No writer omits AttributeProto.type; small nodes without it are not
    # walked (onnx_wire._may_hold_graph) and protobuf's own depth limit
    # refuses them.
    message = load_error(write(tmp_path, nested_graph_bytes(40, typed=False))).message
    assert message.startswith("not a valid ONNX file") and "\n" not in message


def test_nesting_through_functions_is_capped_too(tmp_path):
    graph = b""
    for _ in range(200):
        graph = field(1, field(5, field(11, graph) + GRAPHS_TYPE))  # node.attribute.graphs
    function = field(7, field(5, field(11, graph) + GRAPHS_TYPE))  # FunctionProto.node...
    data = field(7, b"") + OPSET + field(25, function)
    assert "nested more than" in load_error(write(tmp_path, data)).message


def test_declared_two_gib_tensor_in_a_tiny_file_is_read(tmp_path):
    tensor = TensorProto(name="huge", data_type=TensorProto.FLOAT, dims=[2**29, 4])
    graph = helper.make_graph([], "g", [], [], [tensor])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = write(tmp_path, model.SerializeToString())
    assert os.path.getsize(path) < 1024
    (t,) = read_model(path).graph.initializer
    assert list(t.dims) == [2**29, 4]


def test_trailing_garbage_after_a_model_is_refused(tmp_path):
    data = small_model().SerializeToString() + b"\xff\xff\xff"
    assert "truncated" in load_error(write(tmp_path, data)).message


# --- the boundary ---------------------------------------------------------------------


def test_unexpected_internal_error_becomes_load_error(tmp_path, monkeypatch):
    def broken(buf, keep_bytes):
        raise KeyError("surprise\nsecond line")

    from paramlint.loaders.onnx import slim as onnx_slim
    from paramlint.support import isolate

    path = write(tmp_path, small_model().SerializeToString())
    with monkeypatch.context() as patch:
        patch.setattr(onnx_slim, "_slim", broken)
        isolate.reset()  # the file is walked in the child: fork one that has the patch
        try:
            message = load_error(path).message
        finally:
            isolate.reset()
    assert message.startswith("cannot read ONNX model:") and "surprise" in message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_mutated_models_give_a_model_or_load_error(tmp_path, data):
    original = bytearray(small_model().SerializeToString())
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(original) - 1))
        original[i] = data.draw(st.integers(0, 255))
    path = write(tmp_path, bytes(original), "mutated.onnx")
    try:
        model = read_model(path)
    except LoadError as err:
        assert err.message and "\n" not in err.message
    else:
        assert isinstance(model, onnx.ModelProto)


# --- nothing the model names is opened ---------------------------------------------------

AUDIT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from paramlint.loaders.onnx.wire import read_model, slim_job
    from paramlint.loaders.onnx.lean import proto
    import onnx, google.protobuf.message

    proto()  # paramlint's own modules, imported before the audit starts

    opened = []

    def hook(event, args):
        if event == "open":
            opened.append(str(args[0]))

    sys.addaudithook(hook)
    # The walk runs in the supervised child, whose opens this hook cannot
    # see: run the child's side here too.
    slim_job((4096).to_bytes(8, "big") + sys.argv[1].encode())
    model = read_model(sys.argv[1])
    tensors = {
        t.name: {e.key: e.value for e in t.external_data} for t in model.graph.initializer
    }
    print(json.dumps({"opened": opened, "tensors": tensors}))
    """
)


def external_tensor(name: str, location: str) -> TensorProto:
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=[1024, 1024])
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value=location)
    tensor.external_data.add(key="length", value=str(4 * 1024 * 1024))
    return tensor


def test_external_data_locations_are_never_opened(tmp_path):
    locations = {"relative": "../../etc/passwd", "absolute": "/etc/passwd", "device": "/dev/zero"}
    inits = [external_tensor(name, loc) for name, loc in locations.items()]
    graph = helper.make_graph([], "g", [], [], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = write(tmp_path, model.SerializeToString(), "evil.onnx")
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    run = subprocess.run(
        [sys.executable, "-c", AUDIT_SCRIPT, path],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        env={**os.environ, "PYTHONPATH": repo},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["opened"] and set(result["opened"]) == {path}
    assert {name: entries["location"] for name, entries in result["tensors"].items()} == locations
