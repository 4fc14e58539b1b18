"""Random architecture files: they load with consistent totals, or are refused cleanly.

A strategy builds layer lists from the spec's types with random, sometimes
invalid, field values; blocks with repeat/share_repeats; share and inputs
references to names that may or may not exist; then dumps them as YAML,
sometimes mutating the text. Each file goes through the loader directly
(it may raise only LoadError) and through load_model (never raises).
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paramlint.loaders.yaml.layers import TYPES
from hostile_helpers import FIXTURES, load_both

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

NAMES = ["a", "b", "c", "conv1", "fc", "x", "left", "right", "@input", "stage.0.a", ""]
BAD = st.sampled_from([-1, 0, 2**64, 10**30, "x", "256x", None, [], {}, 1.5, True, "same", [0], [-3, 2],
                       float("nan"), "\x00", "a" * 300])


def mostly(good, bad=BAD):
    """``good`` nine times in ten, a hostile value otherwise."""
    return st.integers(0, 9).flatmap(lambda i: bad if i == 0 else good)


SMALL = st.integers(1, 6)
FIELD_VALUES = {
    "filters": mostly(SMALL), "units": mostly(SMALL), "num_embeddings": mostly(SMALL),
    "dim": mostly(SMALL), "multiplier": mostly(st.integers(1, 2)),
    "groups": mostly(st.sampled_from([1, 1, 2, 3])),
    "kernel": mostly(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=1, max_size=3))),
    "stride": mostly(st.one_of(st.integers(1, 2), st.lists(st.integers(1, 2), min_size=1, max_size=3))),
    "dilation": mostly(st.integers(1, 2)),
    "padding": mostly(st.one_of(st.integers(0, 2), st.sampled_from(["same", "valid"]),
                                st.lists(st.integers(0, 2), min_size=1, max_size=3))),
    "output_padding": mostly(st.integers(0, 1)),
    "shape": mostly(st.lists(st.sampled_from([-1, 1, 2, 3, 4, 6, 8, 12]), min_size=1, max_size=3)),
    "scale": mostly(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 2), min_size=1, max_size=3))),
    "axis": mostly(st.integers(-2, 2)),
    "rate": mostly(st.floats(0, 1)), "negative_slope": mostly(st.floats(0, 1)), "alpha": mostly(st.floats(0, 2)),
}
BOOLS = st.one_of(st.booleans(), BAD)


def field_value(name: str):
    if name in FIELD_VALUES:
        return FIELD_VALUES[name]
    return mostly(st.booleans())  # bias, affine, bidirectional, ceil_mode, ...


@st.composite
def layer(draw, depth: int = 0):
    kinds = sorted(TYPES)
    if depth < 2:
        kinds.append("block")
    kind = draw(st.one_of(st.sampled_from(kinds), st.sampled_from(["dense", "relu", "conv2d", "add", "block"]),
                          st.just("conv2x")))
    out: dict = {"type": kind}
    if draw(st.booleans()):
        out["name"] = draw(st.sampled_from(NAMES))
    if kind == "block" and depth < 2:
        out["layers"] = draw(st.lists(layer(depth + 1), min_size=0, max_size=4))
        if draw(st.booleans()):
            out["repeat"] = draw(mostly(st.integers(0, 3), st.sampled_from([-1, 10**6, "2", 2.5, None])))
        if draw(st.booleans()):
            out["share_repeats"] = draw(BOOLS)
    elif kind in TYPES:
        for fname in TYPES[kind].fields:
            if draw(st.integers(0, 4)) > 0:  # sometimes a required field is missing
                out[fname] = draw(field_value(fname))
    if draw(st.integers(0, 4)) == 0:
        out["inputs"] = draw(st.one_of(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=3)))
    if draw(st.integers(0, 6)) == 0:
        out["share"] = draw(st.sampled_from(NAMES))
    if draw(st.integers(0, 15)) == 0:
        out[draw(st.sampled_from(["filter", "unit", "kernal", "stride", "weights"]))] = 1
    return out


SHAPE = st.lists(st.integers(1, 12), min_size=1, max_size=4)


@st.composite
def document(draw) -> dict:
    doc: dict = {}
    if draw(st.integers(0, 5)) == 0:
        doc["paramlint"] = draw(st.sampled_from([1, 2, "1", None]))
    if draw(st.booleans()):
        doc["name"] = draw(st.text(max_size=8))
    which = draw(st.integers(0, 9))
    if which < 7:
        doc["input"] = draw(mostly(SHAPE, st.sampled_from([[], [0], [-1, 4], "3x4", None, [2**70]])))
    elif which < 9:
        doc["inputs"] = draw(st.dictionaries(st.sampled_from(["left", "right", "a", "x"]), SHAPE,
                                             min_size=1, max_size=3))
    if draw(st.integers(0, 12)) > 0:
        doc["layers"] = draw(st.lists(layer(), min_size=0, max_size=8))
    if draw(st.integers(0, 20)) == 0:
        doc["layer"] = []
    return doc


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@st.composite
def sane_layer(draw, shape: list[int], index: int) -> tuple[dict, list[int]]:
    """One layer that fits ``shape`` (channels first, no batch), and its output shape."""
    c, spatial = shape[0], shape[1:]
    rank = len(spatial)
    name = f"l{index}"
    options = ["act", "norm", "dense", "flatten"]
    if rank >= 1:
        options += ["conv", "conv", "global", "pool"]
    if rank == 2:
        options += ["depthwise", "transpose", "local", "upsample", "pad"]
    if rank == 1:
        options += ["recurrent"]
    if rank == 0:
        options += ["embedding"]
    kind = draw(st.sampled_from(options))
    if kind == "act":
        return {"name": name, "type": draw(st.sampled_from(["relu", "gelu", "dropout", "identity", "tanh"]))}, shape
    if kind == "norm":
        norm = draw(st.sampled_from(["batchnorm", "layernorm", "instancenorm"] if rank else ["layernorm"]))
        return {"name": name, "type": norm, "affine": draw(st.booleans())}, shape
    if kind == "dense":
        units = draw(SMALL)
        return {"name": name, "type": draw(st.sampled_from(["dense", "linear"])), "units": units,
                "bias": draw(st.booleans())}, [units]
    if kind == "flatten":
        size = c
        for d in spatial:
            size *= d
        return {"name": name, "type": "flatten"}, [size]
    if kind == "global":
        return {"name": name, "type": draw(st.sampled_from(["global_avgpool", "global_maxpool"]))}, [c]
    if kind == "pool":
        if min(spatial) < 2:
            return {"name": name, "type": "relu"}, shape
        return {"name": name, "type": draw(st.sampled_from([f"maxpool{rank}d", f"avgpool{rank}d"])),
                "kernel": 2}, [c, *(d // 2 for d in spatial)]
    if kind == "conv":
        filters, stride = draw(SMALL), draw(st.sampled_from([1, 1, 2]))
        layer = {"name": name, "type": f"conv{rank}d", "filters": filters, "kernel": draw(st.integers(1, 3)),
                 "stride": stride, "padding": "same", "bias": draw(st.booleans())}
        if c % 2 == 0 and filters % 2 == 0 and draw(st.booleans()):
            layer["groups"] = 2
        return layer, [filters, *(_ceil_div(d, stride) for d in spatial)]
    if kind == "depthwise":
        m = draw(st.integers(1, 2))
        return {"name": name, "type": "depthwise_conv2d", "kernel": 3, "padding": "same", "multiplier": m}, \
            [c * m, *spatial]
    if kind == "transpose":
        filters = draw(SMALL)
        return {"name": name, "type": "conv2d_transpose", "filters": filters, "kernel": 2, "stride": 2}, \
            [filters, *(2 * d for d in spatial)]
    if kind == "local":
        filters = draw(SMALL)
        return {"name": name, "type": "locally_connected2d", "filters": filters, "kernel": 1}, [filters, *spatial]
    if kind == "upsample":
        return {"name": name, "type": "upsample", "scale": 2}, [c, *(2 * d for d in spatial)]
    if kind == "pad":
        return {"name": name, "type": "pad", "padding": 1}, [c, *(d + 2 for d in spatial)]
    if kind == "recurrent":
        units, seq = draw(SMALL), draw(st.booleans())
        layer = {"name": name, "type": draw(st.sampled_from(["rnn", "lstm", "gru"])), "units": units,
                 "return_sequences": seq}
        return layer, ([units, spatial[0]] if seq else [units])
    # embedding: input [T] of indices
    dim = draw(SMALL)
    return {"name": name, "type": "embedding", "num_embeddings": draw(SMALL), "dim": dim}, [dim, c]


@st.composite
def sane_block(draw, shape: list[int], index: int) -> dict:
    """A shape-preserving block (residual), so repeats and share_repeats are valid."""
    c, rank = shape[0], len(shape) - 1
    body: list[dict] = []
    for j in range(draw(st.integers(1, 3))):
        if rank and 1 <= rank <= 3 and draw(st.booleans()):
            body.append({"name": f"c{j}", "type": f"conv{rank}d", "filters": c, "kernel": 3, "padding": "same"})
        elif rank == 0 and draw(st.booleans()):
            body.append({"name": f"c{j}", "type": "dense", "units": c})
        else:
            body.append({"name": f"c{j}", "type": draw(st.sampled_from(["relu", "layernorm", "identity"]))})
    if draw(st.booleans()):
        body.append({"name": "sum", "type": "add", "inputs": [body[-1]["name"], "@input"]})
    return {"name": f"l{index}", "type": "block", "layers": body, "repeat": draw(st.integers(1, 3)),
            "share_repeats": draw(st.booleans())}


@st.composite
def sane_or_damaged(draw) -> dict:
    """A sane file, or (one time in three) a sane file with one defect."""
    rank = draw(st.integers(0, 3))
    first = [draw(st.integers(1, 4)), *draw(st.lists(st.integers(4, 12), min_size=rank, max_size=rank))]
    shape = list(first)
    layers: list[dict] = []
    prev = None
    for i in range(draw(st.integers(1, 8))):
        roll = draw(st.integers(0, 9))
        if roll == 0:
            layers.append(draw(sane_block(shape, i)))
        elif roll == 1 and prev is not None:
            layer, out = draw(sane_layer(shape, i))
            if "units" in layer or "filters" in layer or "num_embeddings" in layer:
                twin = {**layer, "name": f"l{i}b", "inputs": prev, "share": f"l{i}"}
                layer["inputs"] = prev
                layers += [layer, twin, {"name": f"l{i}j", "type": "add", "inputs": [f"l{i}", f"l{i}b"]}]
            else:
                layers.append(layer)
            shape = out
        else:
            layer, shape = draw(sane_layer(shape, i))
            layers.append(layer)
        prev = layers[-1]["name"]
    doc = {"input": first, "layers": layers}
    if draw(st.integers(0, 2)) == 0:
        victim = draw(st.sampled_from(layers))
        how = draw(st.integers(0, 3))
        keys = [k for k in victim if k not in ("type",)]
        if how == 0 and keys:
            victim[draw(st.sampled_from(keys))] = draw(BAD)
        elif how == 1 and keys:
            del victim[draw(st.sampled_from(keys))]
        elif how == 2:
            victim["inputs"] = draw(st.sampled_from(NAMES))
        else:
            victim["share"] = draw(st.sampled_from([layers[0]["name"], *NAMES]))
    return doc


def dump(doc: dict, flow: bool) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None if flow else False, allow_unicode=True)


YAML_NOISE = st.lists(st.sampled_from(list(":-[]{}&*!|>#'\"%@`,?\n\t <=\\") + [
    "<<: *a", "&a ", "*a", "!!python/object:os.system", "!!binary", "~", "0x1f", "1e400", ".inf"]),
    min_size=1, max_size=6).map("".join)


@st.composite
def mutated(draw, text: str) -> str:
    """Random edits of YAML text: deletions, insertions of YAML punctuation, line shuffles."""
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.integers(0, 3))
        pos = draw(st.integers(0, len(text)))
        if op == 0:
            text = text[:pos] + text[pos + draw(st.integers(1, 20)):]
        elif op == 1:
            text = text[:pos] + draw(YAML_NOISE) + text[pos:]
        elif op == 2:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
            text = "\n".join(lines)
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = " " * draw(st.integers(0, 6)) + lines[i].lstrip()
            text = "\n".join(lines)
    return text


@SETTINGS
@given(document(), st.booleans())
def test_wild_architectures_load_or_are_refused_cleanly(doc, flow):
    load_both(dump(doc, flow))


@SETTINGS
@given(sane_or_damaged(), st.booleans())
def test_plausible_architectures_load_or_are_refused_cleanly(doc, flow):
    load_both(dump(doc, flow))


@SETTINGS
@given(st.data())
def test_random_text_mutations_of_generated_files(data):
    text = dump(data.draw(document()), data.draw(st.booleans()))
    load_both(data.draw(mutated(text)))


FIXTURE_TEXTS = {p.name: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.y*ml"))}


@SETTINGS
@given(st.sampled_from(sorted(FIXTURE_TEXTS)), st.data())
def test_random_text_mutations_of_the_fixtures(name, data):
    load_both(data.draw(mutated(FIXTURE_TEXTS[name])))


def test_a_generated_valid_architecture_loads_with_its_known_count():
    """The strategy's output format is one the loader reads (guards the suite against vacuity)."""
    doc = {"input": [3, 8, 8], "layers": [
        {"name": "c", "type": "conv2d", "filters": 4, "kernel": 3},
        {"type": "block", "name": "b", "repeat": 3, "share_repeats": True,
         "layers": [{"name": "d", "type": "conv2d", "filters": 4, "kernel": 1, "padding": 0}]},
        {"name": "f", "type": "flatten"}, {"name": "fc", "type": "dense", "units": 2},
        {"name": "fc2", "type": "dense", "units": 2, "inputs": "f", "share": "fc", "bias": True},
    ]}
    model = load_both(dump(doc, flow=True))
    from paramlint.analysis.counting import count

    totals = count(model).totals
    conv, repeated, dense = 4 * 3 * 9 + 4, 4 * 4 + 4, 4 * 6 * 6 * 2 + 2
    assert totals.params == conv + repeated + dense == 422
    assert totals.tied_savings == 2 * repeated + dense
    assert totals.per_use_params == conv + 3 * repeated + 2 * dense


