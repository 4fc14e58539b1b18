"""The Keras model-config loader: ``load(path) -> Model``.

Reads what ``model.to_json()`` writes (Keras 3, and Keras 2 / tf.keras)
or the ``config.json`` of a ``.keras`` archive, and rebuilds the layer
graph as Keras's ``from_config`` would, without Keras: Functional models
through their ``inbound_nodes``, Sequential models as a chain, nested
models in place. A layer called on several inputs gives one IR layer per
call, all reading the same weights: a tie, counted once. Shapes keep the
batch dimension (``batch``) and Keras's channels_last layout, as
``model.summary()`` prints them. Choices and departures: docs/keras.md.
The JSON's pieces (specs, shapes, references, inbound nodes) are read by
serialized.py; this module builds the graph from them.
"""

from __future__ import annotations

import os
from typing import Any

from paramlint.ir.model import UNMODELLED, Diagnostic, Layer, LoadError, Location, Model, TensorInfo, Weight
from .claim import MODEL_CLASSES
from .layers import CLASSES, Out, UnknownDim
from .serialized import BATCH, _batch, _batchless, _dtype, _node, _refs, _spec
from .shaping import activation_name, activation_op
from .source import Locator, read_config

MAX_LAYERS = 100_000
MAX_DEPTH = 50


def load(path: str) -> Model:
    """Load a Keras model config (``.json`` or ``.keras``); raises only ``LoadError``."""
    data, text = read_config(path)
    builder = _Builder(path, Locator(text, path))
    try:
        return builder.build(data)
    except RecursionError:
        raise LoadError("models nested too deeply to read", Location(path)) from None


class _Scope:
    """Where a model's layers live: name prefixes for layers and for weights."""

    def __init__(self, layers: str, weights: str, trainable: bool, depth: int) -> None:
        self.layers = layers
        self.weights = weights
        self.trainable = trainable
        self.depth = depth


