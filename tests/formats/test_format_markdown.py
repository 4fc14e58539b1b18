from paramlint.formats.report import markdown
from report_helpers import finding, layer, report, rules_meta


def render(reports):
    return markdown.render(reports, rules=rules_meta(), version="9.9")


def alexnet_like():
    conv = layer("conv1", "conv2d", params=34944, output_shape=(96, 55, 55), sharing={
        "shared": 34944, "unshared": 105705600, "dense_equivalent": 44892355200,
        "savings": 105670656, "factor": 3025}, macs=105_415_200)
    fc = layer("fc6", params=37752832, output_shape=(4096,), macs=37_748_736)
    return report("zoo/alexnet.yaml", [finding(path="zoo/alexnet.yaml", message="fc6 | big")],
                  layers=[conv, fc], name="alexnet")


def test_a_heading_and_a_layer_row_with_thousands_separators():
    text = render([alexnet_like()])
    assert "## alexnet" in text
    assert "| conv1 | conv2d | [96, 55, 55] | 34,944 | 105,415,200 | 105,705,600 | 3025× |" in text
    assert "| fc6 | dense | [4096] | 37,752,832 | 37,748,736 | — | — |" in text


def test_totals_table_and_findings_list():
    text = render([alexnet_like()])
    assert "| Parameters | 37,787,776 |" in text
    assert "### Findings (1)" in text
    assert "**PRM301** dense-on-large-spatial (`fc6`, line 21): fc6 \\| big" in text


def test_every_table_row_has_the_header_column_count():
    text = render([alexnet_like()])
    rows = [ln for ln in text.splitlines() if ln.startswith("| ") and "Module" not in ln
            and "Total" not in ln and "---" not in ln and "Parameters" not in ln]
    layer_rows = [r for r in rows if r.count(" | ") >= 5]
    assert len(layer_rows) == 2
    assert all(r.replace("\\|", "").count("|") == 8 for r in layer_rows)


def test_a_failed_file_says_so_and_lists_its_load_error():
    failed = report("bad.yaml", [finding("PRM001", path="bad.yaml", layer=None,
                                         message="line 3: expected a mapping")],
                    error="line 3: expected a mapping", name="bad")
    text = render([failed])
    assert "Could not be loaded" in text and "PRM001" in text
    assert "| Module |" not in text


def test_no_reports_and_clean_model():
    assert "No model files were checked." in render([])
    assert "No findings." in render([report("ok.yaml", [], layers=[layer("fc", params=10)])])
