"""From a checkpoint's tensors to the IR: weights at their true dtypes, layers from the names.

A checkpoint has no graph, only names: ``model.layers.0.self_attn.q_proj.weight``
is the ``weight`` of module ``model.layers.0.self_attn.q_proj``, so each
module is one layer holding its tensors, in the order a person reads them
(``layers.2`` before ``layers.10``). What a module computes is not in the
file, so its MACs are unknown, never zero (counting.md: unknown stays
unknown); a ``config.json`` beside the checkpoint is what says it.

Packed integer weights (GPTQ, AWQ: ``qweight`` int32 words holding 8 int4
values) count the weights they hold, at their true bits, so element counts
and stored bytes are both exact; the bits come from the tensors' own shapes
(``qzeros`` packs the same way along the outputs that ``scales`` holds).
Quantization parameters and persistent buffers are non-trainable.
"""

from __future__ import annotations

from typing import Iterable

from paramlint.ir.model import Diagnostic, Layer, Location, Weight
from paramlint.loaders.tensor_names import module_of, natural
from .header import DTYPES, Tensor

#: tensor roles that are buffers or quantization parameters, never trained
NON_TRAINABLE = frozenset({
    "running_mean", "running_var", "num_batches_tracked", "inv_freq",
    "scales", "qzeros", "g_idx", "weight_scale", "weight_scale_inv", "input_scale",
    "weight_zero_point", "input_zero_point", "SCB", "weight_format",
})
#: bits an int32 word can pack that the IR has a type for
PACKED_TYPES = {2: "int2", 3: "int3", 4: "int4", 8: "int8"}

NO_MACS = "a weights file says what is stored, not what it computes (a config.json beside it does)"

def _packed_bits(group: dict[str, Tensor]) -> int | None:
    """Bits per packed weight of a GPTQ/AWQ module, from qzeros' and scales' widths."""
    zeros, scales = group.get("qzeros"), group.get("scales")
    if zeros is None or scales is None or len(zeros.shape) != 2 or len(scales.shape) != 2 or not scales.shape[1]:
        return None
    words = zeros.shape[1] * 32
    return words // scales.shape[1] if words % scales.shape[1] == 0 else None


def _unpacked(group: dict[str, Tensor], bits: int) -> tuple[int, ...] | None:
    """The logical ``[in, out]`` shape of a ``qweight``: packed along the inputs (GPTQ) or the outputs (AWQ)."""
    q, scales = group["qweight"], group["scales"]
    if len(q.shape) != 2:
        return None
    out = scales.shape[1]
    if q.shape[1] == out:                     # GPTQ: [in * bits / 32, out]
        return (q.shape[0] * 32 // bits, out) if (q.shape[0] * 32) % bits == 0 else None
    if q.shape[1] * 32 == out * bits:          # AWQ: [in, out * bits / 32]
        return (q.shape[0], out)
    return None


def build(tensors: Iterable[tuple[Tensor, str]], path: str) -> tuple[list[Layer], dict[str, Weight], list[Diagnostic]]:
    """Layers, weights and what could not be told, for tensors given with the file holding each."""
    groups: dict[str, dict[str, Tensor]] = {}
    files: dict[str, str] = {}
    for tensor, source in tensors:
        module, role = module_of(tensor.name)
        groups.setdefault(module, {})[role] = tensor
        files.setdefault(module, source)
    weights: dict[str, Weight] = {}
    layers: list[Layer] = []
    diagnostics: list[Diagnostic] = []
    for module in sorted(groups, key=natural):
        group = groups[module]
        names = []
        for role, tensor in sorted(group.items(), key=lambda item: natural(item[0])):
            shape, dtype = tensor.shape, DTYPES[tensor.dtype][1]
            if role == "qweight" and tensor.dtype == "I32" and "scales" in group:
                bits = _packed_bits(group)
                logical = _unpacked(group, bits) if bits in PACKED_TYPES else None
                if logical is None:
                    diagnostics.append(Diagnostic(
                        "unknown-layer", f"packed weight '{tensor.name}' {list(tensor.shape)}: its bits per "
                        "weight cannot be told from qzeros and scales; counted as its stored int32 words, "
                        "so the parameter count is a lower bound", module, Location(path)))
                else:
                    shape, dtype = logical, PACKED_TYPES[bits]
            trainable = role not in NON_TRAINABLE and tensor.dtype != "BOOL"
            weights[tensor.name] = Weight(tensor.name, shape, trainable=trainable, uniform=None, dtype=dtype)
            names.append(tensor.name)
        layers.append(Layer(
            name=module, op="stored", source_op="safetensors", weights=names,
            attrs={"macs_unknown": NO_MACS, "file": files[module]},
            location=Location(path), module=module))
    return layers, weights, diagnostics
