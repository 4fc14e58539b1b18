"""The Ultralytics model-YAML loader: ``load(path) -> Model``.

Reads ``yolov8.yaml``-style files (``backbone`` and ``head`` lists of
``[from, repeats, module, args]`` rows) the way Ultralytics' ``parse_model``
does, without importing it or torch: the scale from the file name, depth and
width multipliers, ``max_channels``, then every module expanded into layers
(modules.py). The input is 3x640x640, Ultralytics' default. Choices and
departures: docs/ultralytics.md.
"""

from __future__ import annotations

import ast
import math
import os
import re
from typing import Any

from paramlint.ir.model import UNMODELLED, Diagnostic, LoadError, Location, Model, TensorInfo
from . import modules as M
from .channels import recorded
from .claim import scale_from_name, unified_path
from .graph import Graph
from paramlint.loaders.yaml.source import Mark, MarkedMap, MarkedSeq, YamlError, load_marked, read_text

IMGSZ = 640
MAX_ROWS = 1_000
MAX_LAYERS = 100_000
MAX_REPEATS = 1_000
#: modules whose args[0] is the output channel count, scaled by width
BASE = {"Conv", "DWConv", "Bottleneck", "C2f", "C3k2", "C3", "C3k", "SPPF", "C2PSA"}
#: modules that take the repeat count as their third argument
REPEATS = {"C2f", "C3k2", "C3", "C3k", "C2PSA"}
ACTIVATIONS = {"SiLU": "silu", "ReLU": "relu", "LeakyReLU": "leaky_relu", "Hardswish": "hardswish",
               "GELU": "gelu", "Mish": "mish", "ReLU6": "relu6", "Sigmoid": "sigmoid", "Tanh": "tanh"}


def load(path: str, scale: str | None = None) -> Model:
    """Load an Ultralytics model YAML; ``yolov8n.yaml`` may name ``yolov8.yaml`` + scale n.

    Raises only ``LoadError``.
    """
    source = path
    if not os.path.exists(path) and os.path.exists(unified_path(path)):
        source = unified_path(path)
    try:
        data = load_marked(read_text(source))
        return _Builder(path, source, scale if scale is not None else scale_from_name(path)).build(data)
    except YamlError as exc:
        mark = exc.mark
        raise LoadError(exc.message, Location(path, mark.line, mark.column) if mark else Location(path)) from None
    except RecursionError:
        raise LoadError("the file is too deeply nested to load", Location(path)) from None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def make_divisible(x: float, divisor: int = 8) -> int:
    return math.ceil(x / divisor) * divisor


