"""Graph-only benchmark models: the way paramlint is meant to be used on
exports, with every weight in an external-data file that is not there.

A bench model that embeds its weights flatters paramlint (it skips the
payload that ``onnx.load`` must copy); real users keep graph-only exports
in their repositories. These generators write no weight bytes at all: each
initializer is a TensorProto whose data lives in an absent
``weights.bin``, exactly as an export looks after its ``.data`` file was
deleted.

    transformer_model(nodes)  a TorchScript-shaped BERT encoder (hidden
        768, 12 heads, 128 tokens): per layer LayerNormalization, q/k/v
        MatMul + bias Add, the Shape/Gather/Unsqueeze/Concat chains that
        build each Reshape target, attention MatMuls, Softmax, erf GELU,
        residual Adds: 51 nodes a layer
    chain_graph_only(nodes)   the Conv/Relu/Add residual chain of
        models.chain_model with its weights external and absent
"""

from __future__ import annotations

HIDDEN, HEADS, TOKENS, FFN = 768, 12, 128, 3072
OPSET = 17
NODES_PER_LAYER = 51


def _external(name: str, dims: list[int], offset: int):
    """An initializer whose float32 data is in the absent weights.bin."""
    from onnx import TensorProto

    tensor = TensorProto(name=name, dims=dims, data_type=TensorProto.FLOAT)
    tensor.data_location = TensorProto.EXTERNAL
    size = 4
    for d in dims:
        size *= d
    for key, value in (("location", "weights.bin"), ("offset", str(offset)), ("length", str(size))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor, size


def transformer_model(nodes_wanted: int):
    from onnx import TensorProto, helper

    layers = max(1, round(nodes_wanted / NODES_PER_LAYER))
    nodes, inits = [], []
    offset = [0]

    def weight(name, dims):
        tensor, size = _external(name, dims, offset[0])
        offset[0] += size
        inits.append(tensor)
        return name

    def const(name, values, dtype=TensorProto.INT64):
        inits.append(helper.make_tensor(name, dtype, [len(values)], values))
        return name

    def node(op, inputs, name, **attrs):
        out = f"{name}_output_0"
        nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    const("c_heads", [HEADS])
    const("c_head_dim", [HEAD_DIM := HIDDEN // HEADS])
    const("c_hidden", [HIDDEN])
    const("c_zero", [0])
    inits.append(helper.make_tensor("c_sqrt", TensorProto.FLOAT, [], [float(HEAD_DIM) ** 0.5]))
    inits.append(helper.make_tensor("c_half", TensorProto.FLOAT, [], [0.5]))
    inits.append(helper.make_tensor("c_one", TensorProto.FLOAT, [], [1.0]))
    inits.append(helper.make_tensor("c_rsqrt2", TensorProto.FLOAT, [], [2 ** -0.5]))

    def dense(x, prefix, name, fin, fout):
        w = weight(f"{prefix}.{name}.weight_T", [fin, fout])
        b = weight(f"{prefix}.{name}.bias", [fout])
        scope = f"/{prefix.replace('.', '/')}/{name}"
        y = node("MatMul", [x, w], f"{scope}/MatMul")
        return node("Add", [b, y], f"{scope}/Add")

    def split_heads(x, scope):
        shape = node("Shape", [x], f"{scope}/Shape")
        batch = node("Gather", [shape, "c_zero_scalar"], f"{scope}/Gather", axis=0)
        batch1 = node("Unsqueeze", [batch, "c_zero"], f"{scope}/Unsqueeze")
        target = node("Concat", [batch1, "c_minus1", "c_heads", "c_head_dim"], f"{scope}/Concat", axis=0)
        y = node("Reshape", [x, target], f"{scope}/Reshape")
        return node("Transpose", [y], f"{scope}/Transpose", perm=[0, 2, 1, 3])

    inits.append(helper.make_tensor("c_zero_scalar", TensorProto.INT64, [], [0]))
    const("c_minus1", [-1])
    x = "input"
    for i in range(layers):
        p = f"encoder.layer.{i}"
        s = f"/encoder/layer.{i}"
        ln = node("LayerNormalization", [x, weight(f"{p}.ln1.weight", [HIDDEN]),
                                         weight(f"{p}.ln1.bias", [HIDDEN])], f"{s}/ln1/LayerNorm", axis=-1)
        q = split_heads(dense(ln, p, "attention.query", HIDDEN, HIDDEN), f"{s}/attention/q")
        k = split_heads(dense(ln, p, "attention.key", HIDDEN, HIDDEN), f"{s}/attention/k")
        v = split_heads(dense(ln, p, "attention.value", HIDDEN, HIDDEN), f"{s}/attention/v")
        kt = node("Transpose", [k], f"{s}/attention/Transpose_kt", perm=[0, 1, 3, 2])
        scores = node("MatMul", [q, kt], f"{s}/attention/MatMul")
        scores = node("Div", [scores, "c_sqrt"], f"{s}/attention/Div")
        scores = node("Add", [scores, "mask"], f"{s}/attention/Add_mask")
        probs = node("Softmax", [scores], f"{s}/attention/Softmax", axis=-1)
        ctx = node("MatMul", [probs, v], f"{s}/attention/MatMul_1")
        ctx = node("Transpose", [ctx], f"{s}/attention/Transpose", perm=[0, 2, 1, 3])
        shape = node("Shape", [ctx], f"{s}/attention/Shape")
        batch = node("Gather", [shape, "c_zero_scalar"], f"{s}/attention/Gather", axis=0)
        batch1 = node("Unsqueeze", [batch, "c_zero"], f"{s}/attention/Unsqueeze")
        target = node("Concat", [batch1, "c_minus1", "c_hidden"], f"{s}/attention/Concat", axis=0)
        ctx = node("Reshape", [ctx, target], f"{s}/attention/Reshape")
        attn = dense(ctx, p, "attention.output", HIDDEN, HIDDEN)
        x = node("Add", [x, attn], f"{s}/Add")
        ln2 = node("LayerNormalization", [x, weight(f"{p}.ln2.weight", [HIDDEN]),
                                          weight(f"{p}.ln2.bias", [HIDDEN])], f"{s}/ln2/LayerNorm", axis=-1)
        h = dense(ln2, p, "intermediate", HIDDEN, FFN)
        g = node("Mul", [h, "c_rsqrt2"], f"{s}/gelu/Mul")
        g = node("Erf", [g], f"{s}/gelu/Erf")
        g = node("Add", [g, "c_one"], f"{s}/gelu/Add")
        g = node("Mul", [h, g], f"{s}/gelu/Mul_1")
        g = node("Mul", [g, "c_half"], f"{s}/gelu/Mul_2")
        out = dense(g, p, "output", FFN, HIDDEN)
        x = node("Add", [x, out], f"{s}/Add_1")
    nodes[-1].output[0] = "output"
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, TOKENS, HIDDEN]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, 1, TOKENS])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, TOKENS, HIDDEN])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="pytorch", producer_version="2.1.0",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model


def chain_graph_only(nodes_wanted: int, channels: int = 16, size: int = 16):
    """models.chain_model's residual chain, weights external and absent."""
    from models import chain_model

    offset = 0

    def tensor(name, dims):
        nonlocal offset
        made, size_ = _external(name, dims, offset)
        offset += size_
        return made

    return chain_model(nodes_wanted, channels, size, tensor=tensor)