HOSTILE = {
    "billion_laughs": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9))
        + "input: [1]\nlayers: *j\n",
    "deep_flow": "input: [1]\nlayers: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep_block": "input: [4]\nlayers:\n" + "".join(
        "  " * i + "  - type: block\n" + "  " * i + "    layers:\n" for i in range(300)) + "  " * 300 + "  - {type: relu}\n",
    "repeat_bomb": "input: [4]\nlayers:\n  - type: block\n    repeat: 1000\n    layers:\n"
                   "      - type: block\n        repeat: 1000\n        layers:\n"
                   "          - type: block\n            repeat: 1000\n            layers: [{type: relu}]\n",
    "huge_count": "input: [3, 100000, 100000]\nlayers:\n  - {type: locally_connected2d, filters: 100000, kernel: 1}\n"
                  "  - {type: dense, units: 99999999999999999999}\n",
    "python_tag": "input: !!python/object/apply:os.system ['true']\nlayers: []\n",
    "python_name": "input: [1]\nlayers:\n  - !!python/name:os.system {type: relu}\n",
    "merge_cycle": "base: &b {<<: *b, type: relu}\ninput: [1]\nlayers: [*b]\n",
    "self_alias": "input: &x [1, *x]\nlayers: []\n",
    "nul_bytes": "input: [1]\x00\nlayers: []\n",
    "bom_only": "\ufeff",
    "tabs": "input: [1]\nlayers:\n\t- {type: relu}\n",
    "lone_surrogate": "input: [1]\nlayers:\n  - {type: relu, name: \"\\udc80\"}\n",
    "nan_kernel": "input: [3, 8, 8]\nlayers:\n  - {type: conv2d, filters: 2, kernel: .nan}\n",
    "inf_units": "input: [8]\nlayers:\n  - {type: dense, units: .inf}\n",
    "hex_octal": "input: [0x10, 0o10, 0b10]\nlayers:\n  - {type: conv2d, filters: 0x2, kernel: 1}\n",
    "bool_as_int": "input: [8]\nlayers:\n  - {type: dense, units: true}\n",
    "long_name": "input: [8]\nlayers:\n  - {type: dense, units: 2, name: " + "n" * 100_000 + "}\n",
    "many_docs": "input: [8]\nlayers: []\n---\ninput: [8]\nlayers: []\n",
    "document_end_garbage": "input: [8]\nlayers: []\n...\n\x01\x02",
    "key_as_list": "? [a, b]\n: 1\ninput: [8]\nlayers: []\n",
    "duplicate_keys": "input: [8]\ninput: [9]\nlayers: []\n",
    "share_self": "input: [8]\nlayers:\n  - {name: a, type: dense, units: 2, share: a}\n",
    "inputs_self": "input: [8]\nlayers:\n  - {name: a, type: add, inputs: [a, a]}\n",
    "at_input_top": "input: [8]\nlayers:\n  - {name: a, type: relu, inputs: \"@input\"}\n",
    "reshape_two_minus_one": "input: [8]\nlayers:\n  - {type: reshape, shape: [-1, -1]}\n",
    "reshape_zero": "input: [8]\nlayers:\n  - {type: reshape, shape: [0, -1]}\n",
    "concat_axis_far": "inputs: {a: [2, 3], b: [2, 3]}\nlayers:\n  - {type: concat, inputs: [a, b], axis: 99}\n",
    "groups_zero_channels": "input: [0, 8, 8]\nlayers:\n  - {type: conv2d, filters: 2, kernel: 1}\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_documents(name):
    load_both(HOSTILE[name])


@pytest.mark.parametrize("blob", [b"\xff\xfe\x00i\x00n", b"input: [1]\nlayers: []\n\xc3", b"\x00" * 64,
                                  b"\xef\xbb\xbf\xef\xbb\xbfinput: [1]\n"])
def test_bytes_that_are_not_text(blob):
    load_both(blob)
