from pathlib import Path

import pytest

from paramlint.lint.config import Config, find_config, load_config
from paramlint.lint.config_errors import ConfigError
from paramlint.lint.config_paths import excluded
from paramlint.lint.config_rules import enabled, options_for, validate
from report_helpers import all_rules, rule

RULES = all_rules()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, name: str = "paramlint.toml") -> Config:
    write(tmp_path / name, text)
    config = load_config(None, tmp_path)
    validate(config, RULES)
    return config


def error_of(tmp_path: Path, text: str, name: str = "paramlint.toml") -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, name)
    return info.value.message


# ------------------------------------------------------------------ discovery

def test_find_config_skips_pyproject_without_tool_table(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.paramlint]\nignore = ['PRM201']\n")
    inner = tmp_path / "pkg"
    write(inner / "pyproject.toml", "[project]\nname = 'x'\n")
    (inner / "models").mkdir()
    assert find_config(inner / "models") == tmp_path / "pyproject.toml"


def test_find_config_takes_nearest_paramlint_toml(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.paramlint]\n")
    write(tmp_path / "sub" / "paramlint.toml", "ignore = ['PRM201']\n")
    assert find_config(tmp_path / "sub") == tmp_path / "sub" / "paramlint.toml"


def test_no_config_file_gives_defaults_rooted_at_cwd(tmp_path):
    config = load_config(None, tmp_path)
    assert config.source is None
    assert config.base == tmp_path.resolve()
    assert config.fail_on == "warning" and config.select is None


def test_pyproject_keys_are_read_from_tool_paramlint(tmp_path):
    config = load(tmp_path, """
[tool.paramlint]
select = ["PRM3"]
extend-select = ["PRM401"]
ignore = ["PRM302"]
fail-on = "error"
exclude = ["legacy"]
paths = ["models"]
[tool.paramlint.per-file-ignores]
"old/*.yaml" = ["PRM301"]
[tool.paramlint.per-layer-ignores]
"classifier.*" = ["PRM301"]
[tool.paramlint.rules.dense-on-large-spatial]
min-spatial = 49
""", name="pyproject.toml")
    assert config.select == ["PRM3"] and config.extend_select == ["PRM401"]
    assert config.ignore == ["PRM302"] and config.fail_on == "error"
    assert config.exclude == ["legacy"] and config.paths == ["models"]
    assert config.per_file_ignores == {"old/*.yaml": ["PRM301"]}
    assert config.per_layer_ignores == {"classifier.*": ["PRM301"]}
    assert config.source == (tmp_path / "pyproject.toml").resolve()


def test_paramlint_toml_uses_top_level_keys(tmp_path):
    config = load(tmp_path, 'fail-on = "info"\n')
    assert config.fail_on == "info"


def test_explicit_config_overrides_discovery(tmp_path):
    write(tmp_path / "paramlint.toml", 'fail-on = "info"\n')
    other = write(tmp_path / "ci" / "strict.toml", 'fail-on = "error"\n')
    assert load_config(Path("ci/strict.toml"), tmp_path).fail_on == "error"
    assert load_config(other, tmp_path / "elsewhere").fail_on == "error"


def test_explicit_config_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", tmp_path)


def test_invalid_toml_is_a_config_error_naming_the_file(tmp_path):
    message = error_of(tmp_path, "select = [\n")
    assert "paramlint.toml" in message and "invalid TOML" in message


# ------------------------------------------------------------------ errors

def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    message = error_of(tmp_path, 'extend_select = ["PRM301"]\n')
    assert "extend_select" in message and "did you mean 'extend-select'" in message


def test_unknown_key_in_pyproject_names_the_full_key(tmp_path):
    message = error_of(tmp_path, "[tool.paramlint]\nignor = []\n", name="pyproject.toml")
    assert "tool.paramlint.ignor" in message and "'ignore'" in message


def test_unknown_rule_code_suggests_a_close_one(tmp_path):
    message = error_of(tmp_path, 'ignore = ["PRM310"]\n')
    assert "'PRM310'" in message and "did you mean" in message


@pytest.mark.parametrize("key", ["select", "ignore", "extend-select"])
def test_every_code_list_is_checked(tmp_path, key):
    assert "PRM999" in error_of(tmp_path, f'{key} = ["PRM999"]\n')


def test_codes_in_per_file_and_per_layer_ignores_are_checked(tmp_path):
    assert "PRM777" in error_of(tmp_path, '[per-file-ignores]\n"*.yaml" = ["PRM777"]\n')
    assert "PRM778" in error_of(tmp_path, '[per-layer-ignores]\n"fc*" = ["PRM778"]\n')


def test_prefixes_and_all_are_valid_selectors(tmp_path):
    config = load(tmp_path, 'select = ["ALL"]\nignore = ["PRM3", "PRM"]\n')
    assert config.ignore == ["PRM3", "PRM"]


def test_a_string_where_a_list_is_expected_is_an_error(tmp_path):
    message = error_of(tmp_path, 'select = "PRM301"\n')
    assert "select" in message and "array of strings" in message


