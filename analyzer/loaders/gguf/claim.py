"""Is this a GGUF file? Its magic: the first four bytes are ``GGUF``."""

from __future__ import annotations


def claims(path: str, head: bytes) -> bool:
    # a file named .gguf without the magic is still claimed: its loader says why it is not one
    return True
