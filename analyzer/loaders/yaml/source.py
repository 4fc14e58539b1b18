"""Reading a YAML architecture file safely, keeping line/column marks.

The file is read once, decoded as UTF-8 and parsed into *events* by a safe
loader (libyaml when available). We compose the document ourselves from the
event stream, without recursion, so hostile input is refused early and
cheaply:

- files over ``MAX_BYTES`` are refused from ``os.stat`` before any read;
- nesting deeper than ``MAX_DEPTH`` is refused while composing;
- more than ``MAX_NODES`` composed nodes, or more than ``MAX_NODES`` nodes
  visited while expanding aliases (a "billion laughs" bomb), is refused;
- any tag that would construct an object (``!!python/...``) is refused.

The result is plain Python data whose containers remember where they came
from: ``MarkedMap`` (a dict) and ``MarkedSeq`` (a list) carry the 1-based
``Mark`` of themselves and of each key and value.
"""

from __future__ import annotations

import os
import stat
from typing import Any, NamedTuple

import yaml

try:  # libyaml is much faster; its marks carry line/column just the same
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 100_000

_STD = "tag:yaml.org,2002:"
_SAFE_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}
_SAFE_TAGS.add("!")
_MERGE = _STD + "merge"


class Mark(NamedTuple):
    """A 1-based line and column."""

    line: int
    column: int


class YamlError(Exception):
    """A refusal with a mark; the loader turns it into ``LoadError``."""

    def __init__(self, message: str, mark: Mark | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class MarkedMap(dict):
    """A mapping that remembers its own mark and those of its entries."""

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[Any, Mark] = {}
        self.value_marks: dict[Any, Mark] = {}

    def mark_of(self, key: Any) -> Mark:
        """The value's mark for ``key``, or the map's own when absent."""
        return self.value_marks.get(key, self.mark)


class MarkedSeq(list):
    """A sequence that remembers its own mark and those of its items."""

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Mark] = []

    def mark_of(self, index: int) -> Mark:
        if 0 <= index < len(self.item_marks):
            return self.item_marks[index]
        return self.mark


def _mark(yaml_mark: Any) -> Mark | None:
    if yaml_mark is None:
        return None
    return Mark(yaml_mark.line + 1, yaml_mark.column + 1)


def tag_text(tag: str) -> str:
    """A tag as a user writes it: ``!!python/object`` rather than the URI."""
    return "!!" + tag[len(_STD):] if tag.startswith(_STD) else tag


# ---------------------------------------------------------------- reading


