"""The YAML architecture loader: ``load(path) -> Model``.

Reads the file once (source.py), checks the top level, expands blocks and
repeats, resolves ``inputs`` and ``share`` by name, infers every layer's
output shape and weight shapes (layers.py) and builds the IR. Any refusal
is a ``LoadError`` with the file, line and column of the offending node.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from paramlint.ir.model import Layer, LoadError, Location, Model, TensorInfo, Weight
from .fields import Ctx, check_fields, did_you_mean, is_int, show
from .attention import apply_window_pattern
from .layers import BLOCK_FIELDS, COMMON_FIELDS
from .share import borrowed
from .plain import from_plain
from .layer_count import count_layers
from .source import Mark, MarkedMap, MarkedSeq, YamlError, load_marked, read_text
from .types import FORMAT2_ONLY, TYPE_NAMES, TYPES, VERSIONS

#: The newest format version this loader reads (it reads every one in VERSIONS).
FORMAT_VERSION = VERSIONS[-1]
TOP_KEYS = ("paramlint", "name", "input", "inputs", "layers")
#: expanded layers (repeats included) above which a file is refused
MAX_LAYERS = 100_000
#: elements of an input above which a file is refused (as ONNX weights are)
MAX_ELEMENTS = 10**15
INPUT_REF = "@input"
#: fields every format 2 layer may have besides COMMON_FIELDS
FORMAT2_COMMON = ("trainable",)


def load(path: str) -> Model:
    """Load a paramlint YAML architecture file; raises only ``LoadError``."""
    try:
        data = load_marked(read_text(path))
        return _Builder(path).build(data)
    except YamlError as exc:
        mark = exc.mark
        where = Location(path, mark.line, mark.column) if mark else Location(path)
        raise LoadError(exc.message, where) from None
    except (RecursionError, MemoryError):
        raise LoadError("the file is too large or too deeply nested to load", Location(path)) from None


def build(path: str, document: dict, line: int = 1, column: int = 1) -> Model:
    """A format 2 document given as plain data (another loader's), as a Model.

    Errors point at ``path:line:column``, the place in the source file the
    document was read from. Raises only ``LoadError``.
    """
    try:
        return _Builder(path).build(from_plain(document, Mark(line, column)))
    except YamlError as exc:
        raise LoadError(exc.message, Location(path, line, column)) from None


@dataclass
class _Entry:
    """A name visible to later layers: a model input, a layer or a block."""

    kind: str  # "input", "layer" or "block"
    tensor: str  # the tensor a reader gets
    shape: tuple
    op: str = ""
    source_op: str = ""
    weights: list[str] = field(default_factory=list)  # names in Model.weights
    roles: list[tuple[str, tuple]] = field(default_factory=list)  # (role, shape) it needs
    owner: str = ""  # the layer whose weights these are


@dataclass
class _Scope:
    prefix: str
    parent: _Scope | None
    block_input: _Entry | None
    defined: dict[str, _Entry] = field(default_factory=dict)
    later: dict[str, Mark] = field(default_factory=dict)  # declared, not yet defined


def _error(message: str, mark: Mark | None) -> YamlError:
    return YamlError(message, mark)


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.layers: list[Layer] = []
        self.weights: dict[str, Weight] = {}
        self.entries: dict[str, _Entry] = {}  # full layer name -> entry
        self.shapes: dict[str, Any] = {}
        self.tie_stack: list[tuple[str, str]] = []  # (prefix of repeat r, prefix of repeat 0)
        self.repeats: list[int] = []  # the repeat index of each enclosing block (window_pattern)
        self.budget = MAX_LAYERS
        self.version = 1
        self.types = TYPES[1]

    # ------------------------------------------------------------ top level

    def build(self, data: Any) -> Model:
        if not isinstance(data, MarkedMap):
            kind = "a list" if isinstance(data, list) else f"the value {show(data)}"
            raise _error(f"the top level must be a mapping with 'layers', got {kind}", getattr(data, "mark", Mark(1, 1)))
        for key in data:
            if key not in TOP_KEYS:
                hint = did_you_mean(key, list(TOP_KEYS))
                raise _error(f"unknown top-level key '{key}'{hint}", data.key_marks.get(key))
        if "paramlint" in data:
            version = data["paramlint"]
            known = " or ".join(str(v) for v in VERSIONS)
            if not is_int(version):
                raise _error(f"'paramlint' must be the format version ({known}), got {show(version)}",
                             data.mark_of("paramlint"))
            if version not in VERSIONS:
                raise _error(f"unsupported format version {version}: this paramlint reads versions {known}",
                             data.mark_of("paramlint"))
            self.version, self.types = version, TYPES[version]
        name = data.get("name", os.path.splitext(os.path.basename(self.path))[0])
        if not isinstance(name, str) or not name:
            raise _error(f"'name' must be a non-empty string, got {show(name)}", data.mark_of("name"))
        top = _Scope("", None, None)
        inputs = self._inputs(data)
        for input_name, (shape, mark) in inputs.items():
            top.defined[input_name] = _Entry("input", input_name, shape)
            self.shapes[input_name] = shape
        if "layers" not in data:
            raise _error("missing required key 'layers' (a list of layers)", data.mark)
        layers = data["layers"]
        if not isinstance(layers, MarkedSeq) or not layers:
            raise _error(f"'layers' must be a non-empty list of layers, got {show(layers)}", data.mark_of("layers"))
        default = next(iter(top.defined.values())) if len(inputs) == 1 else None
        self._run(layers, top, default, several=list(inputs))
        return Model(
            path=self.path,
            format="yaml",
            name=name,
            inputs=[TensorInfo(n, s) for n, (s, _) in inputs.items()],
            layers=self.layers,
            weights=self.weights,
            batch_dim=False,
            shapes=self.shapes,
        )

    def _inputs(self, data: MarkedMap) -> dict[str, tuple[tuple, Mark]]:
        if "input" in data and "inputs" in data:
            raise _error("give either 'input' or 'inputs', not both", data.key_marks["inputs"])
        if "input" in data:
            return {"input": (self._shape(data["input"], "input", data.mark_of("input")), data.mark_of("input"))}
        if "inputs" not in data:
            raise _error("missing 'input' (a shape like [3, 224, 224]) or 'inputs' (a mapping of names to shapes)",
                         data.mark)
        spec = data["inputs"]
        if not isinstance(spec, MarkedMap) or not spec:
            raise _error(f"'inputs' must be a mapping of input names to shapes, got {show(spec)}", data.mark_of("inputs"))
        result = {}
        for key, value in spec.items():
            self._check_name(key, spec.key_marks[key], "input")
            result[key] = (self._shape(value, f"inputs.{key}", spec.mark_of(key)), spec.mark_of(key))
        return result

    @staticmethod
    def _shape(value: Any, what: str, mark: Mark) -> tuple:
        if not isinstance(value, list) or not value or not all(is_int(v) and v >= 1 for v in value):
            raise _error(f"'{what}' must be a shape, a list of positive integers like [3, 224, 224], "
                         f"got {show(value)}", mark)
        elements = 1
        for v in value:
            elements *= v
            if elements > MAX_ELEMENTS:  # 300 dims of 10^15 would be a 4,500-digit count
                raise _error(f"'{what}' holds more than 10^15 elements: past any real model", mark)
        return tuple(value)

    @staticmethod
    def _check_name(name: Any, mark: Mark, what: str) -> None:
        if not isinstance(name, str) or not name or "." in name or name.startswith("@"):
            raise _error(f"{what} name must be a non-empty string without '.' and not starting with '@', "
                         f"got {show(name)}", mark)

    # --------------------------------------------------------------- lists

    def _declare(self, items: MarkedSeq, scope: _Scope) -> list[tuple[MarkedMap, str, str]]:
        """Check each item's shape, type and name; declare the names."""
        declared = []
        for index, item in enumerate(items):
            mark = items.mark_of(index)
            if not isinstance(item, MarkedMap):
                raise _error(f"layer {index + 1} must be a mapping with a 'type', got {show(item)}", mark)
            if "type" not in item:
                raise _error(f"layer {index + 1} has no 'type'", item.mark)
            kind = item["type"]
            if isinstance(kind, str) and kind in FORMAT2_ONLY and self.version == 1:
                raise _error(f"layer type '{kind}' needs format 2: add 'paramlint: 2' at the top of the file "
                             "(in format 2 a sequence is [T, D], and dense layers and norms act on the last axis)",
                             item.mark_of("type"))
            if not isinstance(kind, str) or kind not in self.types and kind != "block":
                hint = did_you_mean(kind, TYPE_NAMES[self.version])
                raise _error(f"unknown layer type {show(kind)}{hint}", item.mark_of("type"))
            name = item.get("name", f"{kind}_{index + 1}")
            if "name" in item:
                self._check_name(name, item.mark_of("name"), f"{kind} layer")
            if name in scope.later or name in scope.defined:
                first = scope.later.get(name)
                at = f" (first at line {first.line})" if first else " (a model input)"
                raise _error(f"duplicate name '{name}'{at}", item.mark_of("name"))
            scope.later[name] = item.mark_of("name") if "name" in item else item.mark
            declared.append((item, kind, name))
        return declared

    def _run(self, items: MarkedSeq, scope: _Scope, default: _Entry | None, several: list[str] | None = None) -> _Entry:
        previous = default
        for item, kind, name in self._declare(items, scope):
            if previous is None:  # first top-level layer of a multi-input model
                if "inputs" not in item:
                    names = ", ".join(several or [])
                    raise _error(f"{kind} '{name}': the model has several inputs ({names}), "
                                 "so the first layer must name its 'inputs'", item.mark)
            if kind == "block":
                entry = self._block(item, name, scope, previous)
            else:
                entry = self._layer(item, kind, name, scope, previous)
            del scope.later[name]
            scope.defined[name] = entry
            previous = entry
        assert previous is not None
        return previous

    # -------------------------------------------------------------- lookup

    def _lookup(self, ref: Any, scope: _Scope, kind: str, full: str, key: str, mark: Mark) -> _Entry:
        label = f"{kind} '{full}'"
        if not isinstance(ref, str):
            raise _error(f"{label}: field '{key}' must name a layer or an input, got {show(ref)}", mark)
        if ref == INPUT_REF:
            if scope.block_input is None:
                raise _error(f"{label}: \"{INPUT_REF}\" is only valid inside a block", mark)
            return scope.block_input
        visible: list[str] = []
        node: _Scope | None = scope
        while node is not None:
            if ref in node.defined:
                return node.defined[ref]
            if ref in node.later:
                raise _error(f"{label}: '{ref}' is defined later (line {node.later[ref].line}); "
                             "a layer can only read earlier layers", mark)
            visible += list(node.defined)
            node = node.parent
        if scope.block_input is not None:
            visible.append(INPUT_REF)
        raise _error(f"{label}: unknown {'layer' if key == 'share' else 'input'} '{ref}'"
                     f"{did_you_mean(ref, visible)}", mark)

    def _reads(self, item: MarkedMap, kind: str, full: str, scope: _Scope,
               previous: _Entry | None) -> list[_Entry]:
        if "inputs" not in item:
            assert previous is not None
            return [previous]
        refs, mark = item["inputs"], item.mark_of("inputs")
        if isinstance(refs, str):
            return [self._lookup(refs, scope, kind, full, "inputs", mark)]
        if not isinstance(refs, MarkedSeq) or not refs:
            raise _error(f"{kind} '{full}': field 'inputs' must be a layer name or a list of names, "
                         f"got {show(refs)}", mark)
        return [self._lookup(r, scope, kind, full, "inputs", refs.mark_of(i)) for i, r in enumerate(refs)]

    # --------------------------------------------------------------- block

    def _block(self, item: MarkedMap, name: str, scope: _Scope, previous: _Entry | None) -> _Entry:
        full = scope.prefix + name
        label = f"block '{full}'"
        allowed = [k for k in COMMON_FIELDS if k != "share"] + list(BLOCK_FIELDS)
        for key in item:
            if key == "share":
                raise _error(f"{label}: 'share' does not apply to a block; use 'share_repeats', "
                             "or 'share' on its layers", item.key_marks[key])
            if key not in allowed:
                raise _error(f"{label}: unknown field '{key}' for block{did_you_mean(key, allowed)}",
                             item.key_marks[key])
        if "layers" not in item:
            raise _error(f"{label}: missing required field 'layers'", item.mark)
        layers = item["layers"]
        if not isinstance(layers, MarkedSeq) or not layers:
            raise _error(f"{label}: field 'layers' must be a non-empty list of layers, got {show(layers)}",
                         item.mark_of("layers"))
        repeat = item.get("repeat", 1)
        if not is_int(repeat) or repeat < 1:
            raise _error(f"{label}: field 'repeat' must be a positive integer, got {show(repeat)}",
                         item.mark_of("repeat"))
        tied = item.get("share_repeats", False)
        if not isinstance(tied, bool):
            raise _error(f"{label}: field 'share_repeats' must be true or false, got {show(tied)}",
                         item.mark_of("share_repeats"))
        size = count_layers(layers) * repeat
        if size > self.budget:
            raise _error(f"{label}: expands to {size:,} layers; paramlint refuses files of more than "
                         f"{MAX_LAYERS:,} layers", item.mark_of("repeat"))
        reads = self._reads(item, "block", full, scope, previous)
        if len(reads) != 1:
            raise _error(f"{label}: a block reads one input, got {len(reads)}", item.mark_of("inputs"))
        current = reads[0]
        for r in range(repeat):
            prefix = f"{full}.{r}."
            pushed = tied and r > 0
            if pushed:
                self.tie_stack.append((prefix, f"{full}.0."))
            self.repeats.append(r)
            current = self._run(layers, _Scope(prefix, scope, current), current)
            self.repeats.pop()
            if pushed:
                self.tie_stack.pop()
        return _Entry("block", current.tensor, current.shape)

    # --------------------------------------------------------------- layer

    def _layer(self, item: MarkedMap, kind: str, name: str, scope: _Scope, previous: _Entry | None) -> _Entry:
        full = scope.prefix + name
        self.budget -= 1
        if self.budget < 0:
            raise _error(f"the file expands to more than {MAX_LAYERS:,} layers", item.mark)
        ltype = self.types[kind]
        reads = self._reads(item, kind, full, scope, previous)
        ctx = Ctx(kind, full, item, [r.shape for r in reads])
        if len(reads) < ltype.min_inputs:
            raise ctx.error(f"needs at least {ltype.min_inputs} inputs, got {len(reads)}", "inputs")
        if ltype.max_inputs is not None and len(reads) > ltype.max_inputs:
            raise ctx.error(f"reads one input, got {len(reads)}", "inputs")
        ctx.values = check_fields(ctx, ltype.fields, COMMON_FIELDS + FORMAT2_COMMON[: self.version - 1])
        frozen = self._frozen(item, ctx)
        result = ltype.infer(ctx)
        if frozen:  # trainable: false (a frozen table: Whisper's sinusoidal positions)
            result.weights = [(role, shape, False) for role, shape, _ in result.weights]
        roles = [(role, tuple(shape)) for role, shape, _ in result.weights]
        attrs = {**ctx.values, **result.attrs}
        if attrs.get("window_pattern"):
            apply_window_pattern(attrs, self.repeats[-1] if self.repeats else 0)
        owner, lent = self._owner(item, ctx, scope, ltype.op, roles)
        owner_name = full
        if owner is not None:
            owner_name = owner.owner
            attrs["shared_from"] = owner_name
        weight_names = []
        for role, shape, trainable in result.weights:
            wname = lent.get(role)
            if wname is None:
                wname = f"{full}.{role}"
                self.weights[wname] = Weight(wname, tuple(shape), trainable=trainable, uniform=False,
                                             dtype="float32")
            weight_names.append(wname)
        if "routed_roles" in attrs:  # a moe: which of its tensors one token uses top_k of
            by_role = dict(zip((r for r, _ in roles), weight_names))
            attrs["routed_weights"] = [by_role[r] for r in attrs.pop("routed_roles")]
        mark = item.mark
        self.layers.append(Layer(
            name=full, op=ltype.op, source_op=kind,
            inputs=[r.tensor for r in reads], outputs=[full],
            input_shape=reads[0].shape, output_shape=result.output_shape,
            weights=list(weight_names), attrs=attrs,
            location=Location(self.path, mark.line, mark.column), module=full,
        ))
        self.shapes[full] = result.output_shape
        entry = _Entry("layer", full, result.output_shape, ltype.op, kind, list(weight_names), roles, owner_name)
        self.entries[full] = entry
        return entry

    @staticmethod
    def _frozen(item: MarkedMap, ctx: Ctx) -> bool:
        """``trainable: false``: the layer's weights are stored, not trained."""
        if "trainable" not in item:
            return False
        value = item["trainable"]
        if not isinstance(value, bool):
            raise ctx.bad("trainable", "true or false", value)
        return not value

    def _owner(self, item: MarkedMap, ctx: Ctx, scope: _Scope, op: str,
               roles: list[tuple[str, tuple]]) -> tuple[_Entry | None, dict[str, str]]:
        """The entry whose weights this layer reads (``share`` or ``share_repeats``),
        and which of its roles it borrows, by weight name."""
        if "share" in item:
            mark = item.mark_of("share")
            owner = self._lookup(item["share"], scope, ctx.kind, ctx.name, "share", mark)
            if owner.kind != "layer":
                raise ctx.error(f"cannot share '{item['share']}': it is {'a block' if owner.kind == 'block' else 'a model input'}, "
                                "not a layer", "share")
            return owner, borrowed(ctx, owner, op, roles, mark)
        if self.tie_stack:
            prefix, first = self.tie_stack[0]
            twin = self.entries.get(first + ctx.name[len(prefix):])
            if twin is not None:
                lent = borrowed(ctx, twin, op, roles, ctx.spec.mark, repeat=True)
                return (twin, lent) if twin.weights else (None, {})
        return None, {}


__all__ = ["build", "load", "FORMAT_VERSION", "MAX_LAYERS"]