class _Builder:
    def __init__(self, path: str, locate: Locator) -> None:
        self.path = path
        self.locate = locate
        self.layers: list[Layer] = []
        self.weights: dict[str, Weight] = {}
        self.shapes: dict[str, Any] = {}
        self.diagnostics: list[Diagnostic] = []
        #: layer -> why its figures are unknown (its diagnostic's message)
        self.unknown_why: dict[str, str] = {}
        self.names: dict[str, int] = {}

    def fail(self, message: str, name: str | None = None) -> LoadError:
        return LoadError(message, self.locate(name) if name else Location(self.path))

    # ------------------------------------------------------------ top level

    def build(self, data: Any) -> Model:
        try:
            cls, config = _spec(data)
        except ValueError:
            raise self.fail("not a Keras model config: the top level needs 'class_name' and 'config'") from None
        if cls not in MODEL_CLASSES:
            raise self.fail(f"not a Keras model config: class_name is {cls!r}, expected one of "
                            f"{', '.join(MODEL_CLASSES)}")
        name = config.get("name") if isinstance(config.get("name"), str) else \
            os.path.splitext(os.path.basename(self.path))[0]
        root = _Scope("", "", config.get("trainable", True) is not False, 0)
        inputs: list[TensorInfo] = []
        self._model(cls, config, root, None, inputs, data)
        for tensor in inputs:
            self.shapes[tensor.name] = tensor.shape
        return Model(path=self.path, format="keras", name=name, inputs=inputs, layers=self.layers,
                     weights=self.weights, batch_dim=True, diagnostics=self.diagnostics, shapes=self.shapes)

    def _model(self, cls: str, config: dict, scope: _Scope, args: list[str] | None,
               inputs: list[TensorInfo], data: dict) -> list[str]:
        """Build one model's layers; ``args`` are the tensors it is called on (None: top level)."""
        if scope.depth > MAX_DEPTH:
            raise self.fail(f"models nested more than {MAX_DEPTH} deep")
        layers = config.get("layers")
        if not isinstance(layers, list):
            raise self.fail(f"{cls} '{config.get('name', '?')}': 'layers' must be a list", config.get("name"))
        if cls == "Sequential" or not any(isinstance(x, dict) and "inbound_nodes" in x for x in layers):
            return self._sequential(config, layers, scope, args, inputs, data)
        return self._functional(config, layers, scope, args, inputs)

    # ----------------------------------------------------------- Sequential

    def _sequential(self, config: dict, layers: list, scope: _Scope, args: list[str] | None,
                    inputs: list[TensorInfo], data: dict) -> list[str]:
        specs = []
        for item in layers:
            try:
                specs.append(_spec(item))
            except ValueError as exc:
                raise self.fail(f"Sequential '{config.get('name', '?')}': a layer entry is malformed: {exc}",
                                config.get("name")) from None
        if args is None:
            shape = None
            if specs and specs[0][0] == "InputLayer":
                c = specs[0][1]
                shape = _batchless(c.get("batch_shape") or c.get("batch_input_shape"))
            elif specs:
                c = specs[0][1]
                shape = _batchless(c.get("batch_shape") or c.get("batch_input_shape"))
            if shape is None:
                build = config.get("build_input_shape") or (data.get("build_config") or {}).get("input_shape")
                shape = _batchless(build)
            if shape is None:
                raise self.fail(f"Sequential '{config.get('name', '?')}' does not say its input shape "
                                "(no InputLayer, batch_input_shape or build_input_shape)", config.get("name"))
            name = specs[0][1].get("name") if specs and specs[0][0] == "InputLayer" else "input"
            tensor = f"{scope.layers}{name}"
            self.shapes[tensor] = (BATCH, *shape)
            inputs.append(TensorInfo(tensor, (BATCH, *shape)))
            current = [tensor]
        else:
            current = args
        for cls, cfg in specs:
            if cls == "InputLayer":
                continue
            current = self._call(cls, cfg, {}, scope, current, 0, inputs)
        return current

    # ----------------------------------------------------------- Functional

    def _functional(self, config: dict, layers: list, scope: _Scope, args: list[str] | None,
                    inputs: list[TensorInfo]) -> list[str]:
        tensors: dict[tuple[str, int, int], str] = {}
        recorded: dict[tuple[str, int, int], Any] = {}
        model_name = config.get("name") if isinstance(config.get("name"), str) else "?"
        try:
            input_names = [ref[0] for ref in _refs(config.get("input_layers"))]
            output_refs = _refs(config.get("output_layers"))
        except ValueError as exc:
            raise self.fail(f"model '{model_name}': input_layers/output_layers: {exc}", model_name) from None
        pending = []
        for item in layers:
            try:
                cls, cfg = _spec(item)
            except ValueError as exc:
                raise self.fail(f"model '{config.get('name', '?')}': a layer entry is malformed: {exc}",
                                config.get("name")) from None
            name = item.get("name") or cfg.get("name")
            if not isinstance(name, str):
                raise self.fail("a layer has no name", config.get("name"))
            if cls == "InputLayer":
                if args is None:
                    shape = _batchless(cfg.get("batch_shape") or cfg.get("batch_input_shape"))
                    tensor = f"{scope.layers}{name}"
                    full = (BATCH, *shape) if shape is not None else None
                    self.shapes[tensor] = full
                    inputs.append(TensorInfo(tensor, full))
                    tensors[(name, 0, 0)] = tensor
                continue
            for index, node in enumerate(item.get("inbound_nodes") or []):
                try:
                    refs, kwargs = _node(node)
                except ValueError as exc:
                    raise self.fail(f"layer '{name}': {exc}", name) from None
                for ref, shape in refs:
                    recorded.setdefault(ref, shape)
                pending.append((cls, cfg, item, name, index, [r for r, _ in refs], kwargs))
        if args is not None:
            if len(args) != len(input_names):
                raise self.fail(f"model '{config.get('name', '?')}' takes {len(input_names)} inputs, "
                                f"called on {len(args)}", config.get("name"))
            for name, tensor in zip(input_names, args):
                tensors[(name, 0, 0)] = tensor
        # Calls run when their inputs exist; Keras lists layers in model.layers
        # order, which is not always that, so each call's layers are put back
        # in list order afterwards, as model.summary() shows them.
        start = len(self.layers)
        spans: dict[int, list[Layer]] = {}
        order = list(range(len(pending)))
        while order:
            left = []
            for i in order:
                cls, cfg, item, name, index, refs, kwargs = pending[i]
                if not all(r in tensors for r in refs):
                    left.append(i)
                    continue
                before = len(self.layers)
                outs = self._call(cls, cfg, item, scope, [tensors[r] for r in refs], index, inputs,
                                  [recorded.get((name, index, t)) for t in range(8)])
                for t, out in enumerate(outs):
                    tensors[(name, index, t)] = out
                spans[i] = self.layers[before:]
            if len(left) == len(order):
                cls, cfg, item, name, index, refs, _ = pending[left[0]]
                missing = next(r for r in refs if r not in tensors)
                raise self.fail(f"layer '{name}' reads '{missing[0]}' (node {missing[1]}), which no layer "
                                "of the model produces", name)
            order = left
        self.layers[start:] = [layer for i in sorted(spans) for layer in spans[i]]
        outputs = []
        for ref in output_refs:
            if ref not in tensors:
                raise self.fail(f"model output '{ref[0]}' is not produced by any layer", ref[0])
            outputs.append(tensors[ref])
        return outputs

    # ---------------------------------------------------------------- calls

    def _call(self, cls: str, cfg: dict, item: dict, scope: _Scope, args: list[str], node: int,
              inputs: list[TensorInfo], recorded: list | None = None) -> list[str]:
        name = next((n for n in (cfg.get("name"), item.get("name")) if isinstance(n, str) and n), cls.lower())
        trainable = scope.trainable and cfg.get("trainable", True) is not False
        if cls in MODEL_CLASSES:
            suffix = "" if node == 0 else f"#{node + 1}"
            inner = _Scope(f"{scope.layers}{name}{suffix}/", f"{scope.weights}{name}/", trainable, scope.depth + 1)
            return self._model(cls, cfg, inner, args, inputs, item)
        if len(self.layers) >= MAX_LAYERS:
            raise self.fail(f"the model has more than {MAX_LAYERS:,} layers", name)
        base = f"{scope.layers}{name}" + ("" if node == 0 else f"#{node + 1}")
        count = self.names.get(base, 0) + 1
        self.names[base] = count
        lname = base if count == 1 else f"{base}#{count}"
        in_shapes = [self.shapes.get(a) for a in args]
        out = None
        module = item.get("module") if isinstance(item.get("module"), str) else ""
        operation = module.startswith(("keras.src.ops", "keras.ops"))  # x + y on tensors: never weights
        source_op = f"ops.{cls}" if operation else cls
        if operation and cls not in CLASSES:
            if not recorded or _batch(recorded[0]) is None:
                self.diag(f"Keras operation '{cls}' ('{lname}') is not modelled by paramlint yet: its "
                          f"output shape and MACs are unknown", lname, UNMODELLED)
        elif cls == "TimeDistributed":
            out = self._time_distributed(cfg, in_shapes, lname)
        elif cls in CLASSES:
            out = self._infer(cls, cfg, in_shapes, lname)
        else:
            self.diag(f"Keras layer class '{cls}' ('{lname}') is not modelled by paramlint yet: its "
                      f"parameters and MACs are unknown", lname, UNMODELLED)
        if out is None:
            shapes = []  # what Keras recorded where the outputs are read (Keras 3)
            for shape in recorded or []:
                if _batch(shape) is None:
                    break
                shapes.append(_batch(shape))
            why = f"{cls} is not known to paramlint"
            # An operation holds no weights; a layer paramlint could not size
            # has parameters nobody knows (counting.md, "Unknown stays unknown").
            attrs = {"macs_unknown": why} if not operation else \
                {} if shapes else {"macs_unknown": why}
            if not operation:
                attrs["params_unknown"] = self.unknown_why.get(lname, why)
            out = Out(shapes or [None], [], attrs, cls.lower())
        else:
            out.shapes = [(BATCH, *s) for s in out.shapes]
        weight_names = []
        for var, shape, learn in out.weights:
            wname = f"{scope.weights}{name}/{var}"
            known = self.weights.get(wname)
            if known is not None and known.shape != tuple(shape):
                raise self.fail(f"layer '{lname}' is called again on an input that needs {var} of shape "
                                f"{list(shape)}, not {list(known.shape)}", name)
            if known is None:
                self.weights[wname] = Weight(wname, tuple(shape), trainable=learn and trainable,
                                             uniform=False, dtype=_dtype(cfg))
            weight_names.append(wname)
        outs = [lname] if len(out.shapes) == 1 else [f"{lname}:{i}" for i in range(len(out.shapes))]
        for tensor, shape in zip(outs, out.shapes):
            self.shapes[tensor] = shape
        attrs = dict(out.attrs)
        module = f"{scope.weights}{name}".replace("/", ".")
        location = self.locate(name)
        self.layers.append(Layer(
            name=lname, op=out.op, source_op=source_op, inputs=list(args), outputs=outs,
            input_shape=in_shapes[0] if in_shapes else None, output_shape=out.shapes[0],
            weights=weight_names, attrs=attrs, location=location, module=module))
        fused = attrs.get("activation") if cls != "Activation" else None
        if fused and len(outs) == 1:  # Conv2D(activation="relu"): the graph shows the ReLU
            act = f"{lname}/activation"
            self.shapes[act] = out.shapes[0]
            self.layers.append(Layer(
                name=act, op=activation_op(activation_name(fused)), source_op="activation",
                inputs=outs, outputs=[act], input_shape=out.shapes[0], output_shape=out.shapes[0],
                attrs={"activation": activation_name(fused), "channels_last": attrs.get("channels_last")},
                location=location, module=module))
            return [act]
        return outs

    def _infer(self, cls: str, cfg: dict, shapes: list, lname: str) -> Out | None:
        if any(s is None for s in shapes):
            self.diag(f"{cls} '{lname}': its input shape is unknown, so its parameters are not counted", lname)
            return None
        try:
            return CLASSES[cls](cfg, [tuple(s[1:]) for s in shapes])
        except UnknownDim as exc:
            self.diag(f"{cls} '{lname}': {exc}", lname)
            return None
        except (ValueError, KeyError, TypeError, IndexError, ZeroDivisionError) as exc:
            detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise self.fail(f"{cls} '{lname}': cannot read its config: {detail}", cfg.get("name")) from None

    def _time_distributed(self, cfg: dict, shapes: list, lname: str) -> Out | None:
        try:
            cls, icfg = _spec(cfg.get("layer"))
        except ValueError:
            raise self.fail(f"TimeDistributed '{lname}' has no readable 'layer'", cfg.get("name")) from None
        if cls not in CLASSES:
            self.diag(f"TimeDistributed '{lname}' wraps {cls!r}, which paramlint does not model yet: "
                      f"its parameters and MACs are unknown", lname, UNMODELLED)
            return None
        if not shapes or shapes[0] is None or len(shapes[0]) < 3:
            self.diag(f"TimeDistributed '{lname}' wraps {cls!r} on an input paramlint cannot size", lname)
            return None
        step = (BATCH, *shapes[0][2:])
        out = self._infer(cls, icfg, [step], lname)
        if out is None:
            return None
        t = shapes[0][1]
        out.shapes = [(t, *s) for s in out.shapes]
        return out

    def diag(self, message: str, layer: str, kind: str = "unknown-layer") -> None:
        """``kind``: ``"unmodelled"`` for what paramlint does not model (PRM003),
        else a size the file leaves open (PRM002)."""
        self.unknown_why.setdefault(layer, message)
        self.diagnostics.append(Diagnostic(kind, message, layer=layer,
                                           location=self.locate(layer.split("/")[-1].split("#")[0])))
