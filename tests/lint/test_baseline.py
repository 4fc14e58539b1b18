import json
import os

import pytest

from paramlint.lint.baseline import (BaselineError, filter_new, load_baseline, message_fingerprint,
                               write_baseline)
from report_helpers import finding, report


def two_files(tmp_path):
    a = str(tmp_path / "models" / "a.yaml")
    b = str(tmp_path / "models" / "b.yaml")
    return a, b


def new_codes(reports):
    return [(f.code, f.layer) for r in reports for f in r.findings]


def test_a_fresh_baseline_silences_everything_it_recorded(tmp_path):
    a, b = two_files(tmp_path)
    reports = [report(a, [finding("PRM301", path=a), finding("PRM302", path=a)]),
               report(b, [finding("PRM401", path=b, layer=None)])]
    write_baseline(tmp_path / "baseline.json", reports)
    assert new_codes(filter_new(reports, load_baseline(tmp_path / "baseline.json"))) == []


def test_moved_lines_and_changed_numbers_keep_a_finding_known(tmp_path):
    a, _ = two_files(tmp_path)
    old = finding("PRM301", path=a, line=21, message="fc6: 9,437,184 params (37.2% of the model)")
    moved = finding("PRM301", path=a, line=40, message="fc6: 9,437,185 params (41.0% of the model)")
    write_baseline(tmp_path / "b.json", [report(a, [old])])
    assert new_codes(filter_new([report(a, [moved])], load_baseline(tmp_path / "b.json"))) == []


def test_a_new_layer_is_a_new_finding(tmp_path):
    a, _ = two_files(tmp_path)
    write_baseline(tmp_path / "b.json", [report(a, [finding("PRM301", path=a, layer="fc6")])])
    today = [report(a, [finding("PRM301", path=a, layer="fc6"),
                        finding("PRM301", path=a, layer="fc_new")])]
    assert new_codes(filter_new(today, load_baseline(tmp_path / "b.json"))) == [
        ("PRM301", "fc_new")]


def test_a_different_message_is_a_different_finding():
    assert message_fingerprint("dense layer fc6 holds 51%") == \
        message_fingerprint("dense layer fc6 holds 72%")
    assert message_fingerprint("dense layer holds 51%") != \
        message_fingerprint("embedding table holds 51%")


def test_identical_findings_are_counted_not_deduplicated(tmp_path):
    a, _ = two_files(tmp_path)
    same = lambda: finding("PRM401", path=a, layer=None, message="3 unused weights")  # noqa: E731
    write_baseline(tmp_path / "b.json", [report(a, [same(), same()])])
    today = [report(a, [same(), same(), same()])]
    assert len(filter_new(today, load_baseline(tmp_path / "b.json"))[0].findings) == 1


def test_paths_are_relative_to_the_baseline_folder(tmp_path, monkeypatch):
    a, _ = two_files(tmp_path)
    write_baseline(tmp_path / "b.json", [report(a, [finding(path=a)])])
    data = json.loads((tmp_path / "b.json").read_text())
    assert [e["path"] for e in data["findings"]] == ["models/a.yaml"]
    # The same file named relatively from another cwd still matches.
    (tmp_path / "models").mkdir()
    monkeypatch.chdir(tmp_path / "models")
    rel = [report("a.yaml", [finding(path="a.yaml")])]
    assert new_codes(filter_new(rel, load_baseline(tmp_path / "b.json"))) == []


def test_file_is_versioned_sorted_and_has_no_line_numbers(tmp_path):
    a, b = two_files(tmp_path)
    write_baseline(tmp_path / "b.json", [report(b, [finding("PRM302", path=b)]),
                                         report(a, [finding("PRM301", path=a)])])
    text = (tmp_path / "b.json").read_text()
    data = json.loads(text)
    assert data["version"] == 1
    assert [e["path"] for e in data["findings"]] == ["models/a.yaml", "models/b.yaml"]
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert "line" not in data["findings"][0]


def test_writing_leaves_no_temp_file_behind(tmp_path):
    write_baseline(tmp_path / "b.json", [report("x.yaml", [finding(path="x.yaml")])])
    assert sorted(os.listdir(tmp_path)) == ["b.json"]


def test_an_interrupted_write_keeps_the_old_baseline(tmp_path, monkeypatch):
    path = tmp_path / "b.json"
    write_baseline(path, [])
    before = path.read_text()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_baseline(path, [report("x.yaml", [finding(path="x.yaml")])])
    assert path.read_text() == before
    assert sorted(os.listdir(tmp_path)) == ["b.json"]


@pytest.mark.parametrize("text,needle", [
    ('{"version": 1, "findings": [', "corrupt"),
    ("[]", "not a paramlint baseline"),
    ('{"version": 99, "findings": []}', "version 99"),
    ('{"version": 1, "findings": [{"path": "a"}]}', "corrupt"),
    ('{"version": 1, "findings": [{"path": "a", "code": "X", "layer": "", '
     '"fingerprint": "f", "count": "2"}]}', "bad value"),
])
def test_a_corrupt_baseline_is_a_clear_error(tmp_path, text, needle):
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(BaselineError, match=needle) as info:
        load_baseline(path)
    assert "b.json" in str(info.value)


def test_a_missing_baseline_says_how_to_create_one(tmp_path):
    with pytest.raises(BaselineError, match="--write-baseline"):
        load_baseline(tmp_path / "missing.json")
