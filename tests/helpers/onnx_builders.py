"""Build small ONNX graphs laid out the way real exporters lay them out.

No torch, no tensorflow: ``onnx.helper`` only. Used by the loader tests,
and meant for benchmarks and fuzzing too, so everything is parameterised.

``weights`` everywhere:

* ``"random"``: float32 values (distinct), stored in the file;
* ``"zeros"``: all zeros, stored (an untrained, merged-constant look);
* ``None``: no payload at all (dims and data_type only), what the slim
  reader sees of a large tensor; cheap for big models such as VGG16.

Naming follows the TorchScript exporter (torchvision):
nodes ``/features/features.0/Conv``, initializers ``features.0.weight``,
tensors ``/features/features.0/Conv_output_0``.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64


class GraphBuilder:
    """Accumulates nodes, initializers, inputs and outputs; ``model()`` makes
    the ModelProto."""

    def __init__(self, name: str = "graph", *, opset: int = 17, weights: str | None = "random",
                 ir_version: int | None = None, seed: int = 0,
                 initializers_as_inputs: bool = False) -> None:
        self.name = name
        self.opset = opset
        self.weights = weights
        self.ir_version = ir_version
        self.rng = np.random.default_rng(seed)
        self.initializers_as_inputs = initializers_as_inputs
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self.functions: list[onnx.FunctionProto] = []
        self.extra_opsets: dict[str, int] = {}
        self._names: set[str] = set()

    # ---- tensors

    def input(self, name: str, shape: Sequence[Any] | None, dtype: int = FLOAT) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def output(self, name: str, shape: Sequence[Any] | None = None, dtype: int = FLOAT) -> str:
        self.outputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def init(self, name: str, shape: Sequence[int], fill: Any = "default",
             dtype: int = FLOAT) -> str:
        """An initializer. ``fill``: "default" (the builder's ``weights``
        mode), "random", "zeros", None (no payload), a number (all equal),
        or an array of values."""
        self.inits.append(make_tensor(name, shape,
                                      self.weights if _is(fill, "default") else fill,
                                      dtype, self.rng))
        return name

    def external(self, name: str, shape: Sequence[int], location: str, dtype: int = FLOAT) -> str:
        """An initializer whose data lives in an external file (never read)."""
        t = make_tensor(name, shape, None, dtype, self.rng)
        t.data_location = TensorProto.EXTERNAL
        n = int(np.prod(shape)) * 4
        for k, v in (("location", location), ("offset", "0"), ("length", str(n))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.inits.append(t)
        return name

    def constant(self, name: str, value: Any, node_name: str | None = None) -> str:
        """A Constant node making ``name`` from a numpy array (or number)."""
        arr = np.asarray(value)
        self.node("Constant", [], [name], name=node_name or f"{name}_Constant",
                  value=numpy_helper.from_array(arr, name=""))
        return name

    # ---- nodes

    def node(self, op: str, inputs: Sequence[str], outputs: Sequence[str] | int | None = None,
             *, name: str | None = None, domain: str = "", **attrs: Any) -> Any:
        """Append a node. ``outputs``: names, a count, or None (one output
        named ``<name>_output_0``). Returns the output name (or list when
        several)."""
        name = name if name is not None else f"/{op}_{len(self.nodes)}"
        if outputs is None:
            outputs = [f"{name}_output_0"]
        elif isinstance(outputs, int):
            outputs = [f"{name}_output_{i}" for i in range(outputs)]
        if domain and domain not in self.extra_opsets:
            self.extra_opsets[domain] = 1
        self.nodes.append(helper.make_node(op, list(inputs), list(outputs), name=name,
                                           domain=domain or None, **attrs))
        return outputs[0] if len(outputs) == 1 else list(outputs)

    # ---- model

    def model(self) -> onnx.ModelProto:
        inputs = list(self.inputs)
        if self.initializers_as_inputs:
            inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                       for t in self.inits]
        graph = helper.make_graph(self.nodes, self.name, inputs, self.outputs, self.inits)
        opsets = [helper.make_opsetid("", self.opset)]
        opsets += [helper.make_opsetid(d, v) for d, v in self.extra_opsets.items()]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="pytorch",
                                  functions=self.functions or None)
        model.ir_version = self.ir_version or _ir_for_opset(self.opset)
        return model


def _ir_for_opset(opset: int) -> int:
    table = {9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9,
             20: 9, 21: 10, 22: 10, 23: 11}
    return table.get(opset, onnx.IR_VERSION)


def _is(fill: Any, word: str) -> bool:
    return isinstance(fill, str) and fill == word


def make_tensor(name: str, shape: Sequence[int], fill: Any, dtype: int = FLOAT,
                rng: Any = None) -> onnx.TensorProto:
    """A TensorProto: ``fill`` "random" / "zeros" / None (no payload) / a
    number / an array."""
    shape = [int(d) for d in shape]
    np_dtype = helper.tensor_dtype_to_np_dtype(dtype)
    if fill is None:
        t = TensorProto()
        t.name = name
        t.data_type = dtype
        t.dims.extend(shape)
        return t
    if _is(fill, "random"):
        rng = rng if rng is not None else np.random.default_rng(0)
        if np.issubdtype(np_dtype, np.integer):
            arr = rng.integers(-100, 100, size=shape).astype(np_dtype)
        else:
            arr = rng.standard_normal(size=shape).astype(np_dtype)
    elif _is(fill, "zeros"):
        arr = np.zeros(shape, dtype=np_dtype)
    elif _is(fill, "ones"):
        arr = np.ones(shape, dtype=np_dtype)
    elif np.isscalar(fill):
        arr = np.full(shape, fill, dtype=np_dtype)
    else:
        arr = np.asarray(fill, dtype=np_dtype).reshape(shape)
    return numpy_helper.from_array(arr, name=name)


# --------------------------------------------------------------------------
# layer helpers (torchvision naming: scope "/features/features.0", params
# "features.0.weight")


def _scope_param(scope: str) -> str:
    """"/features/features.0" -> "features.0";
    "/layer1/layer1.0/downsample/downsample.0" -> "layer1.0.downsample.0"."""
    parts: list[str] = []
    for comp in scope.strip("/").split("/"):
        if not comp:
            continue
        if parts and comp.startswith(parts[-1] + "."):
            parts[-1] = comp
        else:
            parts.append(comp)
    return ".".join(parts) or "p"


def conv(b: GraphBuilder, x: str, cin: int, cout: int, k: int | Sequence[int], *,
         scope: str, stride: int = 1, pad: int = 0, groups: int = 1, bias: bool = True,
         dilation: int = 1, fill: Any = "default", transpose: bool = False) -> str:
    """Conv (or ConvTranspose) with torchvision names; kernel rank from ``k``."""
    ks = [k, k] if isinstance(k, int) else list(k)
    p = _scope_param(scope)
    if transpose:
        w = b.init(f"{p}.weight", [cin, cout // groups, *ks], fill)
    else:
        w = b.init(f"{p}.weight", [cout, cin // groups, *ks], fill)
    ins = [x, w]
    if bias:
        ins.append(b.init(f"{p}.bias", [cout], fill))
    op = "ConvTranspose" if transpose else "Conv"
    return b.node(op, ins, name=f"{scope}/{op}", kernel_shape=ks, strides=[stride] * len(ks),
                  pads=[pad] * (2 * len(ks)), dilations=[dilation] * len(ks), group=groups)


def batchnorm(b: GraphBuilder, x: str, c: int, *, scope: str, fill: Any = "default",
              names: Sequence[str] | None = None) -> str:
    """BatchNormalization reading scale, B, running mean and var (``names``
    overrides the four input tensors, e.g. shared merged constants)."""
    p = _scope_param(scope)
    if names is None:
        names = [b.init(f"{p}.weight", [c], fill), b.init(f"{p}.bias", [c], fill),
                 b.init(f"{p}.running_mean", [c], fill), b.init(f"{p}.running_var", [c], fill)]
    attrs: dict[str, Any] = {"epsilon": 1e-5, "momentum": 0.9}
    if b.opset < 9:
        attrs["spatial"] = 1
    return b.node("BatchNormalization", [x, *names], name=f"{scope}/BatchNormalization", **attrs)


def relu(b: GraphBuilder, x: str, *, scope: str) -> str:
    return b.node("Relu", [x], name=f"{scope}/Relu")


def maxpool(b: GraphBuilder, x: str, k: int, stride: int, pad: int = 0, *, scope: str) -> str:
    return b.node("MaxPool", [x], name=f"{scope}/MaxPool", kernel_shape=[k, k],
                  strides=[stride, stride], pads=[pad] * 4)


def flatten(b: GraphBuilder, x: str, *, scope: str = "", axis: int = 1) -> str:
    return b.node("Flatten", [x], name=f"{scope}/Flatten", axis=axis)


def gemm(b: GraphBuilder, x: str, fin: int, fout: int, *, scope: str, bias: bool = True,
         fill: Any = "default") -> str:
    """torch.nn.Linear as the TorchScript exporter writes it: Gemm(transB=1)
    reading ``<p>.weight`` of shape [out, in]."""
    p = _scope_param(scope)
    ins = [x, b.init(f"{p}.weight", [fout, fin], fill)]
    if bias:
        ins.append(b.init(f"{p}.bias", [fout], fill))
    return b.node("Gemm", ins, name=f"{scope}/Gemm", alpha=1.0, beta=1.0, transB=1)


def linear_matmul(b: GraphBuilder, x: str, fin: int, fout: int, *, scope: str, bias: bool = True,
                  transpose_node: bool = False, fill: Any = "default") -> str:
    """torch.nn.Linear as the dynamo exporter writes it: MatMul(x, W^T)
    then Add(_, bias). ``transpose_node``: W stored [out, in] and a Transpose
    node in the graph; else stored pre-transposed [in, out]."""
    p = _scope_param(scope)
    if transpose_node:
        w = b.init(f"{p}.weight", [fout, fin], fill)
        w = b.node("Transpose", [w], name=f"{scope}/Transpose", perm=[1, 0])
    else:
        w = b.init(f"{p}.weight", [fin, fout], fill)
    y = b.node("MatMul", [x, w], name=f"{scope}/MatMul")
    if bias:
        y = b.node("Add", [y, b.init(f"{p}.bias", [fout], fill)], name=f"{scope}/Add")
    return y


def reshape(b: GraphBuilder, x: str, shape: Sequence[int], *, scope: str = "") -> str:
    s = b.constant(f"{scope}/Constant_output_0", np.array(shape, dtype=np.int64),
                   node_name=f"{scope}/Constant")
    return b.node("Reshape", [x, s], name=f"{scope}/Reshape")


def save(model: onnx.ModelProto, path: str | os.PathLike, external: bool = False) -> str:
    """Write a model; ``external``: large tensors to ``<name>.data`` next to it."""
    path = os.fspath(path)
    if external:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=1024)
    else:
        onnx.save_model(model, path)
    return path


# --------------------------------------------------------------------------
# whole models


def alexnet_graph(weights: str | None = None, *, opset: int = 17, batch: Any = 1) -> onnx.ModelProto:
    """Single-tower AlexNet (Caffe's, no groups) on [3, 227, 227]:
    62,378,344 parameters; conv1 = 96*3*11*11 + 96 = 34,944."""
    b = GraphBuilder("alexnet", opset=opset, weights=weights)
    x = b.input("input", [batch, 3, 227, 227])
    x = relu(b, conv(b, x, 3, 96, 11, stride=4, scope="/conv1"), scope="/relu1")
    x = maxpool(b, x, 3, 2, scope="/pool1")
    x = relu(b, conv(b, x, 96, 256, 5, pad=2, scope="/conv2"), scope="/relu2")
    x = maxpool(b, x, 3, 2, scope="/pool2")
    x = relu(b, conv(b, x, 256, 384, 3, pad=1, scope="/conv3"), scope="/relu3")
    x = relu(b, conv(b, x, 384, 384, 3, pad=1, scope="/conv4"), scope="/relu4")
    x = relu(b, conv(b, x, 384, 256, 3, pad=1, scope="/conv5"), scope="/relu5")
    x = maxpool(b, x, 3, 2, scope="/pool5")
    x = flatten(b, x, scope="/flatten")
    x = relu(b, gemm(b, x, 256 * 6 * 6, 4096, scope="/fc6"), scope="/relu6")
    x = relu(b, gemm(b, x, 4096, 4096, scope="/fc7"), scope="/relu7")
    x = gemm(b, x, 4096, 1000, scope="/fc8")
    b.output(x, [batch, 1000])
    return b.model()


VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
             512, 512, 512, "M")


def vgg16_graph(weights: str | None = None, *, opset: int = 17, batch: Any = "batch",
                dynamo: bool = False) -> onnx.ModelProto:
    """torchvision VGG16 on [3, 224, 224]: 138,357,544 parameters.

    TorchScript layout (Gemm transB=1, ``features.N`` names); ``dynamo``:
    the classifier as MatMul + Add after a Reshape. ``weights="random"`` or
    ``"zeros"`` writes ~550 MB of values: use None unless you mean it."""
    b = GraphBuilder("vgg16", opset=opset, weights=weights)
    x = b.input("input", [batch, 3, 224, 224])
    cin, i = 3, 0
    for v in VGG16_CFG:
        if v == "M":
            x = maxpool(b, x, 2, 2, scope=f"/features/features.{i}")
            i += 1
        else:
            x = conv(b, x, cin, v, 3, pad=1, scope=f"/features/features.{i}")
            x = relu(b, x, scope=f"/features/features.{i + 1}")
            cin, i = v, i + 2
    x = b.node("AveragePool", [x], name="/avgpool/AveragePool", kernel_shape=[1, 1],
               strides=[1, 1])
    if dynamo:
        x = reshape(b, x, [-1, 512 * 7 * 7], scope="/Reshape")
        dense = linear_matmul
    else:
        x = flatten(b, x, scope="")
        dense = gemm
    x = relu(b, dense(b, x, 512 * 7 * 7, 4096, scope="/classifier/classifier.0"),
             scope="/classifier/classifier.1")
    x = b.node("Dropout", [x], name="/classifier/classifier.2/Dropout") if opset < 12 else x
    x = relu(b, dense(b, x, 4096, 4096, scope="/classifier/classifier.3"),
             scope="/classifier/classifier.4")
    x = dense(b, x, 4096, 1000, scope="/classifier/classifier.6")
    b.output(x, [batch, 1000])
    return b.model()


RESNET18_BLOCKS = (2, 2, 2, 2)


def resnet_graph(bn: str = "unfused", *, blocks: Sequence[int] = RESNET18_BLOCKS,
                 weights: str | None = None, opset: int = 17, batch: Any = 1,
                 size: int = 224) -> onnx.ModelProto:
    """torchvision-style ResNet (BasicBlock; default ResNet-18, 11,689,512
    trainable + 9,600 running statistics).

    ``bn``: "unfused" (BatchNormalization nodes with their own four
    tensors), "folded" (BN folded into the convs, which gain a bias, the
    TorchScript exporter's eval-mode default), "merged" (untrained: every
    BN's ones and zeros stored once per channel count and read by all BNs,
    some through Identity aliases, as the TorchScript exporter dedups
    them)."""
    assert bn in ("unfused", "folded", "merged")
    b = GraphBuilder("resnet", opset=opset, weights=weights)
    shared: dict[tuple[str, int], str] = {}
    n_alias = [0]

    def merged(kind: str, c: int) -> str:
        key = (kind, c)
        if key not in shared:
            shared[key] = b.init(f"onnx::BatchNormalization_{kind}_{c}", [c],
                                 1.0 if kind == "ones" else 0.0)
        n_alias[0] += 1
        if n_alias[0] % 3 == 0:  # the TorchScript exporter's Identity aliases
            return b.node("Identity", [shared[key]], name=f"/Identity_{n_alias[0]}")
        return shared[key]

    def conv_bn(x: str, cin: int, cout: int, k: int, stride: int, pad: int, scope: str,
                bn_scope: str) -> str:
        if bn == "folded":
            return conv(b, x, cin, cout, k, stride=stride, pad=pad, bias=True, scope=scope)
        y = conv(b, x, cin, cout, k, stride=stride, pad=pad, bias=False, scope=scope)
        names = None
        if bn == "merged":
            names = [merged("ones", cout), merged("zeros", cout), merged("zeros", cout),
                     merged("ones", cout)]
        return batchnorm(b, y, cout, scope=bn_scope, names=names)

    x = b.input("input", [batch, 3, size, size])
    x = relu(b, conv_bn(x, 3, 64, 7, 2, 3, "/conv1", "/bn1"), scope="/relu")
    x = maxpool(b, x, 3, 2, 1, scope="/maxpool")
    cin = 64
    for stage, (n, cout) in enumerate(zip(blocks, (64, 128, 256, 512)), start=1):
        for blk in range(n):
            s = f"/layer{stage}/layer{stage}.{blk}"
            stride = 2 if (blk == 0 and stage > 1) else 1
            y = relu(b, conv_bn(x, cin, cout, 3, stride, 1, f"{s}/conv1", f"{s}/bn1"),
                     scope=f"{s}/relu")
            y = conv_bn(y, cout, cout, 3, 1, 1, f"{s}/conv2", f"{s}/bn2")
            if stride != 1 or cin != cout:
                x = conv_bn(x, cin, cout, 1, stride, 0, f"{s}/downsample/downsample.0",
                            f"{s}/downsample/downsample.1")
            x = b.node("Add", [y, x], name=f"{s}/Add")
            x = relu(b, x, scope=f"{s}/relu_1")
            cin = cout
    x = b.node("GlobalAveragePool", [x], name="/avgpool/GlobalAveragePool")
    x = flatten(b, x)
    x = gemm(b, x, cin, 1000, scope="/fc")
    b.output(x, [batch, 1000])
    return b.model()


def tied_lm_graph(vocab: int = 1000, d_model: int = 64, *, weights: str | None = "random",
                  seq: Any = "seq", batch: Any = "batch", opset: int = 17,
                  cast: bool = False) -> onnx.ModelProto:
    """A tiny LM with tied embeddings: Gather(wte, ids) -> LayerNorm -> dense
    (MatMul+Add) -> MatMul(h, Transpose(wte)). The table is one root read by
    the embedding and the output projection. ``cast``: the projection reads
    Cast(Transpose(wte)) (mixed precision exports)."""
    b = GraphBuilder("tied_lm", opset=opset, weights=weights)
    ids = b.input("input_ids", [batch, seq], INT64)
    wte = b.init("transformer.wte.weight", [vocab, d_model])
    h = b.node("Gather", [wte, ids], name="/transformer/wte/Gather")
    h = b.node("LayerNormalization",
               [h, b.init("transformer.ln.weight", [d_model]),
                b.init("transformer.ln.bias", [d_model])],
               name="/transformer/ln/LayerNormalization", axis=-1, epsilon=1e-5)
    h = linear_matmul(b, h, d_model, d_model, scope="/transformer/mlp")
    h = b.node("Relu", [h], name="/transformer/act/Relu")
    wt = b.node("Transpose", [wte], name="/lm_head/Transpose", perm=[1, 0])
    if cast:
        wt = b.node("Cast", [wt], name="/lm_head/Cast", to=FLOAT)
    logits = b.node("MatMul", [h, wt], name="/lm_head/MatMul")
    b.output(logits, [batch, seq, vocab])
    return b.model()


def chain_graph(n_nodes: int, width: int = 16, *, weights: str | None = "random",
                opset: int = 17) -> onnx.ModelProto:
    """A straight chain of ``n_nodes`` nodes cycling MatMul (width x width
    weight), Add (width bias), Relu: for scale benchmarks."""
    b = GraphBuilder("chain", opset=opset, weights=weights)
    x = b.input("input", ["batch", width])
    for i in range(n_nodes):
        kind = i % 3
        if kind == 0:
            x = b.node("MatMul", [x, b.init(f"w{i}", [width, width])], name=f"/l{i}/MatMul")
        elif kind == 1:
            x = b.node("Add", [x, b.init(f"b{i}", [width])], name=f"/l{i}/Add")
        else:
            x = b.node("Relu", [x], name=f"/l{i}/Relu")
    b.output(x, ["batch", width])
    return b.model()


def qdq_conv_graph(cin: int = 3, cout: int = 8, k: int = 3, *, opset: int = 13,
                   per_channel: bool = True) -> onnx.ModelProto:
    """onnxruntime's QDQ format: Q/DQ around activations, an int8 weight
    initializer dequantised (per-channel scales, int8 zero points) into Conv,
    the int32 bias dequantised too."""
    b = GraphBuilder("qdq", opset=opset, weights="random")
    x = b.input("input", [1, cin, 16, 16])
    xs = b.init("input_scale", [], 0.02)
    xz = b.init("input_zero_point", [], 0, dtype=TensorProto.UINT8)
    q = b.node("QuantizeLinear", [x, xs, xz], name="/input_QuantizeLinear")
    dq = b.node("DequantizeLinear", [q, xs, xz], name="/input_DequantizeLinear")
    nsc = [cout] if per_channel else []
    wq = b.init("conv.weight_quantized", [cout, cin, k, k], "random", dtype=TensorProto.INT8)
    ws = b.init("conv.weight_scale", nsc, "random")
    wz = b.init("conv.weight_zero_point", nsc, 0, dtype=TensorProto.INT8)
    w = b.node("DequantizeLinear", [wq, ws, wz], name="/conv.weight_DequantizeLinear",
               **({"axis": 0} if per_channel else {}))
    bq = b.init("conv.bias_quantized", [cout], "random", dtype=TensorProto.INT32)
    bs = b.init("conv.bias_scale", nsc, "random")
    bz = b.init("conv.bias_zero_point", nsc, 0, dtype=TensorProto.INT32)
    bias = b.node("DequantizeLinear", [bq, bs, bz], name="/conv.bias_DequantizeLinear",
                  **({"axis": 0} if per_channel else {}))
    y = b.node("Conv", [dq, w, bias], name="/conv/Conv", kernel_shape=[k, k], pads=[1, 1, 1, 1])
    b.output(y, [1, cout, 16, 16])
    return b.model()


def names_of(items: Iterable[Any]) -> list[str]:
    return [i.name for i in items]
