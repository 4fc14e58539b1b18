"""``load(path) -> Model`` for a Hugging Face ``config.json``.

The config is read into a format 2 document (decoder.py, encoders.py)
and sized by the format 2 builder, so counts, MACs, rules, reports and
diff work on it as on a hand-written file, with one arithmetic. A
``model_type`` paramlint does not model is a finding (PRM002, with the
fields it read), never a guess.
"""

from __future__ import annotations

import os

from paramlint.ir.model import Diagnostic, Location, Model
from paramlint.loaders.yaml.loader import build
from .config import Config, read_config
from .decoder import document
from .encdec import ENCODER_DECODERS
from .encoders import ENCODERS
from .families import DECODERS, NEEDS

#: fields an unknown model_type is reported with, when present
SIZES = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
         "vocab_size", "max_position_embeddings", "head_dim", "tie_word_embeddings", "n_embd", "n_layer",
         "n_head", "d_model", "num_layers", "num_experts", "num_local_experts", "n_routed_experts")


def modelled() -> list[str]:
    """Every model_type this loader reads."""
    have = format2_types()
    return sorted(k for k in [*DECODERS, *ENCODERS, *ENCODER_DECODERS] if NEEDS.get(k, "dense") in have)


def load(path: str) -> Model:
    """Load a config.json; raises only ``LoadError``."""
    config = read_config(path)
    kind = config.raw("model_type")
    name = _name(path)
    if not isinstance(kind, str):
        raise config.error(f"config.json: 'model_type' must be a string, got {str(kind)[:40]!r}")
    if kind == "gemma3" and config.has("text_config"):
        return _gemma3(config, name)
    if kind in NEEDS and NEEDS[kind] not in format2_types():
        return _unknown(config, kind, name, f"it needs format 2's '{NEEDS[kind]}' layer type, which this "
                                            "paramlint does not have yet")
    if kind in DECODERS:
        doc = document(DECODERS[kind](config), name)
    elif kind in ENCODERS:
        doc = ENCODERS[kind](config, name)
    elif kind in ENCODER_DECODERS:
        doc = ENCODER_DECODERS[kind](config, name)
    else:
        return _unknown(config, kind, name)
    model = build(path, doc, config.line, config.column)
    model.format = "hf-config"
    model.facts = {"model_type": kind, "config": dict(config.read)}
    return model


def _gemma3(config: Config, name: str) -> Model:
    """Gemma 3's multimodal config: its text model, and a finding for the vision tower it does not count."""
    from .families import gemma3_text

    text = config.sub("text_config")
    model = build(config.path, document(gemma3_text(text), name), config.line, config.column)
    model.format = "hf-config"
    model.facts = {"model_type": "gemma3", "config": dict(config.read)}
    model.diagnostics.append(Diagnostic(
        "unknown-layer", "config.json: gemma3's vision tower (vision_config) and its projector are not modelled: "
        "the counts are the text model's, a lower bound of the whole", None,
        Location(config.path, config.line, config.column)))
    return model


def format2_types() -> frozenset[str]:
    from paramlint.loaders.yaml.types import TYPES

    return frozenset(TYPES[2])


def _unknown(config: Config, kind: str, name: str, why: str = "") -> Model:
    read = {key: config.data[key] for key in SIZES
            if isinstance(config.data.get(key), (int, bool)) and key in config.data}
    fields = ", ".join(f"{k} {str(v).lower() if isinstance(v, bool) else v}" for k, v in read.items())
    fields = fields or "no size fields"
    known = ", ".join(modelled())
    message = (f"config.json: model_type {kind[:60]!r} is not modelled by paramlint{': ' + why if why else ''}: "
               f"no counts are given (read: {fields}); modelled: {known}")
    return Model(path=config.path, format="hf-config", name=name,
                 diagnostics=[Diagnostic("unknown-layer", message, None,
                                         Location(config.path, config.line, config.column))],
                 facts={"model_type": kind, "config": read, "modelled": False})


def _name(path: str) -> str:
    folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return folder or "config"
