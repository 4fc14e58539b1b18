"""safetensors: headers only, true dtypes, sharded checkpoints and hostile files.

Truth: Llama-3-8B's published size (8,030,261,248 parameters) for its
tensors' published shapes; the bytes of every other case are the offsets
the file's own header gives, which a safetensors reader trusts.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import safetensors_builders as sb
from paramlint.analysis.counting import count
from paramlint.analysis.memory import weight_bytes
from paramlint.ir.model import LoadError
from paramlint.lint.engine import load_model
from paramlint.loaders.safetensors.claim import claims
from paramlint.loaders.safetensors.loader import load

LLAMA3_8B = 8_030_261_248


def stored(model) -> int:
    return weight_bytes(model, count(model))["weight_bytes"]


def test_header_only_8b_file_counts_llama3_8b_and_its_bf16_bytes(tmp_path):
    path = tmp_path / "model.safetensors"
    size = sb.write(path, sb.llama3_8b(), data=False)
    model = load(str(path))
    assert count(model).totals.params == LLAMA3_8B
    assert stored(model) == size == 2 * LLAMA3_8B
    assert model.weights["model.layers.31.mlp.up_proj.weight"].dtype == "bfloat16"
    assert model.layers[0].name == "lm_head" and model.layers[-1].name == "model.norm"
    # layers.2 comes before layers.10, as a person reads them
    order = [layer.name for layer in model.layers]
    assert order.index("model.layers.2.input_layernorm") < order.index("model.layers.10.input_layernorm")


def test_header_only_8b_file_is_read_in_under_100_mb_of_peak_memory(tmp_path):
    path = tmp_path / "model.safetensors"
    sb.write(path, sb.llama3_8b(), data=False)
    script = ("import resource, sys\n"
              "from paramlint.lint.engine import load_model\n"
              "from paramlint.analysis.counting import count\n"
              "model = load_model(sys.argv[1]); assert not model.failed, model.error\n"
              "print(count(model).totals.params)\n"
              # VmHWM is this process's own peak since exec; ru_maxrss keeps the
              # forking parent's (a 1.8 GB pytest), so it is only the fallback.
              "try:\n"
              "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
              "    print(int(hwm.split()[1]))\n"
              "except OSError:\n"
              "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    params, peak_kb = (int(x) for x in out.stdout.split())
    assert params == LLAMA3_8B
    assert peak_kb < 100 * 1024


@pytest.mark.parametrize("dtype,bits", [("F16", 16), ("BF16", 16), ("F32", 32), ("F8_E4M3", 8), ("I8", 8)])
def test_bytes_are_the_stored_dtypes(tmp_path, dtype, bits):
    tensors = {"embed.weight": (dtype, (1000, 64)), "norm.weight": ("F32", (64,)), "head.weight": (dtype, (10, 64))}
    path = tmp_path / "model.safetensors"
    size = sb.write(path, tensors)
    model = load(str(path))
    assert stored(model) == size == path.stat().st_size - len(sb.header_bytes(tensors)[0])
    assert count(model).totals.params == 1000 * 64 + 64 + 10 * 64
    assert stored(model) == (1000 * 64 + 10 * 64) * bits // 8 + 64 * 4


def test_gptq_packed_int4_counts_the_weights_it_packs_and_their_bytes(tmp_path):
    d_in, d_out, group = 4096, 1024, 128
    tensors = {
        "q_proj.qweight": ("I32", (d_in * 4 // 32, d_out)),       # GPTQ: packed along the inputs
        "q_proj.qzeros": ("I32", (d_in // group, d_out * 4 // 32)),
        "q_proj.scales": ("F16", (d_in // group, d_out)),
        "q_proj.g_idx": ("I32", (d_in,)),
        "k_proj.qweight": ("I32", (d_in, d_out * 4 // 32)),       # AWQ: packed along the outputs
        "k_proj.qzeros": ("I32", (d_in // group, d_out * 4 // 32)),
        "k_proj.scales": ("F16", (d_in // group, d_out)),
    }
    path = tmp_path / "model.safetensors"
    size = sb.write(path, tensors, data=False)
    model = load(str(path))
    for module in ("q_proj", "k_proj"):
        weight = model.weights[f"{module}.qweight"]
        assert weight.dtype == "int4" and weight.elements == d_in * d_out and weight.trainable
        assert not model.weights[f"{module}.scales"].trainable
    assert stored(model) == size
    assert model.diagnostics == []


def test_packed_weight_whose_bits_cannot_be_told_is_a_finding_not_a_guess(tmp_path):
    tensors = {"fc.qweight": ("I32", (512, 100)), "fc.scales": ("F16", (4, 7))}
    path = tmp_path / "model.safetensors"
    sb.write(path, tensors, data=False)
    model = load(str(path))
    assert model.weights["fc.qweight"].dtype == "int32"
    assert len(model.diagnostics) == 1 and "lower bound" in model.diagnostics[0].message


def _two_shards() -> dict:
    tensors = sb.llama3_8b("F16")
    names = list(tensors)
    half = len(names) // 2
    return {"model-00001-of-00002.safetensors": {n: tensors[n] for n in names[:half]},
            "model-00002-of-00002.safetensors": {n: tensors[n] for n in names[half:]}}


def test_sharded_checkpoint_is_read_through_its_index(tmp_path):
    total = sb.write_index(tmp_path, _two_shards())
    model = load(str(tmp_path / "model.safetensors.index.json"))
    assert count(model).totals.params == LLAMA3_8B
    assert stored(model) == total == 2 * LLAMA3_8B
    assert model.diagnostics == []
    # the shards are the index's: a folder walk does not read them a second time
    shard = tmp_path / "model-00001-of-00002.safetensors"
    assert not claims(str(shard), shard.read_bytes()[:16384])
    assert claims(str(tmp_path / "model.safetensors.index.json"), (tmp_path / "model.safetensors.index.json").read_bytes())


def test_missing_shard_is_a_finding_and_the_other_shard_is_counted(tmp_path):
    shards = _two_shards()
    sb.write_index(tmp_path, shards)
    os.unlink(tmp_path / "model-00002-of-00002.safetensors")
    model = load(str(tmp_path / "model.safetensors.index.json"))
    first = shards["model-00001-of-00002.safetensors"]
    assert count(model).totals.params == sum(sb.prod(shape) for _, shape in first.values())
    assert [d.message for d in model.diagnostics] == [
        f"shard 'model-00002-of-00002.safetensors' is missing: {len(shards['model-00002-of-00002.safetensors']):,} "
        "tensors unknown, the totals are a lower bound"]


@pytest.mark.parametrize("shard", ["../outside.safetensors", "/etc/passwd", "sub/inner.safetensors", "link.safetensors"])
def test_index_never_follows_a_path_out_of_its_folder(tmp_path, shard):
    inside = tmp_path / "ckpt"
    inside.mkdir()
    (inside / "sub").mkdir()
    sb.write(tmp_path / "outside.safetensors", {"w": ("F32", (3,))})
    sb.write(inside / "sub" / "inner.safetensors", {"w": ("F32", (3,))})
    os.symlink(tmp_path / "outside.safetensors", inside / "link.safetensors")
    (inside / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"w": shard}}))
    opened = []
    sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
    model = load(str(inside / "model.safetensors.index.json"))
    assert count(model).totals.params == 0
    assert len(model.diagnostics) == 1 and "not read" in model.diagnostics[0].message
    assert not any(p.endswith(("outside.safetensors", "inner.safetensors", "passwd")) for p in opened)


def test_tensor_a_shard_holds_and_the_index_does_not_name_is_unused(tmp_path):
    sb.write(tmp_path / "model-00001-of-00001.safetensors", {"a": ("F32", (4,)), "stray": ("F32", (5,))})
    (tmp_path / "model.safetensors.index.json").write_text(
        json.dumps({"weight_map": {"a": "model-00001-of-00001.safetensors"}}))
    model = load(str(tmp_path / "model.safetensors.index.json"))
    totals = count(model).totals
    assert (totals.params, totals.unused_params) == (4, 5)


def framed(header: bytes) -> bytes:
    return struct.pack("<Q", len(header)) + header


@pytest.mark.parametrize("payload,why", [
    (b"\x10\x00", "truncated safetensors file"),
    (struct.pack("<Q", 10**12) + b"{}", "over the 100,000,000-byte limit"),
    (struct.pack("<Q", 400) + b'{"w": {"dtype": "F32"', "truncated safetensors header"),
    (framed(b'{"w": [1]'), "safetensors header: not valid JSON"),
    (struct.pack("<Q", 2000) + b"[" * 1000 + b"]" * 1000, "nested more than 64 levels deep"),
    (framed(b'{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}'),
     "4 bytes of data for 2 F32 elements (8 expected)"),
    (framed(b'{"w": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 4]}}'), "unknown dtype"),
    (framed(b'{"w": {"dtype": "F32", "shape": [' + b"9" * 500 + b'], "data_offsets": [0, 4]}}'), "digits"),
    (framed(b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, '
            b'"b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'), "overlapping"),
])
def test_hostile_or_broken_headers_are_one_clear_error(tmp_path, payload, why):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(payload)
    with pytest.raises(LoadError) as caught:
        load(str(path))
    assert why in caught.value.message
    model = load_model(str(path))
    assert model.failed and str(model.error).startswith(str(path))


def test_check_on_a_folder_with_a_truncated_header_reports_it_once_and_the_other_files(tmp_path):
    sb.write(tmp_path / "good.safetensors", {"w": ("BF16", (8, 8))})
    head, _ = sb.header_bytes({"w": ("BF16", (8, 8))})
    (tmp_path / "cut.safetensors").write_bytes(head[: len(head) // 2])
    out = subprocess.run([sys.executable, "-m", "paramlint", "check", "-f", "json", str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    errors = {Path(m["path"]).name: [f["code"] for f in m["findings"] if f["code"] == "PRM001"]
              for m in doc["models"]}
    assert errors == {"cut.safetensors": ["PRM001"], "good.safetensors": []}
    good = next(m for m in doc["models"] if m["path"].endswith("good.safetensors"))
    assert good["totals"]["params"] == 64 and good["totals"]["weight_bytes"] == 128
