"""Benchmark inputs for bench/run.py, built with onnx.helper and numpy.

Every generator is deterministic (fixed seeds), so two runs of the
benchmark read byte-identical files.

    python bench/models.py OUTDIR [NAME ...]

writes the named models (default: all) into OUTDIR and prints one JSON line
per model: {"name", "path", "bytes", "nodes"}. bench/run.py runs this in a
child process so that the benchmark's own process stays small (a large
parent would otherwise leak its memory into the children's peak RSS).

Models:
  vgg16       torchvision-shaped VGG16, 138,357,544 float32 parameters
              (~553 MB) embedded in the .onnx file
  vgg16-ext   the same graph and weights saved as external data
  chain5k     a residual chain of 4,999 nodes (Conv/Relu/Add blocks,
              16 channels, 3x3 kernels: ~9 KB of weights per block)
  chain50k    the same with 49,999 nodes
  yaml1       one small architecture YAML (LeNet-5)
  yaml200     a folder of 200 LeNet-5 variants (widths differ per file)
  yaml1000    the same with 1,000 files
  tfm5k, tfm50k, tfm200k
              graph-only TorchScript-shaped BERT encoders of about 5,000,
              50,000 and 200,000 nodes (bench/graph_only.py): weights in an
              absent external-data file, as exports are kept
  chain5k-go, chain50k-go, chain200k-go
              the residual chain, graph only
  exports40   a folder of 40 real exports from fixtures/exports (both
              exporters, torchvision, timm, transformers, plain torch)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

NAMES = ("vgg16", "vgg16-ext", "chain5k", "chain50k", "yaml1", "yaml200",
         "tfm5k", "tfm50k", "tfm200k", "chain5k-go", "chain50k-go", "chain200k-go",
         "exports40", "yaml1000")
#: Graph-only models (bench/graph_only.py): name -> (generator, nodes wanted).
GRAPH_ONLY = {"tfm5k": ("transformer_model", 5_000), "tfm50k": ("transformer_model", 50_000),
              "tfm200k": ("transformer_model", 200_000), "chain5k-go": ("chain_graph_only", 5_000),
              "chain50k-go": ("chain_graph_only", 50_000), "chain200k-go": ("chain_graph_only", 200_000)}
EXPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "exports"

# torchvision.models.vgg16 "D" configuration: numbers are conv widths, M a max-pool.
VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
VGG16_PARAMS = 138_357_544
OPSET = 17


def _onnx():
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    return np, onnx, TensorProto, helper, numpy_helper


def vgg16_model(seed: int = 0):
    """A VGG16 ModelProto laid out as torch.onnx.export writes torchvision's vgg16.

    Node names /features/features.N/Conv, initializers features.N.weight,
    AdaptiveAvgPool2d(7) exported as a 1x1 AveragePool, Flatten, then
    /classifier/classifier.{0,3,6}/Gemm with transB=1 (weights [out, in]).
    """
    np, onnx, TensorProto, helper, numpy_helper = _onnx()
    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def weight(name, shape, fan_in):
        data = rng.standard_normal(shape, dtype=np.float32)
        data *= np.float32((2.0 / fan_in) ** 0.5)
        inits.append(numpy_helper.from_array(data, name))
        return name

    def bias(name, n):
        inits.append(numpy_helper.from_array(rng.standard_normal(n, dtype=np.float32) * np.float32(0.01), name))
        return name

    x, cin, index = "input", 3, 0
    for item in VGG16_CFG:
        if item == "M":
            out = f"/features/features.{index}/MaxPool_output_0"
            nodes.append(helper.make_node("MaxPool", [x], [out], name=f"/features/features.{index}/MaxPool",
                                          kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0],
                                          ceil_mode=0))
            x, index = out, index + 1
            continue
        prefix = f"features.{index}"
        w = weight(f"{prefix}.weight", (item, cin, 3, 3), cin * 9)
        b = bias(f"{prefix}.bias", item)
        conv = f"/features/features.{index}/Conv_output_0"
        nodes.append(helper.make_node("Conv", [x, w, b], [conv], name=f"/features/features.{index}/Conv",
                                      dilations=[1, 1], group=1, kernel_shape=[3, 3],
                                      pads=[1, 1, 1, 1], strides=[1, 1]))
        relu = f"/features/features.{index + 1}/Relu_output_0"
        nodes.append(helper.make_node("Relu", [conv], [relu], name=f"/features/features.{index + 1}/Relu"))
        x, cin, index = relu, item, index + 2
    nodes.append(helper.make_node("AveragePool", [x], ["/avgpool/AveragePool_output_0"],
                                  name="/avgpool/AveragePool", ceil_mode=0, kernel_shape=[1, 1],
                                  pads=[0, 0, 0, 0], strides=[1, 1]))
    nodes.append(helper.make_node("Flatten", ["/avgpool/AveragePool_output_0"], ["/Flatten_output_0"],
                                  name="/Flatten", axis=1))
    x, fin = "/Flatten_output_0", 512 * 7 * 7
    for index, units in ((0, 4096), (3, 4096), (6, 1000)):
        prefix = f"classifier.{index}"
        w = weight(f"{prefix}.weight", (units, fin), fin)
        b = bias(f"{prefix}.bias", units)
        out = "output" if index == 6 else f"/classifier/classifier.{index}/Gemm_output_0"
        nodes.append(helper.make_node("Gemm", [x, w, b], [out], name=f"/classifier/classifier.{index}/Gemm",
                                      alpha=1.0, beta=1.0, transB=1))
        x, fin = out, units
        if index != 6:
            relu = f"/classifier/classifier.{index + 1}/Relu_output_0"
            nodes.append(helper.make_node("Relu", [x], [relu], name=f"/classifier/classifier.{index + 1}/Relu"))
            x = relu
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1000])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="pytorch", producer_version="2.1.0",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    count = sum(int(np.prod(t.dims)) for t in inits)
    assert count == VGG16_PARAMS, count
    return model


def chain_model(nodes_wanted: int, channels: int = 16, size: int = 16, seed: int = 1, tensor=None):
    """A residual chain: Conv(3x3, with bias) -> Relu -> Add(skip), repeated.

    One Conv node opens the chain; each block adds three nodes, so the node
    count is 1 + 3*blocks (4,999 and 49,999 for the two benchmark sizes).
    Per-block weights: channels*channels*9 + channels floats (~9 KB at 16).
    ``tensor(name, dims)`` makes each initializer (default: random data in
    the file; bench/graph_only.py passes one that leaves it external).
    """
    np, onnx, TensorProto, helper, numpy_helper = _onnx()
    rng = np.random.default_rng(seed)
    blocks = max(1, round((nodes_wanted - 1) / 3))
    nodes, inits = [], []
    scale = np.float32((2.0 / (channels * 9)) ** 0.5)

    def random_tensor(name, dims):
        data = rng.standard_normal(dims, dtype=np.float32)
        data *= scale if len(dims) > 1 else np.float32(0.01)
        return numpy_helper.from_array(data, name)

    tensor = tensor or random_tensor

    def conv(prefix, x, cin):
        inits.append(tensor(f"{prefix}.weight", [channels, cin, 3, 3]))
        inits.append(tensor(f"{prefix}.bias", [channels]))
        out = f"/{prefix.replace('.', '/')}/Conv_output_0"
        nodes.append(helper.make_node("Conv", [x, f"{prefix}.weight", f"{prefix}.bias"], [out],
                                      name=f"/{prefix.replace('.', '/')}/Conv", kernel_shape=[3, 3],
                                      pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1))
        return out

    x = conv("stem.conv", "input", 3)
    for i in range(blocks):
        c = conv(f"layers.{i}.conv", x, channels)
        r = f"/layers/{i}/relu/Relu_output_0"
        nodes.append(helper.make_node("Relu", [c], [r], name=f"/layers/{i}/relu/Relu"))
        out = "output" if i == blocks - 1 else f"/layers/{i}/Add_output_0"
        nodes.append(helper.make_node("Add", [r, x], [out], name=f"/layers/{i}/Add"))
        x = out
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, channels, size, size])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="pytorch", producer_version="2.1.0",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model


LENET_TEMPLATE = """\
# LeNet-5 (LeCun et al., 1998), variant {index}: widths differ per file.
paramlint: 1
name: lenet5_v{index}
input: [1, 32, 32]
layers:
  - {{name: c1, type: conv2d, filters: {c1}, kernel: 5}}
  - {{type: tanh}}
  - {{name: s2, type: avgpool2d, kernel: 2}}
  - {{name: c3, type: conv2d, filters: {c3}, kernel: 5}}
  - {{type: tanh}}
  - {{name: s4, type: avgpool2d, kernel: 2}}
  - {{type: flatten}}
  - {{name: f5, type: dense, units: {f5}}}  # noqa: PRM301
  - {{type: tanh}}
  - {{name: f6, type: dense, units: {f6}}}
  - {{type: tanh}}
  - {{name: out, type: dense, units: 10}}