def read_text(path: str) -> str:
    """The file's text: stat first (size, kind), read once, decode UTF-8."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise YamlError("file not found") from None
    except OSError as exc:
        raise YamlError(f"cannot read the file: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise YamlError("is a directory, not a YAML file")
    if not stat.S_ISREG(info.st_mode):
        raise YamlError("is not a regular file")
    if info.st_size > MAX_BYTES:
        raise YamlError(
            f"file is too large: {info.st_size:,} bytes, the limit is "
            f"{MAX_BYTES:,} bytes (an architecture file is a few KB)"
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise YamlError(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:  # grew between stat and read
        raise YamlError(f"file is too large: the limit is {MAX_BYTES:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        raise YamlError(
            f"file is not valid UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
            Mark(line, column),
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise YamlError("file is empty", Mark(1, 1))
    return text


# ---------------------------------------------------------------- composing


class _Node:
    """A composed node: ``kind`` is 'scalar', 'seq' or 'map'."""

    __slots__ = ("kind", "value", "mark", "tag")

    def __init__(self, kind: str, value: Any, mark: Mark, tag: str | None) -> None:
        self.kind = kind
        self.value = value  # scalar: python value; seq: [_Node]; map: [(_Node, _Node)]
        self.mark = mark
        self.tag = tag


_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()


def _check_tag(tag: str | None, mark: Mark, allowed: set[str]) -> None:
    if tag is not None and tag not in allowed:
        raise YamlError(
            f"tag '{tag_text(tag)}' is not allowed: paramlint reads plain YAML "
            "(numbers, strings, lists, mappings) and never constructs objects",
            mark,
        )


def _scalar(event: Any, mark: Mark) -> _Node:
    _check_tag(event.tag, mark, _SAFE_TAGS)
    tag = event.tag
    if tag is None or tag == "!":
        if tag == "!":
            tag = _STD + "str"
        else:
            tag = _resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _MERGE:
        return _Node("scalar", "<<", mark, _MERGE)
    construct = _constructor.yaml_constructors.get(tag)
    if construct is None:  # an implicit tag with no safe meaning ('=')
        return _Node("scalar", event.value, mark, _STD + "str")
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    text = event.value
    if tag == _STD + "int" and len(text) > MAX_INT_CHARS:  # before int() reads 10^6 digits
        raise YamlError(f"integer of {len(text):,} characters {_excerpt(text)} is past any real "
                        f"model (limit {MAX_INT:.0e})", mark)
    try:
        value = construct(_constructor, node)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlError(f"cannot read {tag_text(tag)} value {_excerpt(text)}: {problem[:80]}", mark) from None
    if type(value) is int and abs(value) > MAX_INT:
        raise YamlError(f"integer {_excerpt(text)} is past any real model (limit {MAX_INT:.0e})", mark)
    return _Node("scalar", value, mark, tag)


#: Largest integer a file may hold: counting.md's sizes, shapes and counts
#: of real models are far below (the largest models have ~10^12 parameters).
MAX_INT = 10**15
#: Characters of an integer's text before it is even converted (Python 3.11
#: refuses to convert past 4,300 digits; a long text is refused by length).
MAX_INT_CHARS = 64


def _excerpt(text: str) -> str:
    """A value's text for a message: short (it may be a secret in a file
    that is not a model) and quoted."""
    return repr(text if len(text) <= 32 else text[:24] + "...")


class _Alias(_Node):
    """A use of an anchored node at another place (``*name``)."""

    __slots__ = ("target",)

    def __init__(self, target: _Node, mark: Mark) -> None:
        super().__init__("alias", None, mark, None)
        self.target = target


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    context = " ".join(exc.context.split()) if exc.context else ""
    if context and exc.context_mark is not None and exc.problem_mark is not None \
            and exc.context_mark.line != exc.problem_mark.line:
        start = _mark(exc.context_mark)
        context += f" started at line {start.line}, column {start.column}"
    parts = [p for p in (context, " ".join((exc.problem or "").split())) if p]
    return "YAML syntax error: " + ", ".join(parts)


def compose(text: str) -> _Node:
    """Compose the single document of ``text`` into ``_Node`` objects."""
    loader = _EventLoader(text)
    anchors: dict[str, _Node] = {}
    # open containers: [node, its anchor, the key waiting for its value]
    stack: list[list[Any]] = []
    root: _Node | None = None
    documents = 0
    count = 0

    def attach(node: _Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        frame = stack[-1]
        parent = frame[0]
        if parent.kind == "seq":
            parent.value.append(node)
        elif frame[2] is None:
            if node.kind != "scalar":
                raise YamlError("a mapping key must be a plain scalar, not a list or mapping", node.mark)
            frame[2] = node
        else:
            parent.value.append((frame[2], node))
            frame[2] = None

    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            mark = _mark(event.start_mark) or Mark(1, 1)
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlError("the file holds several YAML documents; paramlint reads one", mark)
                continue
            if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
                continue
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                node, anchor, _ = stack.pop()
                if anchor:
                    # registered only now, so an alias inside its own anchor
                    # (a recursive structure) is refused as undefined
                    anchors[anchor] = node
                attach(node)
                continue
            count += 1
            if count > MAX_NODES:
                raise YamlError(f"the file holds more than {MAX_NODES:,} YAML nodes", mark)
            if isinstance(event, yaml.AliasEvent):
                target = anchors.get(event.anchor)
                if target is None:
                    raise YamlError(
                        f"alias '*{event.anchor}' has no complete anchor '&{event.anchor}' before it",
                        mark,
                    )
                attach(_Alias(target, mark))
            elif isinstance(event, yaml.ScalarEvent):
                node = _scalar(event, mark)
                if event.anchor:
                    anchors[event.anchor] = node
                attach(node)
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                is_seq = isinstance(event, yaml.SequenceStartEvent)
                _check_tag(event.tag, mark, {_STD + ("seq" if is_seq else "map")})
                if len(stack) >= MAX_DEPTH:
                    raise YamlError(f"nesting is deeper than {MAX_DEPTH} levels", mark)
                stack.append([_Node("seq" if is_seq else "map", [], mark, None), event.anchor, None])
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own guard
            raise YamlError(f"nesting is deeper than {MAX_DEPTH} levels", _mark(exc.problem_mark)) from None
        raise YamlError(_syntax_message(exc), _mark(exc.problem_mark) or _mark(exc.context_mark)) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML syntax error: {str(exc).splitlines()[0]}") from None
    finally:
        loader.dispose()
    if root is None:
        raise YamlError("file is empty", Mark(1, 1))
    return root


# ---------------------------------------------------------------- expanding


class _Budget:
    """Counts nodes visited while expanding; aliases count their whole subtree."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, mark: Mark) -> None:
        self.left -= 1
        if self.left < 0:
            raise YamlError(
                f"aliases expand to more than {MAX_NODES:,} YAML nodes "
                "(an alias bomb?); paramlint refuses the file",
                mark,
            )


def _expand(node: _Node, budget: _Budget, mark: Mark | None = None) -> Any:
    """Plain data for ``node``; ``mark`` overrides the container's own mark
    (an alias is reported where it is used)."""
    budget.spend(node.mark)
    if isinstance(node, _Alias):
        return _expand(node.target, budget, mark or node.mark)
    if node.kind == "scalar":
        return node.value
    if node.kind == "seq":
        seq = MarkedSeq(mark or node.mark)
        for item in node.value:
            seq.append(_expand(item, budget))
            seq.item_marks.append(item.mark)
        return seq
    result = MarkedMap(mark or node.mark)
    merged: list[MarkedMap] = []
    for key_node, value_node in node.value:
        key = key_node.value
        if key_node.tag == _MERGE:
            merged.extend(_merge_sources(value_node, budget))
            continue
        if key in result:
            raise YamlError(f"duplicate key '{key}' in a mapping", key_node.mark)
        budget.spend(key_node.mark)
        result[key] = _expand(value_node, budget)
        result.key_marks[key] = key_node.mark
        result.value_marks[key] = value_node.mark
    for source in merged:  # explicit keys win, then earlier merge sources
        for key, value in source.items():
            if key not in result:
                result[key] = value
                result.key_marks[key] = source.key_marks.get(key, source.mark)
                result.value_marks[key] = source.value_marks.get(key, source.mark)
    return result


def _merge_sources(node: _Node, budget: _Budget) -> list[MarkedMap]:
    value = _expand(node, budget)
    sources = value if isinstance(value, MarkedSeq) else [value]
    for index, source in enumerate(sources):
        if not isinstance(source, MarkedMap):
            where = value.mark_of(index) if isinstance(value, MarkedSeq) else node.mark
            raise YamlError("a merge key '<<' takes a mapping or a list of mappings", where)
    return list(sources)


def load_marked(text: str) -> Any:
    """Parse ``text`` into marked plain data (see the module docstring)."""
    return _expand(compose(text), _Budget(MAX_NODES))
