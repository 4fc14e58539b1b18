"""The shipped architecture files load, and hold the published counts."""

from __future__ import annotations

from collections import Counter

import pytest

from paramlint.ir.model import LoadError
from paramlint.loaders.yaml.loader import load

from yaml_helpers import FIXTURES, totals


def fixture(name: str):
    return load(str(FIXTURES / name))


def per_use(model) -> int:
    return sum(model.weights[w].elements for layer in model.layers for w in layer.weights)


def test_alexnet_62_378_344():
    assert totals(fixture("alexnet.yaml")) == (62_378_344, 0)


def test_lenet5_61_706():
    model = fixture("lenet5.yaml")
    # 156 + 2,416 + (400*120 + 120) + (120*84 + 84) + (84*10 + 10)
    assert totals(model) == (156 + 2_416 + 48_120 + 10_164 + 850, 0) == (61_706, 0)
    assert model.layer("s4").output_shape == (16, 5, 5)


def test_vgg16_138_357_544_and_fc6_reads_512x7x7():
    model = fixture("vgg16.yaml")
    assert totals(model) == (138_357_544, 0)
    fc6 = model.layer("fc6")
    assert fc6.input_shape == (512, 7, 7)
    assert model.weights["fc6.kernel"].shape == (4096, 25_088)
    assert sum(1 for layer in model.layers if layer.op == "conv2d") == 13


def test_resnet18_torchvision_counts():
    model = fixture("resnet18.yaml")
    assert totals(model) == (11_689_512, 9_600)
    assert model.layer("layer1.1.add").inputs == ["layer1.1.bn2", "layer1.0.relu2"]
    assert model.layer("layer4_0.0.downsample").inputs == ["layer3_1.0.relu2"]
    assert model.layer("avgpool").output_shape == (512,)
    assert all(model.layer(n).attrs["bias"] is False for n in ("conv1", "layer3_0.0.conv2"))


def test_siamese_right_tower_reads_left_weights():
    model = fixture("siamese.yaml")
    assert [t.name for t in model.inputs] == ["left", "right"]
    assert model.layer("r_conv1").inputs == ["right"]
    assert model.layer("r_fc").weights == ["l_fc.kernel", "l_fc.bias"]
    assert not any(name.startswith("r_") for name in model.weights)
    # one tower is counted once, read twice
    assert per_use(model) - sum(totals(model)) == sum(
        model.weights[w].elements for layer in model.layers if layer.name.startswith("l_") for w in layer.weights
    )


def test_text_lstm_shapes_and_onnx_like_weights():
    model = fixture("text_lstm.yaml")
    assert model.layer("embed").output_shape == (128, 50)
    assert model.layer("lstm").attrs["sequence_length"] == 50
    assert model.weights["lstm.W"].shape == (1, 1024, 128)
    assert model.weights["lstm.R"].shape == (1, 1024, 256)
    assert model.weights["lstm.B"].shape == (1, 2048)
    # 1,280,000 + 4*(128*256 + 256*256 + 2*256) + (256*2 + 2)
    assert totals(model) == (1_280_000 + 395_264 + 514, 0)


def test_albert_repeats_share_one_layer():
    model = fixture("albert.yaml")
    layer_params = 4 * (768 * 768 + 768) + (768 * 3072 + 3072) + (3072 * 768 + 768) + 2 * 2 * 768
    embeddings = 30_000 * 128 + (128 * 768 + 768) + 2 * 768
    pooler = 768 * 768 + 768
    assert totals(model) == (embeddings + layer_params + pooler, 0)
    assert per_use(model) - sum(totals(model)) == 11 * layer_params
    readers = Counter(w for layer in model.layers for w in layer.weights)
    assert readers["encoder.0.ffn.kernel"] == 12


@pytest.mark.parametrize("name", ["alexnet", "lenet5", "vgg16", "resnet18", "siamese", "text_lstm", "albert"])
def test_every_good_fixture_starts_with_a_comment_header(name):
    text = (FIXTURES / f"{name}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert fixture(f"{name}.yaml").layers


def test_broken_syntax_fixture_points_at_the_line():
    with pytest.raises(LoadError) as info:
        fixture("broken_syntax.yaml")
    assert (info.value.location.line, info.value.location.column) == (6, 5)
    assert "YAML syntax error" in info.value.message
    assert "line 5" in info.value.message


def test_broken_field_fixture_has_the_contract_message():
    with pytest.raises(LoadError) as info:
        fixture("broken_field.yaml")
    assert str(info.value).endswith(
        "broken_field.yaml:7:53: conv2d 'conv3': field 'filters' must be a positive integer, got '256x'"
    )