def test_bad_fail_on_is_named_with_a_suggestion(tmp_path):
    message = error_of(tmp_path, 'fail-on = "warn"\n')
    assert "fail-on" in message and "'warning'" in message


def test_unknown_rule_table_suggests_the_rule_name(tmp_path):
    message = error_of(tmp_path, "[rules.dense-on-large-spacial]\nmin-spatial = 4\n")
    assert "dense-on-large-spacial" in message and "'dense-on-large-spatial'" in message


def test_unknown_option_is_named_with_a_suggestion(tmp_path):
    message = error_of(tmp_path, "[rules.dense-on-large-spatial]\nmin-spacial = 4\n")
    assert "min-spacial" in message and "'min-spatial'" in message


def test_option_of_the_wrong_type_is_an_error(tmp_path):
    message = error_of(tmp_path, '[rules.dense-on-large-spatial]\nmin-spatial = "49"\n')
    assert "min-spatial" in message and "integer" in message


def test_boolean_is_not_an_integer_option(tmp_path):
    assert "boolean" in error_of(tmp_path, "[rules.PRM301]\nmin-spatial = true\n")


def test_rule_configured_by_name_and_code_twice_is_an_error(tmp_path):
    message = error_of(tmp_path, "[rules.PRM301]\nmin-spatial = 4\n"
                                 "[rules.dense-on-large-spatial]\nmin-spatial = 5\n")
    assert "twice" in message


# ------------------------------------------------------------------ queries

def test_default_selects_every_rule():
    assert all(enabled(r.code, Config()) for r in RULES)


def test_select_prefix_selects_a_family():
    config = Config(select=["PRM3"])
    assert enabled("PRM301", config) and enabled("PRM302", config)
    assert not enabled("PRM401", config)


def test_extend_select_adds_to_select():
    config = Config(select=["PRM3"], extend_select=["PRM401"])
    assert enabled("PRM401", config) and not enabled("PRM201", config)


def test_ignore_removes_and_the_more_specific_selector_wins():
    assert not enabled("PRM301", Config(ignore=["PRM301"]))
    assert enabled("PRM301", Config(select=["PRM301"], ignore=["PRM3"]))
    assert not enabled("PRM302", Config(select=["PRM301"], ignore=["PRM3"]))
    assert not enabled("PRM301", Config(select=["PRM301"], ignore=["PRM301"]))
    assert not enabled("PRM001", Config(ignore=["ALL"]))


def test_options_merge_over_defaults_by_name_or_code(tmp_path):
    dense = rule("PRM301")
    assert options_for(dense, Config()) == {"min-spatial": 16}
    by_name = load(tmp_path, "[rules.dense-on-large-spatial]\nmin-spatial = 49\n")
    assert options_for(dense, by_name) == {"min-spatial": 49}
    assert Config(rule_options={"PRM301": {"min-spatial": 9}}).options_for(dense) == {
        "min-spatial": 9}


def test_integer_value_for_a_float_option_becomes_a_float(tmp_path):
    config = load(tmp_path, "[rules.dense-dominates]\nmax-share = 1\n")
    value = options_for(rule("PRM302"), config)["max-share"]
    assert value == 1.0 and isinstance(value, float)


def test_exclude_matches_relative_paths_and_folder_names(tmp_path):
    config = Config(exclude=["legacy", "build/*.yaml"], root=tmp_path)
    assert excluded(tmp_path / "legacy", config)
    assert excluded(tmp_path / "zoo" / "legacy" / "a.yaml", config)
    assert excluded(tmp_path / "build" / "x.yaml", config)
    assert not excluded(tmp_path / "models" / "x.yaml", config)


@pytest.mark.parametrize("header", ["[tool.paramlint", "[tool.paramlint.rules.dense-on-large-spatial",
                                    "[[tool.paramlint"])
def test_a_broken_paramlint_header_in_pyproject_is_reported_not_ignored(tmp_path, header):
    """``[tool.paramlint`` without its bracket made the whole pyproject.toml
    invalid TOML and the run silently used the defaults (issue 22)."""
    write(tmp_path / "pyproject.toml", f'[project]\nname = "x"\n\n{header}\nselect = ["PRM"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(None, tmp_path)
    message = str(caught.value)
    assert "pyproject.toml" in message and "invalid TOML" in message and "line 4" in message


def test_a_broken_pyproject_without_our_table_is_none_of_our_business(tmp_path):
    write(tmp_path / "pyproject.toml", '[project\nname = "x"\n')
    assert load_config(None, tmp_path).source is None


def test_the_cli_exits_2_on_a_broken_paramlint_header(tmp_path):
    import subprocess
    import sys

    write(tmp_path / "pyproject.toml", '[tool.paramlint\nselect = ["PRM"]\n')
    write(tmp_path / "m.yaml", "input: [4]\nlayers:\n  - {type: dense, units: 2}\n")
    proc = subprocess.run([sys.executable, "-m", "paramlint", "check", "m.yaml"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "pyproject.toml" in proc.stderr and "line 1" in proc.stderr and "Traceback" not in proc.stderr
