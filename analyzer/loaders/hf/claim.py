"""Is this a Hugging Face ``config.json``? Its name, a ``model_type``, and no Keras structure.

transformers writes every model's configuration to a file named
``config.json`` with a top-level ``model_type``. A Keras model config
(``model.to_json()``, or the ``config.json`` inside a ``.keras`` archive)
has a ``class_name`` of Functional, Sequential or Model and a ``config``:
that file is the Keras loader's, so the two claims never overlap.
"""

from __future__ import annotations

import os
import re
import stat

_MODEL_TYPE = re.compile(rb'"model_type"\s*:')
_KERAS_CLASS = re.compile(rb'"class_name"\s*:\s*"(Functional|Sequential|Model)"')


#: how far a claim reads when the head is cut short: transformers sorts the
#: keys, so a thousand labels (id2label) come before model_type
MORE_BYTES = 1024 * 1024


def claims(path: str, head: bytes) -> bool:
    if os.path.basename(path).lower() != "config.json":
        return False
    if _KERAS_CLASS.search(head) and b'"config"' in head:
        return False
    if _MODEL_TYPE.search(head):
        return True
    if len(head) >= 16 * 1024:  # cut short and undecided: read on
        return bool(_MODEL_TYPE.search(_more(path)))
    return False


def _more(path: str) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        return os.read(fd, MORE_BYTES) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    finally:
        os.close(fd)
