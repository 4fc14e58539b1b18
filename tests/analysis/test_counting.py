"""counting.md's arithmetic on hand-built IR, independent of any loader."""

from paramlint.analysis.counting import count

from ir_helpers import ModelBuilder


def reference_conv(batch_dim=False):
    b = ModelBuilder(batch_dim=batch_dim)
    lead = (1,) if batch_dim else ()
    b.conv("conv1", 3, 96, (11, 11), lead + (3, 227, 227), lead + (96, 55, 55))
    return b.model


def test_reference_conv_sharing_figures_digit_for_digit():
    sharing = count(reference_conv()).layers["conv1"].sharing
    assert sharing.shared == 96 * 3 * 11 * 11 + 96 == 34_944
    assert sharing.unshared == 55 * 55 * 34_944 == 105_705_600
    assert sharing.dense_equivalent == (3 * 227 * 227) * (96 * 55 * 55) + 96 * 55 * 55 == 44_892_355_200
    assert sharing.savings == 105_705_600 - 34_944 == 105_670_656
    assert sharing.factor == 3025


def test_batch_dimension_does_not_change_sharing_figures():
    with_batch = count(reference_conv(batch_dim=True)).layers["conv1"].sharing
    assert with_batch == count(reference_conv()).layers["conv1"].sharing


def test_totals_add_sharing_savings_to_unshared_params():
    totals = count(reference_conv()).totals
    assert totals.params == 34_944
    assert totals.sharing_savings == 105_670_656
    assert totals.unshared_params == 105_705_600


def test_grouped_conv_uses_its_own_p():
    b = ModelBuilder()
    b.conv("dw", 32, 32, (3, 3), (32, 56, 56), (32, 56, 56), groups=32)
    sharing = count(b.model).layers["dw"].sharing
    p = 32 * 1 * 9 + 32
    assert sharing.shared == p
    assert sharing.unshared == 56 * 56 * p
    assert sharing.dense_equivalent == (32 * 56 * 56) * (32 * 56 * 56) + 32 * 56 * 56


def test_unknown_dimension_leaves_figures_null_and_says_which():
    b = ModelBuilder(batch_dim=True)
    b.conv("c", 3, 8, (3, 3), ("batch", 3, None, 32), ("batch", 8, None, 30))
    layer = count(b.model).layers["c"]
    assert layer.sharing.unshared is None and layer.sharing.factor is None
    assert "unknown dimension" in layer.missing
    assert count(b.model).totals.unshared_params is None


def test_weight_read_by_two_layers_is_a_tie():
    b = ModelBuilder()
    b.weight("table", (1000, 64))
    b.layer("embed", "embedding", ["tokens"], (10,), (64, 10), ["table"])
    b.layer("head", "dense", ["x"], (64,), (1000,), ["table"], units=1000, bias=False)
    c = count(b.model)
    assert c.totals.params == 64_000
    assert c.totals.per_use_params == 128_000
    assert c.totals.tied_savings == 64_000
    assert c.layers["head"].shared_with == ["embed"]
    assert [t.name for t in c.ties] == ["table"] and not c.merged_constants


def test_uniform_tensor_read_by_several_layers_is_a_merged_constant():
    b = ModelBuilder(fmt="onnx", batch_dim=True)
    b.weight("zeros64", (64,), uniform=True)
    b.weight("ones64", (64,), uniform=None)  # values not read: vector-like counts as merged
    for name in ("bn1", "bn2", "bn3"):
        b.layer(name, "batchnorm", ["x"], (1, 64, 8, 8), (1, 64, 8, 8), ["ones64", "zeros64"])
    c = count(b.model)
    assert c.totals.params == 3 * 64 * 2
    assert c.totals.tied_savings == 0
    assert sorted(t.name for t in c.merged_constants) == ["ones64", "zeros64"]
    assert c.layers["bn1"].shared_with == []


def test_matrix_with_unread_values_read_twice_is_a_tie_not_merged():
    b = ModelBuilder(fmt="onnx", batch_dim=True)
    b.weight("w", (64, 64), uniform=None)
    b.layer("a", "dense", ["x"], (1, 64), (1, 64), ["w"], units=64)
    b.layer("b", "dense", ["a"], (1, 64), (1, 64), ["w"], units=64)
    c = count(b.model)
    assert c.totals.tied_savings == 64 * 64 and [t.name for t in c.ties] == ["w"]


def test_non_trainable_weights_split_from_trainable():
    b = ModelBuilder()
    ws = [b.weight("bn.scale", (64,)), b.weight("bn.shift", (64,)),
          b.weight("bn.mean", (64,), trainable=False), b.weight("bn.var", (64,), trainable=False)]
    b.layer("bn", "batchnorm", ["x"], (64, 8, 8), (64, 8, 8), ws)
    c = count(b.model)
    assert (c.totals.trainable, c.totals.non_trainable) == (128, 128)
    assert (c.layers["bn"].trainable, c.layers["bn"].non_trainable) == (128, 128)
    assert c.layers["bn"].sharing is None


def test_weight_no_layer_reads_is_unused_not_counted():
    b = ModelBuilder()
    b.weight("leftover", (10, 10))
    b.dense("fc", 4, 2, ["x"], (4,), (2,))
    c = count(b.model)
    assert c.totals.params == 4 * 2 + 2
    assert c.totals.unused_params == 100
    assert [t.name for t in c.unused] == ["leftover"]


def test_recurrent_layer_saves_over_known_time_steps():
    b = ModelBuilder()
    f, u, t = 128, 256, 50
    p = 4 * (f * u + u * u + 2 * u)
    ws = [b.weight("lstm.W", (1, 4 * u, f)), b.weight("lstm.R", (1, 4 * u, u)), b.weight("lstm.B", (1, 8 * u))]
    b.layer("lstm", "lstm", ["x"], (f, t), (u, t), ws, sequence_length=t)
    sharing = count(b.model).layers["lstm"].sharing
    assert (sharing.shared, sharing.unshared, sharing.factor) == (p, t * p, t)
    assert sharing.dense_equivalent is None
