"""Mutated Keras configs and Ultralytics YAMLs: a LoadError or a model, never a crash.

Seeded random mutations (a key deleted, a value replaced by one of the
wrong type) of the real fixtures, as a broken or hand-edited file would be.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
import yaml

from paramlint.ir.model import LoadError
from paramlint.loaders.keras import load as load_keras
from paramlint.loaders.ultralytics import load as load_yolo

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
VALUES = [None, 0, -1, 1.5, "x", [], {}, [1, 2], {"a": 1}, True, 10**12, "None", [None, None]]


def mutate(obj, rng: random.Random, times: int):
    for _ in range(times):
        path, node = [], obj
        while isinstance(node, (dict, list)) and node and rng.random() < 0.85:
            key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
            path.append((node, key))
            node = node[key]
        if not path:
            continue
        parent, key = path[-1]
        if rng.random() < 0.35:
            del parent[key]
        else:
            parent[key] = copy.deepcopy(rng.choice(VALUES))
    return obj


def survives(load, path: str) -> None:
    try:
        load(path)
    except LoadError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("name", ["flatten_head", "shared_siamese", "text_rnn", "tf_keras_v2"])
def test_mutated_keras_configs_load_or_fail_cleanly(tmp_path, name):
    rng = random.Random(name)
    base = json.loads((FIXTURES / "keras" / f"{name}.json").read_text())
    path = tmp_path / "m.json"
    for _ in range(60):
        path.write_text(json.dumps(mutate(copy.deepcopy(base), rng, rng.randint(1, 4))))
        survives(load_keras, str(path))


@pytest.mark.parametrize("name", ["yolov8", "yolo11", "yolo26"])
def test_mutated_ultralytics_yamls_load_or_fail_cleanly(tmp_path, name):
    rng = random.Random(name)
    base = yaml.safe_load((FIXTURES / "ultralytics" / f"{name}.yaml").read_text())
    path = tmp_path / "m.yaml"
    for _ in range(40):
        path.write_text(yaml.safe_dump(mutate(copy.deepcopy(base), rng, rng.randint(1, 3))))
        survives(load_yolo, str(path))
