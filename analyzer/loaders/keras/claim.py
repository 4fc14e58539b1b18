"""Is this a Keras model config? A byte scan of the file's head, nothing imported.

A ``.json`` file is one when its first ``class_name`` is a Keras model class
(Functional, Sequential, Model) and it has a ``config``: what
``model.to_json()`` writes, Keras 3 or 2. A ``.keras`` file is one when it is
a zip archive (its ``config.json`` is checked by the loader).
"""

from __future__ import annotations

import re

MODEL_CLASSES = ("Functional", "Sequential", "Model")
_FIRST_CLASS = re.compile(rb'"class_name"\s*:\s*"([^"\\]{0,64})"')


def claims_json(path: str, head: bytes) -> bool:
    found = _FIRST_CLASS.search(head)
    return bool(found) and found.group(1).decode("ascii", "replace") in MODEL_CLASSES and b'"config"' in head


def claims_keras(path: str, head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def claims(path: str, head: bytes) -> bool:
    """A Keras config by content: JSON by its first class_name, ``.keras`` by the zip signature."""
    if path.lower().endswith(".keras"):
        return claims_keras(path, head)
    return claims_json(path, head)