class _Builder:
    def __init__(self, path: str, source: str, scale: str | None) -> None:
        self.path = path
        self.source = source
        self.scale = scale
        self.graph = Graph(path)
        self.diagnostics: list[Diagnostic] = []

    def fail(self, message: str, mark: Mark | None) -> YamlError:
        return YamlError(message, mark)

    # ------------------------------------------------------------ top level

    def build(self, data: Any) -> Model:
        if not isinstance(data, MarkedMap) or not isinstance(data.get("backbone"), list) \
                or not isinstance(data.get("head"), list):
            mark = data.mark if isinstance(data, (MarkedMap, MarkedSeq)) else Mark(1, 1)
            raise self.fail("an Ultralytics model YAML needs 'backbone' and 'head' lists of "
                            "[from, repeats, module, args] rows", mark)
        self.nc = self._number(data, "nc", 80, int)
        self.reg_max = self._number(data, "reg_max", 16, int)
        self.end2end = bool(data.get("end2end") or False)
        depth = self._number(data, "depth_multiple", 1.0, float)
        width = self._number(data, "width_multiple", 1.0, float)
        max_channels = math.inf
        scales = data.get("scales")
        chosen = self.scale or data.get("scale") or None
        if scales:
            if not isinstance(scales, MarkedMap):
                raise self.fail(f"'scales' must map scale letters to [depth, width, max_channels], "
                                f"got {_show(scales)}", data.mark_of("scales"))
            if not chosen:
                chosen = next(iter(scales))
            if chosen not in scales:
                how = "from the file name" if self.scale else "from 'scale'"
                raise self.fail(f"scale '{chosen}' ({how}) is not in 'scales' ({', '.join(map(str, scales))})",
                                data.mark_of("scales"))
            row = scales[chosen]
            if not (isinstance(row, list) and len(row) == 3
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in row)):
                raise self.fail(f"scales.{chosen} must be [depth, width, max_channels], three positive "
                                f"numbers, got {_show(row)}", scales.mark_of(chosen))
            depth, width, max_channels = row
        self.scale_used = chosen if scales else None
        self.depth, self.width, self.max_channels = depth, width, max_channels
        self.act = self._activation(data)
        channels = self._number(data, "channels", 3, int)

        rows: list[tuple[Any, Mark]] = []
        for key in ("backbone", "head"):
            seq = data[key]
            rows += [(item, seq.mark_of(i)) for i, item in enumerate(seq)]
        if not rows:
            raise self.fail("'backbone' and 'head' hold no rows", data.mark)
        if len(rows) > MAX_ROWS:
            raise self.fail(f"{len(rows):,} rows; paramlint refuses more than {MAX_ROWS:,}", data.mark)

        g = self.graph
        g.shapes["images"] = (channels, IMGSZ, IMGSZ)
        self.legacy = True
        outs: list[str] = []
        #: the channels parse_model records per row (its ``ch``), the image's before row 0
        self.ch: list[int | None] = [channels]
        for i, (row, mark) in enumerate(rows):
            g.location = Location(self.path, mark.line, mark.column)
            outs.append(self._row(i, row, mark, outs))
            if i == 0:
                self.ch = []
            shape = g.shapes[outs[-1]]
            self.ch.append(shape[0] if shape else None)
            if len(g.layers) > MAX_LAYERS:
                raise self.fail(f"the model expands to more than {MAX_LAYERS:,} layers", mark)
        name = os.path.splitext(os.path.basename(self.path))[0]
        if self.scale_used and not self.scale:  # "yolov8" read at scale n is YOLOv8n
            name += self.scale_used
        return Model(path=self.path, format="ultralytics", name=name,
                     inputs=[TensorInfo("images", g.shapes["images"])], layers=g.layers,
                     weights=g.weights, batch_dim=False, diagnostics=self.diagnostics, shapes=g.shapes)

    def _number(self, data: MarkedMap, key: str, default: Any, kind: type) -> Any:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
                or (kind is int and not isinstance(value, int)):
            what = "a positive integer" if kind is int else "a positive number"
            raise self.fail(f"'{key}' must be {what}, got {_show(value)}", data.mark_of(key))
        return value

    def _activation(self, data: MarkedMap) -> str:
        act = data.get("activation")
        if act is None:
            return "silu"
        found = re.match(r"^(?:torch\.)?(?:nn\.)?(\w+)", str(act))
        return ACTIVATIONS.get(found.group(1), found.group(1).lower()) if found else "activation"

    # ----------------------------------------------------------------- rows

    def _row(self, i: int, row: Any, mark: Mark, outs: list[str]) -> str:
        if not isinstance(row, MarkedSeq) or len(row) != 4:
            raise self.fail(f"row {i} must be [from, repeats, module, args], got {_show(row)}", mark)
        f, n, m, args = row
        if not isinstance(m, str) or not m:
            raise self.fail(f"row {i}: the module must be a name like Conv or C2f, got {_show(m)}", row.mark_of(2))
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_REPEATS:
            raise self.fail(f"row {i} ({m}): repeats must be an integer from 1 to {MAX_REPEATS:,}, "
                            f"got {_show(n)}", row.mark_of(1))
        if not isinstance(args, list):
            raise self.fail(f"row {i} ({m}): args must be a list, got {_show(args)}", row.mark_of(3))
        sources = self._sources(i, f, m, row.mark_of(0), outs)
        args = [self._arg(a) for a in args]
        p = f"model.{i}"
        name = m[3:] if m.startswith("nn.") else m
        n = max(round(n * self.depth), 1) if n > 1 else n  # depth gain, as parse_model
        try:
            blocked = self._blocked(name, sources)
            if blocked is not None:
                return self._unknown(p, m, sources, row, f, args, because=blocked)
            return self._expand(p, name, m, sources, n, args, row)
        except YamlError:
            raise
        except (TypeError, ValueError, ZeroDivisionError, IndexError, KeyError, AssertionError) as exc:
            detail = str(exc) or type(exc).__name__
            raise self.fail(f"row {i} ({m}): cannot build it from args {_show(list(row[3]))}: {detail}",
                            row.mark_of(3)) from None

    def _sources(self, i: int, f: Any, m: str, mark: Mark, outs: list[str]) -> list[str]:
        refs = f if isinstance(f, list) else [f]
        if not refs or any(isinstance(r, bool) or not isinstance(r, int) for r in refs):
            raise self.fail(f"row {i} ({m}): 'from' must be a row index or a list of them, got {_show(f)}", mark)
        if i == 0:
            if refs != [-1]:
                raise self.fail(f"row 0 ({m}): the first row reads the image, 'from' must be -1, got {_show(f)}", mark)
            return ["images"]
        found = []
        for r in refs:
            if not -i <= r < i:
                raise self.fail(f"row {i} ({m}): 'from' {r} is not an earlier row (0 to {i - 1}, or -1 to -{i})", mark)
            found.append(outs[r])
        return found

    def _arg(self, a: Any) -> Any:
        """Strings as parse_model reads them: a top-level name (``nc``) or a Python literal."""
        if not isinstance(a, str):
            return a
        names = {"nc": self.nc, "reg_max": self.reg_max, "end2end": self.end2end}
        if a in names:
            return names[a]
        if len(a) <= 100:
            try:
                return ast.literal_eval(a)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                pass
        return a

    def _channels(self, c2: Any) -> int:
        if isinstance(c2, bool) or not isinstance(c2, (int, float)) or c2 <= 0:
            raise ValueError(f"the output channels (args[0]) must be a positive number, got {_show(c2)}")
        if c2 == self.nc:  # parse_model: "if c2 != nc (e.g., Classify() output)"
            return c2
        return make_divisible(min(c2, self.max_channels) * self.width, 8)

    def _scaled(self, c2: Any) -> int:
        return make_divisible(min(c2, self.max_channels) * self.width, 8)

    def _blocked(self, name: str, xs: list[str]) -> str | None:
        """Why a module paramlint models cannot be built here: an input's
        channels are unknown (it reads what an unmodelled module made), so
        its parameters would be a guess. None when it can be built."""
        if name in ("Concat", "Upsample", "Identity"):
            return None  # no parameters; they carry an unknown size through as unknown
        for x in xs:
            shape = self.graph.shapes[x]
            if shape is None or shape[0] is None:
                producer = next((layer for layer in reversed(self.graph.layers) if x in layer.outputs), None)
                where = f" ({producer.module or producer.name})" if producer is not None else ""
                return f"its input channels are unknown: it reads{where} what a module paramlint does not model made"
        return None

    def _expand(self, p: str, name: str, m: str, xs: list[str], n: int, args: list, row: MarkedSeq) -> str:
        g = self.graph
        x = xs[0]
        if name in BASE:
            if len(xs) != 1:
                raise ValueError(f"{m} reads one input, 'from' names {len(xs)}")
            c1 = g.shapes[x][0]
            args = [c1, self._channels(args[0]), *args[1:]]
            if name in REPEATS:
                args.insert(2, n)
                n = 1
            if name == "C3k2":
                self.legacy = False
                if self.scale_used in ("m", "l", "x"):
                    args[3:4] = [True]
            return self._repeat(p, n, x, lambda q, t: self._base(name, q, t, args[1:]))
        if name == "Concat":
            dim = args[0] if args else 1
            if not isinstance(dim, int) or dim != 1:
                raise ValueError("paramlint reads Concat along the channels (dimension 1) only")
            return g.concat(p, xs, p, 0)
        if name == "Upsample":
            factor = args[1] if len(args) > 1 else None
            if not isinstance(factor, int) or isinstance(factor, bool) or factor < 1:
                raise ValueError(f"nn.Upsample needs an integer scale_factor as args[1], got {_show(factor)}")
            return self._repeat(p, n, x, lambda q, t: g.upsample(q, t, factor))
        if name == "Identity":
            return self._repeat(p, n, x, lambda q, t: g.unary(q, "identity", "Identity", t))
        if name == "Detect":
            nc = args[0] if args else self.nc
            return M.detect(g, p, xs, nc, self.reg_max, self.end2end, self.legacy)
        return self._unknown(p, m, xs, row, row[0], args)

    @staticmethod
    def _repeat(p: str, n: int, x: str, make) -> str:
        """A non-repeat module with repeats > 1 is an nn.Sequential of n copies."""
        if n == 1:
            return make(p, x)
        for j in range(n):
            x = make(f"{p}.{j}", x)
        return x

    def _base(self, name: str, p: str, x: str, a: list) -> str:
        g = self.graph
        if name == "Conv":
            return M.conv(g, p, x, *a)
        if name == "DWConv":
            return M.dwconv(g, p, x, *a)
        if name == "Bottleneck":
            return M.bottleneck(g, p, x, *a)
        if name == "C2f":
            return M.c2f(g, p, x, *a)
        if name == "C3k2":
            return M.c3k2(g, p, x, *a)
        if name in ("C3", "C3k"):
            return M.c3(g, p, x, *a) if name == "C3" else M.c3(g, p, x, *a[:5], k=(a[5], a[5]) if len(a) > 5 else (3, 3))
        if name == "SPPF":
            return M.sppf(g, p, x, *a, legacy_act=len(a) <= 2)
        if name == "C2PSA":
            return M.c2psa(g, p, x, *a)
        raise AssertionError(name)

    def _unknown(self, p: str, m: str, xs: list[str], row: MarkedSeq, f: Any = None, args: list | None = None,
                 because: str | None = None) -> str:
        """A module paramlint does not model, or one it cannot build here
        (``because``): its parameters, MACs and output size are unknown,
        never its input's. Its output channels are what parse_model records
        (channels.py), so the rows after it are built with the c1
        Ultralytics gives them; its spatial size is unknown."""
        g = self.graph
        name = m[3:] if m.startswith("nn.") else m
        c2 = recorded(name, f, list(args or []), self.ch, self.nc, self._scaled)
        why = because or f"module {m} is not modelled by paramlint"
        shape = None if c2 is None else (c2, None, None)
        out = g.add(p, "unknown", m, xs, shape, p, attrs={
            "args": _show(list(row[3])), "macs_unknown": why, "params_unknown": why,
            **({} if because else {"unmodelled": f"Ultralytics module {m}"})})[0]
        if because is None:
            channels = "its output channels are unknown" if c2 is None else \
                f"its output has the {c2} channels Ultralytics records for it and an unknown size"
            self.diagnostics.append(Diagnostic(
                UNMODELLED,
                f"{p}: Ultralytics module '{m}' is not modelled by paramlint yet: its parameters and "
                f"MACs are unknown, and {channels}; every total that depends on it is partial",
                layer=p, location=g.location))
        return out