"""


def lenet_yaml(index: int) -> str:
    """A LeNet-5 architecture file; index 0 is the paper's widths (61,706 params)."""
    return LENET_TEMPLATE.format(index=index, c1=6 + index % 7, c3=16 + index % 11,
                                 f5=120 + 4 * (index % 13), f6=84 + 2 * (index % 5))


def _save_onnx(model, path: Path, external: bool = False) -> None:
    import onnx

    if external:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=path.name + ".data", size_threshold=1024)
    else:
        with open(path, "wb") as handle:
            handle.write(model.SerializeToString())


def generate(outdir: str | os.PathLike[str], names=NAMES):
    """Write the named models into outdir; yield one info dict per model."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    vgg = None
    for name in sorted(names, key=lambda n: NAMES.index(n) if n in NAMES else -1):
        if name in ("vgg16", "vgg16-ext"):
            vgg = vgg if vgg is not None else vgg16_model()
            folder = out / name
            folder.mkdir(exist_ok=True)
            path = folder / "vgg16.onnx"
            _save_onnx(vgg, path, external=(name == "vgg16-ext"))
            nodes = len(vgg.graph.node)
            if name == "vgg16-ext":
                vgg = None  # saving as external data rewrote the tensors in place
        elif name in ("chain5k", "chain50k"):
            model = chain_model(5_000 if name == "chain5k" else 50_000)
            path = out / f"{name}.onnx"
            _save_onnx(model, path)
            nodes = len(model.graph.node)
            del model
        elif name == "yaml1":
            folder = out / "yaml1"
            folder.mkdir(exist_ok=True)
            path = folder / "lenet5.yaml"
            path.write_text(lenet_yaml(0), encoding="utf-8")
            nodes = 12
        elif name in ("yaml200", "yaml1000"):
            count = int(name[4:])
            path = out / name
            path.mkdir(exist_ok=True)
            for i in range(count):
                (path / f"lenet5_v{i:04d}.yaml").write_text(lenet_yaml(i), encoding="utf-8")
            nodes = count * 12
        elif name in GRAPH_ONLY:
            import graph_only

            func, wanted = GRAPH_ONLY[name]
            model = getattr(graph_only, func)(wanted)
            path = out / f"{name}.onnx"
            _save_onnx(model, path)
            nodes = len(model.graph.node)
            del model
        elif name == "exports40":
            import shutil

            index = json.loads((EXPORTS / "index.json").read_text())["files"]
            # spread over the families and both exporters: every other file, in index order
            chosen = sorted(index, key=lambda f: f["file"])[::max(1, len(index) // 40)][:40]
            path = out / name
            path.mkdir(exist_ok=True)
            for entry in chosen:
                shutil.copyfile(EXPORTS / entry["file"], path / entry["file"].replace("/", "__"))
            nodes = len(chosen)
        else:
            raise SystemExit(f"models.py: unknown model {name!r}; known: {', '.join(NAMES)}")
        size = (sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir()
                else sum(p.stat().st_size for p in path.parent.glob(path.name + "*")))
        yield {"name": name, "path": str(path), "bytes": size, "nodes": nodes}


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    names = argv[1:] or list(NAMES)
    for info in generate(argv[0], names):
        print(json.dumps(info), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
