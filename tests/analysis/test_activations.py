"""Activation memory at inference: the peak of alive tensors (docs/memory.md)."""

from __future__ import annotations

from paramlint.analysis.activations import activations
from paramlint.lint.engine import load_model
from yaml_helpers import FIXTURES, load_text

CONV1 = 96 * 55 * 55 * 4       # 1,161,600 bytes: conv1's output at fp32
INPUT = 3 * 227 * 227 * 4      # 618,348


def test_alexnet_yaml_peaks_at_the_first_relu_holding_its_input_and_output():
    acts = activations(load_model(str(FIXTURES / "alexnet.yaml")))
    model = load_model(str(FIXTURES / "alexnet.yaml"))
    first_relu = next(layer.name for layer in model.layers if layer.op == "relu")
    # the image is freed after conv1 (its last reader); conv1's output and the ReLU's are alive
    assert acts.peak_bytes == 2 * CONV1 == 2_323_200 > INPUT + CONV1
    assert acts.at == first_relu and acts.complete


def test_alexnet_onnx_gives_the_same_peak_at_the_same_layer():
    acts = activations(load_model(str(FIXTURES / "alexnet.onnx")))
    assert acts.peak_bytes == 2_323_200 and acts.at.endswith("Relu")


def test_batch_and_dtype_scale_the_peak():
    model = load_model(str(FIXTURES / "alexnet.yaml"))
    assert activations(model, batch=4, dtype="fp16").peak_bytes == 4 * 2_323_200 // 2


def test_a_branch_keeps_its_input_alive_until_the_last_reader(tmp_path):
    model = load_text(tmp_path, """\
        input: [10]
        layers:
          - {name: a, type: dense, units: 100}
          - {name: b, type: dense, units: 100}
          - {name: c, type: add, inputs: [a, b]}
        """)
    # at c: a (still read by c), b, and c's output; the input was freed after a
    assert activations(model).peak_bytes == (100 + 100 + 100) * 4


def test_attention_adds_its_scores_and_probabilities_as_workspace(tmp_path):
    model = load_text(tmp_path, """\
        paramlint: 2
        input: [10, 32]
        layers:
          - {name: attn, type: attention, heads: 4}
        """)
    acts = activations(model)
    work = 2 * 10 * 32 + 2 * 10 * 32 + 2 * 4 * 10 * 10   # Q and context, K and V, scores and probs
    assert acts.peak_bytes == (10 * 32 + 10 * 32 + work) * 4 and acts.at == "attn"


def test_an_unknown_dimension_makes_the_peak_a_lower_bound(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq"])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g", [x], [y])
    path = tmp_path / "sym.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    acts = activations(load_model(str(path)))
    assert not acts.complete and "x" in acts.unknown
