from collections import Counter

import pytest

from paramlint.lint.config import Config
from paramlint.lint.suppress import apply_ignores, apply_noqa, noqa_codes
from report_helpers import finding, onnx_finding, report

LINES = [
    "name: net",                                              # 1
    "layers:",                                                # 2
    "  - {name: fc6, type: dense, units: 4096}  # noqa: PRM301",  # 3
    "  - {name: fc7, type: dense, units: 4096}  # NOQA",      # 4
    "  - {name: fc8, type: dense, units: 10}",                # 5
    "  - {name: fc9, type: dense, units: 10}  #noqa:PRM301,PRM302",  # 6
    "  - {name: 'a # noqa', type: relu}",                     # 7
]


def codes(rep):
    return [(f.code, f.layer) for f in rep.findings]


def test_noqa_with_a_code_silences_only_that_code_on_that_line():
    rep = report(findings=[finding("PRM301", layer="fc6", line=3),
                           finding("PRM302", layer="fc6", line=3),
                           finding("PRM301", layer="fc8", line=5)])
    assert codes(apply_noqa(rep, LINES)) == [("PRM302", "fc6"), ("PRM301", "fc8")]


def test_bare_noqa_is_case_insensitive_and_silences_everything_on_the_line():
    rep = report(findings=[finding("PRM301", layer="fc7", line=4),
                           finding("PRM401", layer="fc7", line=4)])
    assert apply_noqa(rep, LINES).findings == []


def test_several_codes_without_spaces():
    rep = report(findings=[finding("PRM301", line=6), finding("PRM302", line=6),
                           finding("PRM401", line=6)])
    assert [f.code for f in apply_noqa(rep, LINES).findings] == ["PRM401"]


def test_noqa_on_another_line_does_not_silence():
    rep = report(findings=[finding("PRM301", layer="fc8", line=5)])
    assert len(apply_noqa(rep, LINES).findings) == 1


def test_findings_without_a_line_and_out_of_range_lines_are_kept():
    rep = report(findings=[onnx_finding(), finding(line=99)])
    assert len(apply_noqa(rep, LINES).findings) == 2


def test_load_errors_are_never_silenced_by_noqa():
    rep = report(findings=[finding("PRM001", layer=None, line=4)])
    assert len(apply_noqa(rep, LINES).findings) == 1


@pytest.mark.parametrize("line,expected", [
    ("x  # noqa", frozenset()),
    ("x  # noqa:PRM301", frozenset({"PRM301"})),
    ("x  # noqa: prm301, PRM302 because reasons", frozenset({"PRM301", "PRM302"})),
    ("x  # noqa: PRM3", frozenset({"PRM3"})),
    ("x  # a comment", None),
    ("name: 'a#noqa'", None),
])
def test_noqa_comment_parsing(line, expected):
    assert noqa_codes(line) == expected


def test_noqa_prefix_silences_the_family():
    rep = report(findings=[finding("PRM302", line=1)])
    assert apply_noqa(rep, ["x: 1  # noqa: PRM3"]).findings == []


def test_suppressed_findings_are_counted():
    stats = Counter()
    rep = report(findings=[finding("PRM301", line=3), finding("PRM301", line=5)])
    apply_noqa(rep, LINES, stats)
    assert stats == Counter({"PRM301": 1})


def test_apply_noqa_leaves_the_input_report_unchanged():
    rep = report(findings=[finding("PRM301", line=3)])
    apply_noqa(rep, LINES)
    assert len(rep.findings) == 1


def test_per_file_ignores_match_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = Config(per_file_ignores={"legacy/*.yaml": ["PRM301"]}, root=tmp_path)
    old = report("legacy/old.yaml", [finding("PRM301", path="legacy/old.yaml"),
                                     finding("PRM302", path="legacy/old.yaml")])
    new = report("models/new.yaml", [finding("PRM301", path="models/new.yaml")])
    assert [f.code for f in apply_ignores(old, config).findings] == ["PRM302"]
    assert len(apply_ignores(new, config).findings) == 1


def test_per_file_ignores_are_relative_to_the_config_folder(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    config = Config(per_file_ignores={"sub/*.yaml": ["PRM3"]}, root=tmp_path)
    rep = report("a.yaml", [finding("PRM301", path="a.yaml")])
    assert apply_ignores(rep, config).findings == []


def test_per_file_pattern_without_a_slash_matches_the_file_name(tmp_path):
    config = Config(per_file_ignores={"*_legacy.yaml": ["ALL"]}, root=tmp_path)
    path = str(tmp_path / "deep" / "er" / "net_legacy.yaml")
    rep = report(path, [finding("PRM001", path=path), finding("PRM401", path=path)])
    assert apply_ignores(rep, config).findings == []


def test_per_layer_ignores_glob_the_layer_name():
    config = Config(per_layer_ignores={"classifier.*": ["PRM301"]})
    rep = report("net.onnx", [onnx_finding("PRM301", path="net.onnx", layer="classifier.0"),
                              onnx_finding("PRM302", path="net.onnx", layer="classifier.0"),
                              onnx_finding("PRM301", path="net.onnx", layer="features.0")])
    stats = Counter()
    kept = apply_ignores(rep, config, stats).findings
    assert [(f.code, f.layer) for f in kept] == [("PRM302", "classifier.0"),
                                                  ("PRM301", "features.0")]
    assert stats == Counter({"PRM301": 1})
