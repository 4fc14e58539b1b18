"""The loader registry: which loader, if any, claims a file.

A repository is full of YAML (and JSON) that is not a model, so a file's
extension only says which loaders to *ask*; each loader then says, from
the first bytes of the file, whether the file is one of its own. The first
loader that claims a file reads it; a file no loader claims is not a model
and is skipped without a finding, as ruff skips what is not Python.

Each entry names its functions as ``"module:function"`` import strings,
imported on first use, so linting YAML never imports onnx (or numpy), and
a format's code costs nothing to a run that meets none of its files.

- ``claims(path, head) -> bool``: cheap and tolerant. ``head`` is the first
  ``HEAD_BYTES`` bytes of a regular file the engine has already opened and
  vetted (the whole file when shorter). It must not raise and must not
  judge validity (if it raises anyway, the file counts as claimed, so that
  a broken format is heard rather than silently skipped): a file that says it is a model and is broken must still
  be claimed, so that its loader reports it (PRM001, with line and column).
- ``load(path) -> Model``: reads the file; raises only ``LoadError``.

docs/loaders.md describes the protocol for new formats.
"""

from __future__ import annotations

import importlib
import os
import re
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from paramlint.ir.errors import LoadError, Location

if TYPE_CHECKING:
    from paramlint.ir.model import Model

#: How much of a file the engine reads for the claims.
HEAD_BYTES = 16 * 1024


@dataclass(frozen=True)
class Loader:
    """One registered format: which files it may claim and how it reads them."""

    name: str  # e.g. "paramlint-yaml"; stable, shown in docs and errors
    format: str  # Model.format of what it loads ("yaml", "onnx")
    suffixes: tuple[str, ...]  # lower-case, with the dot
    claims: str  # "module:function", claims(path, head: bytes) -> bool
    load: str  # "module:function", load(path) -> Model
    #: optional "module:function", stands_for(path) -> str | None: the file a
    #: *missing* path is read from (Ultralytics reads yolov8n.yaml as yolov8.yaml)
    stands_for: str | None = None

    def claims_file(self, path: str, head: bytes) -> bool:
        """Ask the loader. A predicate that raises (a bug, a module that does
        not import) claims the file: its loader then fails loudly on it,
        where a silent skip would pass every model of the format."""
        try:
            return bool(_resolve(self.claims)(path, head))
        except Exception:
            return True

    def loader(self) -> Callable[[str], Model]:
        return _resolve(self.load)


#: In the order they are asked: the first claimer wins.
LOADERS: list[Loader] = [
    Loader("paramlint-yaml", "yaml", (".yaml", ".yml"),
           "paramlint.loaders.yaml.claim:claims", "paramlint.loaders.yaml.loader:load"),
    Loader("ultralytics", "ultralytics", (".yaml", ".yml"),
           "paramlint.loaders.ultralytics.claim:claims", "paramlint.loaders.ultralytics:load",
           "paramlint.loaders.ultralytics.claim:stands_for"),
    Loader("onnx", "onnx", (".onnx",),
           "paramlint.loaders:any_file", "paramlint.loaders.onnx.loader:load"),
    Loader("safetensors", "safetensors", (".safetensors", ".json"),
           "paramlint.loaders.safetensors.claim:claims", "paramlint.loaders.safetensors.loader:load"),
    Loader("gguf", "gguf", (".gguf",),
           "paramlint.loaders.gguf.claim:claims", "paramlint.loaders.gguf.loader:load"),
    Loader("hf-config", "hf-config", (".json",),
           "paramlint.loaders.hf.claim:claims", "paramlint.loaders.hf.loader:load"),
    Loader("keras", "keras", (".json", ".keras"),
           "paramlint.loaders.keras.claim:claims", "paramlint.loaders.keras:load"),
]

_RESOLVED: dict[str, Any] = {}


def _resolve(target: str) -> Any:
    func = _RESOLVED.get(target)
    if func is None:
        module, _, name = target.partition(":")
        func = _RESOLVED[target] = getattr(importlib.import_module(module), name)
    return func


def register(loader: Loader, before: str | None = None) -> None:
    """Add a format (tests, embedding applications); ``before`` names the loader it must precede."""
    at = next((i for i, known in enumerate(LOADERS) if known.name == before), len(LOADERS))
    LOADERS.insert(at, loader)


def any_file(path: str, head: bytes) -> bool:
    """The claim of a format whose extension is its own (``.onnx``): every such file."""
    return True


def suffixes() -> tuple[str, ...]:
    """Every extension some loader may claim, for folder walks."""
    return tuple(dict.fromkeys(s for loader in LOADERS for s in loader.suffixes))


def candidates(path: str) -> list[Loader]:
    """The loaders that may claim ``path``, by its extension, in order."""
    suffix = os.path.splitext(path)[1].lower()
    return [loader for loader in LOADERS if suffix in loader.suffixes]


def claim(path: str, head: bytes) -> Loader | None:
    """The first loader that claims the file, or None: not a model."""
    for loader in candidates(path):
        if loader.claims_file(path, head):
            return loader
    return None


def standing_in(path: str) -> Loader | None:
    """The loader that reads a missing ``path`` from another file it names, if one does."""
    for loader in candidates(path):
        if loader.stands_for is None:
            continue
        target = _resolve(loader.stands_for)(path)
        if not target or not os.path.isfile(target):
            continue
        try:
            with open(target, "rb") as handle:
                head = handle.read(HEAD_BYTES)
        except OSError:
            continue
        if loader.claims_file(target, head):
            return loader
    return None


def by_name(name: str) -> Loader:
    for loader in LOADERS:
        if loader.name == name:
            return loader
    raise KeyError(name)


def read_head(path: str, size: int) -> bytes:
    """The first ``size`` bytes of a regular file, for the loaders' claims.

    This is the first time a run opens a file, so it vets it first: opened
    without blocking (a FIFO would wait for a writer forever) and refused
    unless it is a regular file (a device such as /dev/zero never ends).
    Raises ``LoadError`` saying why.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise LoadError("no such file", Location(path)) from None
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}", Location(path)) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise LoadError("is a directory, not a model file", Location(path))
        if not stat.S_ISREG(mode):
            raise LoadError("is not a regular file", Location(path))
        return os.read(fd, size)
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}", Location(path)) from None
    finally:
        os.close(fd)


#: The first line of a Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
LFS_SIGNATURE = b"version https://git-lfs.github.com/spec/v1"
LFS_POINTER_MESSAGE = ("is a Git LFS pointer, not the model file: fetch the real file with `git lfs pull`"
                       " (in GitHub Actions, `lfs: true` on actions/checkout)")


def is_lfs_pointer(head: bytes) -> bool:
    """A Git LFS pointer stands in for a model of any format (``actions/checkout``
    without ``lfs: true`` gives one): it is reported, never skipped or parsed as
    the format its name says."""
    return head.startswith(LFS_SIGNATURE)


#: A key at column 0 (``name:``, ``"layers":``), whatever it is.
_ANY_TOP_KEY = re.compile(rb"""^["']?[^\s#%\-"'{\[][^\n:]*["']?[ \t]*:(?:[ \t\r]|$)""", re.M)


def keys_not_reached(head: bytes) -> bool:
    """A full head with no top-level key at all: the file opens with more than
    ``HEAD_BYTES`` of comments, blank lines or one long value, so a YAML claim
    must read on to its first key (250 comment lines above a model made it
    "not a model", exit 0: issue 22)."""
    return len(head) >= HEAD_BYTES and _ANY_TOP_KEY.search(head) is None
