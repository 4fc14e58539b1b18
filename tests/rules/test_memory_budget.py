"""PRM103 memory-budget: weight, KV-per-token and serving budgets."""

from __future__ import annotations

from click.testing import CliRunner

from paramlint.cli.app import main
from yaml_helpers import FIXTURES


def _check(tmp_path, budget: str, *files: str):
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.paramlint]\nselect = ["PRM103"]\n[tool.paramlint.rules.memory-budget]\n{budget}\n')
    for name in files:
        text = (FIXTURES / "mixtral-8x7b.yaml").read_text()
        if name == "mha.yaml":  # the grouped-query model turned multi-head
            text = text.replace("kv_heads: 8", "kv_heads: 32")
        (tmp_path / name).write_text(text)
    args = ["check", "--no-cache", "--config", str(tmp_path / "pyproject.toml"),
            *[str(tmp_path / n) for n in files]]
    return CliRunner().invoke(main, args)


def test_a_kv_budget_passes_grouped_query_and_fails_it_turned_multi_head(tmp_path):
    result = _check(tmp_path, 'max-kv-bytes-per-token = "128KiB"', "gqa.yaml", "mha.yaml")
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if "PRM103" in ln]
    assert len(lines) == 1 and lines[0].startswith(str(tmp_path / "mha.yaml"))
    assert "524,288 bytes per token at fp16" in lines[0] and "by 393,216" in lines[0]


def test_weight_and_serving_budgets_fire_with_the_figures(tmp_path):
    result = _check(tmp_path, 'max-weight-bytes = "100GiB"\nmax-serving-bytes = "24GiB"\ncontext = 1024',
                    "gqa.yaml")
    assert result.exit_code == 1
    assert "weights take" in result.output and "over the budget of 107,374,182,400" in result.output
    assert "serving takes at least" in result.output  # the moe's buffers are unknown: a lower bound
    assert "at 1024 tokens" in result.output


def test_a_bad_size_stops_the_run_naming_the_option(tmp_path):
    result = _check(tmp_path, 'max-kv-bytes-per-token = "128 kilobytes"', "gqa.yaml")
    assert result.exit_code == 2
    assert "max-kv-bytes-per-token: expected a size such as 24GiB" in result.output
