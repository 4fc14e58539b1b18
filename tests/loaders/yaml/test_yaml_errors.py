"""Every refusal is a one-line LoadError at the offending node's line and
column, with a did-you-mean where a name was mistyped; hostile files are
refused early."""

from __future__ import annotations

import time

import pytest

from paramlint.ir.model import LoadError
from paramlint.loaders.yaml.loader import load

from yaml_helpers import refusal, write


def where(error: LoadError) -> tuple[int | None, int | None]:
    return error.location.line, error.location.column


def assert_one_line(error: LoadError) -> None:
    assert "\n" not in str(error)
    assert "Traceback" not in str(error)


# ------------------------------------------------------------- syntax and top


def test_yaml_syntax_error_uses_the_parser_mark(tmp_path):
    error = refusal(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {type: relu\n  - {type: relu}\n")
    assert where(error) == (4, 5)
    assert error.message.startswith("YAML syntax error: ")
    assert_one_line(error)


def test_top_level_must_be_a_mapping(tmp_path):
    error = refusal(tmp_path, "- {type: relu}\n")
    assert where(error) == (1, 1)
    assert "top level must be a mapping" in error.message


def test_missing_layers(tmp_path):
    error = refusal(tmp_path, "input: [3]\n")
    assert "missing required key 'layers'" in error.message


def test_unknown_top_level_key_suggests_the_right_one(tmp_path):
    error = refusal(tmp_path, "input: [3]\nlayer:\n  - {type: relu}\n")
    assert where(error) == (2, 1)
    assert error.message == "unknown top-level key 'layer' (did you mean 'layers'?)"


def test_unsupported_format_version(tmp_path):
    error = refusal(tmp_path, "paramlint: 3\ninput: [3]\nlayers:\n  - {type: relu}\n")
    assert where(error) == (1, 12)
    assert "unsupported format version 3" in error.message


@pytest.mark.parametrize("text, message", [
    ("input: [3]\ninputs: {a: [3]}\nlayers:\n  - {type: relu}\n", "either 'input' or 'inputs'"),
    ("layers:\n  - {type: relu}\n", "missing 'input'"),
    ("input: [3, 0]\nlayers:\n  - {type: relu}\n", "'input' must be a shape"),
    ("input: [3]\nlayers: []\n", "'layers' must be a non-empty list"),
])
def test_bad_inputs_and_layers_keys(tmp_path, text, message):
    assert message in refusal(tmp_path, text).message


# ---------------------------------------------------------------- layer fields


def test_unknown_layer_type_suggests_the_right_one(tmp_path):
    error = refusal(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: c, type: conv2, filters: 3}\n")
    assert where(error) == (3, 21)
    assert error.message == "unknown layer type 'conv2' (did you mean 'conv2d'?)"


def test_unknown_field_suggests_the_right_one_at_the_key(tmp_path):
    error = refusal(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: c, type: conv2d, filter: 3, kernel: 3}\n")
    assert where(error) == (3, 29)
    assert error.message == "conv2d 'c': unknown field 'filter' for conv2d (did you mean 'filters'?)"


@pytest.mark.parametrize("field, column, got", [
    ('filters: "96"', 38, "'96'"),
    ("filters: true", 38, "true"),
    ("filters: 256x", 38, "'256x'"),
    ("filters: 0", 38, "0"),
    ("filters: 2.5", 38, "2.5"),
])
def test_filters_must_be_a_positive_integer(tmp_path, field, column, got):
    error = refusal(tmp_path, f"input: [3, 8, 8]\nlayers:\n  - {{name: c, type: conv2d, {field}, kernel: 3}}\n")
    assert where(error) == (3, column)
    assert error.message == f"conv2d 'c': field 'filters' must be a positive integer, got {got}"


def test_kernel_of_one_value_on_a_2d_conv(tmp_path):
    error = refusal(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: c, type: conv2d, filters: 4, kernel: [3]}\n")
    assert where(error) == (3, 49)
    assert "field 'kernel' must be a positive integer or a list of 2 positive integers, got [3]" in error.message


def test_stride_zero(tmp_path):
    error = refusal(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: c, type: conv2d, filters: 4, kernel: 3, stride: 0}\n")
    assert where(error) == (3, 60)
    assert "field 'stride' must be a positive integer" in error.message


def test_block_style_field_error_points_at_the_value(tmp_path):
    error = refusal(tmp_path, """
        input: [3, 8, 8]
        layers:
          - name: c
            type: conv2d
            kernel: 3
            filters: many
        """)
    assert where(error) == (6, 14)


def test_missing_required_field_points_at_the_layer(tmp_path):
    error = refusal(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {type: relu}\n  - {name: c, type: conv2d, kernel: 3}\n")
    assert where(error) == (4, 5)
    assert error.message == "conv2d 'c': missing required field 'filters'"


@pytest.mark.parametrize("layer, message", [
    ("relu", "layer 1 must be a mapping with a 'type', got 'relu'"),
    ("{name: x}", "layer 1 has no 'type'"),
    ("{type: dense, units: 3, units: 4}", "duplicate key 'units'"),
    ("{type: conv2d, filters: 4, kernel: 3, groups: 2}", "input channels (3) must be divisible by groups (2)"),
    ("{type: reshape, shape: [5, -1]}", "cannot reshape [3, 8, 8] (192 values) to [5, -1]"),
    ("{type: dense, units: 3, name: a.b}", "name must be a non-empty string without '.'"),
    ("{type: lstm, units: 3}", "expects a 2-dim input [F, T]"),
    ("{type: conv1d, filters: 3, kernel: 3}", "expects a 2-dim input [C, L], got [3, 8, 8]"),
    ("{type: conv2d_transpose, filters: 3, kernel: 3, output_padding: 1}", "output_padding (1) must be smaller"),
    ("{type: concat, axis: 3, inputs: [input, input]}", "axis 3 is out of range"),
])
def test_layer_refusals(tmp_path, layer, message):
    error = refusal(tmp_path, f"input: [3, 8, 8]\nlayers:\n  - {layer}\n")
    assert message in error.message
    assert error.location.line == 3
    assert_one_line(error)


# ------------------------------------------------------------------ references


def test_duplicate_names(tmp_path):
    error = refusal(tmp_path, "input: [3]\nlayers:\n  - {name: c, type: relu}\n  - {name: c, type: relu}\n")
    assert where(error) == (4, 12)
    assert error.message == "duplicate name 'c' (first at line 3)"


def test_reference_to_an_unknown_layer_suggests_one(tmp_path):
    error = refusal(tmp_path, "input: [3]\nlayers:\n  - {name: conv, type: relu}\n  - {name: d, type: relu, inputs: cnv}\n")
    assert where(error) == (4, 35)
    assert error.message == "relu 'd': unknown input 'cnv' (did you mean 'conv'?)"


def test_reference_to_a_later_layer(tmp_path):
    error = refusal(tmp_path, "input: [3]\nlayers:\n  - {name: a, type: relu, inputs: [input, b]}\n  - {name: b, type: relu}\n")
    assert where(error) == (3, 43)
    assert "'b' is defined later (line 4)" in error.message


def test_at_input_outside_a_block(tmp_path):
    error = refusal(tmp_path, 'input: [3]\nlayers:\n  - {type: relu, inputs: "@input"}\n')
    assert '"@input" is only valid inside a block' in error.message


def test_first_layer_of_a_multi_input_model_must_name_inputs(tmp_path):
    error = refusal(tmp_path, "inputs: {a: [3], b: [3]}\nlayers:\n  - {name: s, type: relu}\n")
    assert where(error) == (3, 5)
    assert "several inputs (a, b)" in error.message


def test_add_with_incompatible_shapes_names_both(tmp_path):
    error = refusal(tmp_path, """
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv2d, filters: 4, kernel: 3}
          - {name: s, type: add, inputs: [a, input]}
        """)
    assert where(error) == (4, 34)
    assert error.message == "add 's': inputs have incompatible shapes [4, 6, 6], [3, 8, 8]"


def test_add_needs_two_inputs(tmp_path):
    error = refusal(tmp_path, "input: [3]\nlayers:\n  - {name: s, type: add}\n")
    assert error.message == "add 's': needs at least 2 inputs, got 1"


# ---------------------------------------------------------------------- share


def test_share_with_incompatible_shapes_names_both_layers(tmp_path):
    error = refusal(tmp_path, "input: [10]\nlayers:\n  - {name: a, type: dense, units: 10}\n  - {name: b, type: dense, units: 5, share: a}\n")
    assert where(error) == (4, 45)
    assert error.message.startswith("dense 'b': cannot share the parameters of dense 'a': this layer needs kernel [5, 10]")


def test_share_with_another_type(tmp_path):
    error = refusal(tmp_path, "input: [10]\nlayers:\n  - {name: a, type: dense, units: 10}\n  - {name: b, type: layernorm, share: a}\n")
    assert "it is a dense, not a layernorm" in error.message


def test_share_with_a_later_layer(tmp_path):
    error = refusal(tmp_path, "input: [10]\nlayers:\n  - {name: a, type: dense, units: 10, share: b}\n  - {name: b, type: dense, units: 10}\n")
    assert where(error) == (3, 46)
    assert "'b' is defined later" in error.message


def test_share_with_a_missing_layer(tmp_path):
    error = refusal(tmp_path, "input: [10]\nlayers:\n  - {name: fc1, type: dense, units: 10}\n  - {name: b, type: dense, units: 10, share: fc2}\n")
    assert error.message == "dense 'b': unknown layer 'fc2' (did you mean 'fc1'?)"


def test_share_repeats_with_changing_shapes(tmp_path):
    error = refusal(tmp_path, """
        input: [3, 8, 8]
        layers:
          - type: block
            name: b
            repeat: 2
            share_repeats: true
            layers:
              - {name: c, type: conv2d, filters: 8, kernel: 1}
        """)
    assert where(error) == (8, 9)
    assert "conv2d 'b.1.c': with share_repeats, cannot reuse the parameters of conv2d 'b.0.c'" in error.message


@pytest.mark.parametrize("block, message", [
    ("{type: block, share: x, layers: [{type: relu}]}", "'share' does not apply to a block"),
    ("{type: block, repeats: 2, layers: [{type: relu}]}", "unknown field 'repeats' for block (did you mean 'repeat'?)"),
    ("{type: block, layers: []}", "field 'layers' must be a non-empty list"),
    ("{type: block, repeat: 0, layers: [{type: relu}]}", "field 'repeat' must be a positive integer"),
    ("{type: block, repeat: 1000000000, layers: [{type: relu}]}", "expands to 1,000,000,000 layers"),
])
def test_block_refusals(tmp_path, block, message):
    assert message in refusal(tmp_path, f"input: [3]\nlayers:\n  - {block}\n").message


# ----------------------------------------------------------------- output size


def test_output_size_below_one_names_the_arithmetic(tmp_path):
    error = refusal(tmp_path, "input: [256, 1, 1]\nlayers:\n  - {name: pool5, type: maxpool2d, kernel: 3, stride: 2}\n")
    assert where(error) == (3, 5)
    assert error.message == "maxpool2d 'pool5': output height (in=1, kernel=3, stride=2, pad=0) would be 0"


def test_output_width_below_one_with_dilation(tmp_path):
    error = refusal(tmp_path, "input: [3, 9, 4]\nlayers:\n  - {name: c, type: conv2d, filters: 4, kernel: 3, dilation: 2}\n")
    # (4 - 2*(3-1) - 1)//1 + 1 = 0
    assert error.message == "conv2d 'c': output width (in=4, kernel=3, stride=1, pad=0, dilation=2) would be 0"


# -------------------------------------------------------------- hostile input


def test_python_object_tag_is_refused(tmp_path):
    error = refusal(tmp_path, "input: !!python/object/apply:os.system ['echo pwned']\nlayers:\n  - {type: relu}\n")
    assert where(error) == (1, 8)
    assert "tag '!!python/object/apply:os.system' is not allowed" in error.message
    assert_one_line(error)


@pytest.mark.parametrize("tag", ["!!python/name:os.system", "!!binary aGVsbG8=", "!custom 1", "!!set {a}"])
def test_other_constructing_tags_are_refused(tmp_path, tag):
    error = refusal(tmp_path, f"input: [3]\nname: {tag}\nlayers:\n  - {{type: relu}}\n")
    assert error.location.line == 2
    assert "is not allowed" in error.message


def test_billion_laughs_is_refused(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("input: *i\nlayers:\n  - {type: relu}")
    start = time.perf_counter()
    error = refusal(tmp_path, "\n".join(lines) + "\n")
    assert "alias bomb" in error.message
    assert time.perf_counter() - start < 5.0  # a loose guard: it takes milliseconds


def test_recursive_alias_is_refused(tmp_path):
    error = refusal(tmp_path, "input: &x [1, *x]\nlayers:\n  - {type: relu}\n")
    assert where(error) == (1, 15)
    assert "alias '*x'" in error.message


@pytest.mark.parametrize("text", [
    "[" * 10_000 + "]" * 10_000 + "\n",
    "- " * 10_000 + "x\n",
    "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
    "".join("  " * i + "k:\n" for i in range(500)),
])
def test_deep_nesting_is_refused(tmp_path, text):
    start = time.perf_counter()
    error = refusal(tmp_path, text)
    assert "nesting is deeper than 100 levels" in error.message
    assert time.perf_counter() - start < 5.0  # a loose guard: it takes milliseconds


def test_huge_file_is_refused_by_size_without_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: no data written
    with pytest.raises(LoadError) as info:
        load(str(path))
    assert "file is too large: 209,715,200 bytes" in info.value.message


def test_non_utf8_bytes_are_refused_with_position(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("input: [3]\nname: caf\xe9\nlayers:\n  - {type: relu}\n".encode("latin-1"))
    with pytest.raises(LoadError) as info:
        load(str(path))
    assert where(info.value) == (2, 10)
    assert info.value.message == "file is not valid UTF-8: byte 0xe9 cannot be decoded"


def test_utf8_names_keep_character_columns(tmp_path):
    error = refusal(tmp_path, "input: [3]\nlayers:\n  - {name: café, type: dense, units: x}\n")
    # the column counts characters (38), not bytes (39)
    assert where(error) == (3, 38)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path, text):
    assert refusal(tmp_path, text).message == "file is empty"


def test_several_documents_are_refused(tmp_path):
    assert "several YAML documents" in refusal(tmp_path, "--- {input: [3]}\n--- {input: [4]}\n").message


def test_directory_and_missing_path(tmp_path):
    folder = tmp_path / "model.yaml"
    folder.mkdir()
    with pytest.raises(LoadError) as info:
        load(str(folder))
    assert "is a directory" in info.value.message
    with pytest.raises(LoadError) as info:
        load(str(tmp_path / "absent.yaml"))
    assert info.value.message == "file not found"
    assert str(info.value).endswith("absent.yaml: file not found")


def test_error_string_has_path_line_and_column(tmp_path):
    path = write(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: conv3, type: conv2d, filters: 256x, kernel: 3}\n",
                 name="alexnet.yaml")
    with pytest.raises(LoadError) as info:
        load(path)
    assert str(info.value) == f"{path}:3:42: conv2d 'conv3': field 'filters' must be a positive integer, got '256x'"


def test_mutated_fixtures_load_or_raise_only_load_error(tmp_path):
    """Random edits of the shipped files: a model or a one-line LoadError, never another exception."""
    import random

    from yaml_helpers import FIXTURES

    rng = random.Random(20240601)
    texts = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.yaml"))]
    pieces = list("[]{}:,-&*!\"' \n#0123456789x") + ["<<: *c3", "!!int ", "- ", "\n  ", "null", "@input"]
    outcomes = {"loaded": 0, "refused": 0}
    for index in range(300):
        text = rng.choice(texts)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(text))
            if rng.random() < 0.5:
                text = text[:pos] + rng.choice(pieces) + text[pos:]
            else:
                text = text[:pos] + text[pos + rng.randint(1, 6):]
        path = write(tmp_path, text, name=f"m{index}.yaml")
        try:
            load(path)
            outcomes["loaded"] += 1
        except LoadError as error:
            assert_one_line(error)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == 300
