"""What a person reads: module rows, --depth and --all, markdown within a
GitHub comment, a self-contained HTML page."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from paramlint.cli.app import main
from paramlint.formats.report import html as html_format
from paramlint.formats.report import markdown
from paramlint.lint.results import FileReport
from report_helpers import document, finding, layer, rules_meta
from yaml_helpers import FIXTURES


def _report(*args) -> str:
    result = CliRunner().invoke(main, ["report", "--no-cache", *map(str, args)])
    assert result.exit_code in (0, 1), result.output
    return click.unstyle(result.output)


def _first_column(text: str, header: str = "Module") -> list[str]:
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(header)) + 2
    out = []
    for ln in lines[start:]:
        if ln.startswith("─"):
            return out
        out.append(ln.split()[0])
    return out


def test_depth_1_text_report_of_resnet18_shows_its_top_level_modules():
    text = _report("--depth", "1", FIXTURES / "resnet18.onnx")
    assert _first_column(text) == ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"]
    assert "modules rolled up to depth 1" in text


def test_default_text_report_hides_plumbing_and_says_how_many_rows_it_hid():
    text = _report(FIXTURES / "resnet18.onnx")
    names = _first_column(text)
    assert "layer1.0.conv1" in names and not any("relu" in n for n in names)
    assert "layers without parameters or MACs not shown (--all shows them)" in text
    everything = _first_column(_report("--all", FIXTURES / "resnet18.onnx"))
    assert len(everything) > len(names) and any("Relu" in n for n in everything)
    assert max(len(line) for line in text.splitlines()) <= 100


def test_text_totals_give_macs_flops_and_weight_memory():
    text = _report(FIXTURES / "alexnet.yaml")
    assert "MACs: 1,135,256,096 (1.14 G)   FLOPs: 2,270,512,192 (2.27 G)" in text
    assert "Weight memory: 249,513,376 bytes" in text and "int8 62.38 MB" in text


def _deep_model(n_layers: int) -> FileReport:
    """A document shaped like a large transformer export: long module paths."""
    layers = [layer(f"node_MatMul_{i}", "dense", params=589_824, macs=116_195_328,
                    output_shape=("batch", 197, 768),
                    module=f"model.encoder.layers.{i // 6}.attention.block_{i % 6}.proj")
              for i in range(n_layers)]
    findings = [finding("PRM301", path="big.onnx", layer=f"node_MatMul_{i}", message="x" * 150)
                for i in range(400)]
    return FileReport("big.onnx", document("big.onnx", layers=layers, name="big"), findings)


def test_markdown_of_any_model_fits_a_github_comment_and_says_it_rolled_up():
    text = markdown.render([_deep_model(3000)], rules=rules_meta(), version="0")
    assert len(text) <= 65_536
    assert re.search(r"Modules rolled up to depth \d and findings capped at \d+ per rule "
                     r"to fit in 65,536 characters", text)
    assert "model.encoder.layers.499 " not in text  # not the 3,000 rows
    huge = markdown.render([_deep_model(3000)] * 40, rules=rules_meta(), version="0")
    assert len(huge) <= 65_536


def test_markdown_of_a_small_model_is_not_rolled_up():
    text = markdown.render([_deep_model(12)], rules=rules_meta(), version="0")
    assert "rolled up" not in text and text.count("| model.encoder.layers.") == 12


def _html(reports) -> str:
    return html_format.render(reports, version="0")


def test_html_report_is_one_self_contained_file_with_inline_charts():
    text = _report("--format", "html", FIXTURES / "resnet18.onnx", FIXTURES / "alexnet.yaml")
    assert text.lstrip().startswith("<!DOCTYPE html>") and text.count("<html") == 1
    assert text.count("<svg") == 6  # memory, where params/MACs sit, and sharing, for each model
    # loads nothing: no URL, no external script, style sheet, image or font
    assert not re.search(r"https?:|//[a-z0-9]", text, re.I)
    assert not re.search(r"\b(src|href)\s*=", text, re.I)
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert "url(" not in text


def test_html_escapes_everything_a_model_file_controls():
    evil = '<img src=x onerror=alert(1)>"\'&'
    rows = [layer(evil, "dense", params=10, macs=10, module=evil + ".fc")]
    report = FileReport("m.onnx", document("m.onnx", layers=rows, name=evil),
                        [finding(path="m.onnx", layer=evil, message=evil)])
    text = _html([report])
    assert "<img" not in text and "onerror=alert(1)>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;" in text
