"""The built-in rules on hand-built IR: what fires, on which layer, with which figures."""

from paramlint.lint.engine import Settings, run_rules
from paramlint.ir.model import TensorInfo
from paramlint.lint.plugins import discover

from ir_helpers import ModelBuilder


def findings(model, code, **options):
    rules = [r for r in discover().rules if r.code == code]
    assert rules, f"{code} is not registered"
    out, _ = run_rules(model, rules, Settings(options={code: options} if options else {}))
    return out


def vgg_head(batch_dim=False, flatten=True, transpose_nhwc=False):
    """conv → 512x7x7 map → (flatten) → dense 4096, the way VGG16's classifier starts."""
    b = ModelBuilder(batch_dim=batch_dim, fmt="onnx" if batch_dim else "yaml")
    lead = (1,) if batch_dim else ()
    b.conv("conv", 512, 512, (3, 3), lead + (512, 7, 7), lead + (512, 7, 7))
    prev, shape = "conv", lead + (512, 7, 7)
    if transpose_nhwc:
        b.layer("to_nhwc", "transpose", [prev], shape, lead + (7, 7, 512))
        prev, shape = "to_nhwc", lead + (7, 7, 512)
    if flatten:
        b.layer("flat", "flatten", [prev], shape, lead + (25088,))
        prev, shape = "flat", lead + (25088,)
    b.dense("fc6", 25088, 4096, [prev], shape, lead + (4096,))
    return b.model


def test_dense_on_flattened_map_reports_pooled_cost():
    (f,) = findings(vgg_head(), "PRM301")
    assert f.layer == "fc6"
    assert f.extra["params"] == 25088 * 4096 + 4096 == 102_764_544
    assert f.extra["pooled_params"] == 512 * 4096 + 4096 == 2_101_248
    assert "512x7x7" in f.message and "2,101,248" in f.message


def test_dense_directly_on_map_is_traced_without_flatten():
    (f,) = findings(vgg_head(flatten=False), "PRM301")
    assert f.extra["channels"] == 512 and f.extra["spatial"] == [7, 7]


def test_map_found_through_nhwc_transpose_keeps_channel_count():
    (f,) = findings(vgg_head(batch_dim=True, transpose_nhwc=True), "PRM301")
    assert f.extra["channels"] == 512 and f.extra["pooled_params"] == 2_101_248


def test_small_map_below_min_spatial_is_not_reported():
    assert findings(vgg_head(), "PRM301", **{"min-spatial": 50}) == []
    assert len(findings(vgg_head(), "PRM301", **{"min-spatial": 49})) == 1


def test_dense_on_pooled_vector_is_not_reported():
    b = ModelBuilder()
    b.layer("gap", "global_avgpool", ["x"], (512, 7, 7), (512,))
    b.dense("fc", 512, 1000, ["gap"], (512,), (1000,))
    assert findings(b.model, "PRM301") == []


def test_dense_holding_most_of_the_model_is_reported():
    (f,) = findings(vgg_head(), "PRM302")
    assert f.layer == "fc6" and f.extra["share"] > 0.5


def test_budget_is_off_until_configured_then_names_the_excess():
    model = vgg_head()
    assert findings(model, "PRM101") == []
    (f,) = findings(model, "PRM101", **{"max-params": 1_000_000})
    assert f.severity == "error" and f.extra["limit"] == 1_000_000
    per_layer = findings(model, "PRM101", **{"max-layer-params": 3_000_000})
    assert [x.layer for x in per_layer] == ["fc6"]


def test_untied_embedding_and_projection_are_reported_tied_ones_are_not():
    b = ModelBuilder()
    b.weight("emb.table", (32000, 512))
    b.layer("emb", "embedding", ["tokens"], (128,), (512, 128), ["emb.table"])
    b.dense("head", 512, 32000, ["emb"], (512,), (32000,), bias=False)
    (f,) = findings(b.model, "PRM202")
    assert f.layer == "head" and f.extra["savings"] == 32000 * 512
    b.model.layers[-1].weights = ["emb.table"]
    b.model.__dict__.pop("_counts")
    assert findings(b.model, "PRM202") == []


def test_locally_connected_layer_reports_what_a_convolution_saves():
    b = ModelBuilder()
    positions, p = 26 * 26, 16 * 3 * 9 + 16
    ws = [b.weight("lc.kernel", (positions, 16, 27)), b.weight("lc.bias", (positions, 16))]
    b.layer("lc", "locally_connected2d", ["x"], (3, 28, 28), (16, 26, 26), ws, bias=True)
    (f,) = findings(b.model, "PRM201")
    assert f.extra["shared"] == p and f.extra["savings"] == positions * p - p


def test_unused_weight_is_reported_with_its_size():
    b = ModelBuilder()
    b.weight("old_head", (1000, 512))
    b.dense("fc", 4, 2, ["x"], (4,), (2,))
    (f,) = findings(b.model, "PRM401")
    assert f.extra == {"tensor": "old_head", "elements": 512_000}


def test_unknown_dimension_gets_an_unknown_layer_finding():
    b = ModelBuilder(batch_dim=True, fmt="onnx")
    b.conv("c", 3, 8, (3, 3), ("N", 3, None, 32), ("N", 8, None, 30))
    (f,) = findings(b.model, "PRM002")
    assert f.layer == "c" and "unknown dimension" in f.message


def test_tied_output_projection_does_not_dominate_through_the_embedding_it_reads():
    b = ModelBuilder()
    b.weight("table", (1000, 64))
    b.layer("embed", "embedding", ["tokens"], (10,), (64, 10), ["table"])
    b.layer("head", "dense", ["embed"], (64, 10), (1000,), ["table"], units=1000, bias=False)
    assert findings(b.model, "PRM302") == []


def twin_towers(tied: bool):
    b = ModelBuilder()
    b.model.inputs = [TensorInfo("left", (1, 28, 28)), TensorInfo("right", (1, 28, 28))]
    left = b.conv("l_conv", 1, 8, (3, 3), (1, 28, 28), (8, 26, 26), inputs=["left"])
    if tied:
        b.layer("r_conv", "conv2d", ["right"], (1, 28, 28), (8, 26, 26), list(left.weights), bias=True)
    else:
        b.conv("r_conv", 1, 8, (3, 3), (1, 28, 28), (8, 26, 26), inputs=["right"])
    b.conv("l_conv2", 8, 8, (3, 3), (8, 26, 26), (8, 24, 24), inputs=["l_conv"])
    return b.model


def test_untied_twin_towers_on_two_inputs_are_reported_with_the_savings():
    (f,) = findings(twin_towers(tied=False), "PRM201")
    assert f.layer == "r_conv" and f.extra["twin"] == "l_conv"
    assert f.extra["savings"] == 8 * 1 * 3 * 3 + 8


def test_tied_twins_and_layers_on_the_same_input_are_not_reported():
    assert findings(twin_towers(tied=True), "PRM201") == []
    b = ModelBuilder()
    b.model.inputs = [TensorInfo("x", (64, 10))]
    for name in ("query", "key", "value"):  # parallel projections of one input are not twins
        b.dense(name, 640, 64, ["x"], (64, 10), (64,))
    assert findings(b.model, "PRM201") == []
