"""The per-op MAC formulas of the table in paramlint.analysis.macs: one
function per kind of layer (convolutions, dense, matmul, einsum, recurrent,
and YAML's attention/mlp/moe blocks), each ``(layer, model) -> (macs or
None, why it is None)``, and the shape helpers they share.

Apart from the pass itself (macs.py: the op table and ``compute``) so that
the arithmetic of each op is read, and extended, in one place.
"""

from __future__ import annotations

from paramlint.ir.model import Layer, Model, format_shape

#: (macs or None, why it is None)
Result = tuple

CONV = frozenset({"conv1d", "conv2d", "conv3d", "depthwise_conv2d", "locally_connected2d", "conv"})
CONV_T = frozenset({"conv1d_transpose", "conv2d_transpose", "conv3d_transpose", "conv_transpose"})
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def _batch(dim) -> int | None:
    """The batch dimension's factor: symbolic or unknown counts as 1."""
    return dim if isinstance(dim, int) else 1


def _elements(shape, batch_dim: bool) -> int | None:
    """Elements of a tensor, its leading batch dimension counted as 1 when
    symbolic; None when another dimension is not a known int."""
    if shape is None:
        return None
    n = 1
    for i, d in enumerate(shape):
        if isinstance(d, int):
            n *= d
        elif i == 0 and batch_dim:
            continue
        else:
            return None
    return n


def _map(shape, batch_dim: bool, channels_last: bool):
    """(batch, channels, spatial elements) of a feature map, or None."""
    if shape is None:
        return None
    dims = tuple(shape)
    batch = 1
    if batch_dim:
        if not dims:
            return None
        batch = _batch(dims[0])
        dims = dims[1:]
    if len(dims) < 2:
        return None
    ch, spatial = (dims[-1], dims[:-1]) if channels_last else (dims[0], dims[1:])
    if not isinstance(ch, int) or not all(isinstance(d, int) for d in spatial):
        return None
    n = 1
    for d in spatial:
        n *= d
    return batch, ch, n


def _kernel(layer: Layer) -> int | None:
    k = layer.attrs.get("kernel")
    if isinstance(k, int):
        return k
    if not k:
        return None
    n = 1
    for d in k:
        if not isinstance(d, int):
            return None
        n *= d
    return n


def _unknown_shape(layer: Layer, which: str) -> Result:
    shape = layer.input_shape if which == "input" else layer.output_shape
    return None, f"its {which} shape {format_shape(shape)} has an unknown dimension"


def _conv_operands(layer: Layer, model: Model):
    """(input map, output map, prod(kernel)) of a convolution, each map as
    (batch, channels, positions); or the Result that says which is unknown."""
    last = bool(layer.attrs.get("channels_last"))
    src = _map(layer.input_shape, model.batch_dim, last)
    dst = _map(layer.output_shape, model.batch_dim, last)
    if src is None:
        return _unknown_shape(layer, "input")
    if dst is None:
        return _unknown_shape(layer, "output")
    k = _kernel(layer)
    if k is None:
        return None, "its kernel size is unknown"
    return src, dst, k


def conv_macs(layer: Layer, model: Model) -> Result:
    """Every output position: Cout filters of (Cin/g) x prod(k) weights."""
    operands = _conv_operands(layer, model)
    if len(operands) == 2:
        return operands
    (batch, cin, _), (_, cout, positions), k = operands
    groups = layer.attrs.get("groups") or 1
    return batch * positions * cout * (cin // groups) * k, None


def conv_transpose_macs(layer: Layer, model: Model) -> Result:
    """Every input position scatters Cin x (Cout/g) x prod(k) products."""
    operands = _conv_operands(layer, model)
    if len(operands) == 2:
        return operands
    (batch, cin, positions), (_, cout, _), k = operands
    groups = layer.attrs.get("groups") or 1
    return batch * positions * cin * (cout // groups) * k, None


def separable_conv_macs(layer: Layer, model: Model) -> Result:
    """A depthwise convolution (multiplier m) then a 1x1 convolution to the filters."""
    operands = _conv_operands(layer, model)
    if len(operands) == 2:
        return operands
    (batch, cin, _), (_, cout, positions), k = operands
    mult = layer.attrs.get("depth_multiplier") or 1
    return batch * positions * cin * mult * (k + cout), None


def dense_macs(layer: Layer, model: Model) -> Result:
    """rows x units x F = every output element is one dot product of length F."""
    f = layer.attrs.get("in_features")
    if not isinstance(f, int):
        shape = layer.input_shape
        f = shape[-1] if shape else None
        if not isinstance(f, int):
            return None, f"its input features are unknown (input shape {format_shape(shape)})"
    out = _elements(layer.output_shape, model.batch_dim)
    if out is None:
        return _unknown_shape(layer, "output")
    return out * f, None


def matmul_macs(layer: Layer, model: Model) -> Result:
    """A product of two activations (attention's Q*K^T and A*V)."""
    a = model.shapes.get(layer.inputs[0]) if layer.inputs else None
    if a is None:
        a = layer.input_shape
    if not a:
        return _unknown_shape(layer, "input")
    onnx = layer.attrs.get("onnx") or {}
    k = a[-2] if onnx.get("transA") and len(a) >= 2 else a[-1]
    if not isinstance(k, int):
        return None, f"the contracted dimension of its input {format_shape(a)} is unknown"
    out = _elements(layer.output_shape, model.batch_dim)
    if out is None:
        return _unknown_shape(layer, "output")
    return out * k, None


def einsum_macs(layer: Layer, model: Model) -> Result:
    """One multiply per combination of all the labels' values."""
    equation = (layer.attrs.get("onnx") or {}).get("equation")
    shapes = layer.attrs.get("operand_shapes")
    if not isinstance(equation, str) or not shapes:
        return None, "its equation or operand shapes are unknown"
    lhs, _, rhs = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    if len(terms) < 2:
        return 0, None  # a transpose, trace or reduction of one operand
    if len(terms) != len(shapes):
        return None, "its equation does not match its operands"
    sizes: dict[str, int] = {}
    symbolic: set[str] = set()
    for term, shape in zip(terms, shapes):
        if shape is None:
            return None, "an operand's shape is unknown"
        labels = list(term)
        if "..." in term:
            head, _, tail = term.partition("...")
            extra = len(shape) - len(head) - len(tail)
            labels = list(head) + [f"...{i}" for i in range(extra)] + list(tail)
        if len(labels) != len(shape):
            return None, "its equation does not match its operand shapes"
        for label, d in zip(labels, shape):
            if isinstance(d, int):
                if d != 1 or label not in sizes:
                    sizes[label] = max(d, sizes.get(label, 1))
            else:
                symbolic.add(label)
    first_out = rhs[:1] if rhs and not rhs.startswith(".") else "...0"
    for label in symbolic - set(sizes):
        if label == first_out and model.batch_dim:
            sizes[label] = 1  # the batch
        else:
            return None, f"the size of its label {label!r} is unknown"
    n = 1
    for d in sizes.values():
        n *= d
    return n, None


def recurrent_macs(layer: Layer, model: Model) -> Result:
    """Per step, each gate's W (F inputs) and R (units inputs), times T."""
    gates = layer.attrs.get("gates") or GATES.get(layer.op, 1)
    units = layer.attrs.get("units")
    steps = layer.attrs.get("sequence_length")
    shape = layer.input_shape
    if not isinstance(units, int):
        return None, "its hidden size is unknown"
    if not isinstance(steps, int):
        return None, "its sequence length is unknown"
    if shape is None or len(shape) < 2:
        return _unknown_shape(layer, "input")
    batch = 1
    if model.batch_dim:  # ONNX: [T, B, F], or [B, T, F] with layout 1
        features = shape[-1]
        if len(shape) == 3:
            layout = 1 if layer.attrs.get("batch_first") else (layer.attrs.get("onnx") or {}).get("layout", 0)
            batch = _batch(shape[0] if layout else shape[1])
    elif layer.attrs.get("last_axis"):  # YAML format 2: [T, F]
        features = shape[-1]
    else:  # YAML format 1: [F, T]
        features = shape[0]
    if not isinstance(features, int):
        return None, f"its input features are unknown (input shape {format_shape(shape)})"
    both = layer.attrs.get("bidirectional") or layer.attrs.get("direction") == "bidirectional"
    dirs = 2 if both else 1
    return steps * batch * dirs * gates * units * (features + units), None


def _ints(layer: Layer, *keys: str) -> list[int] | None:
    values = [layer.attrs.get(k) for k in keys]
    return values if all(isinstance(v, int) and not isinstance(v, bool) for v in values) else None


def attention_macs(layer: Layer, model: Model) -> Result:
    """YAML ``attention``: its projections, then ``Q*K^T`` and ``A*V`` for every
    query head at the sequence lengths. Grouped-query attention shrinks the
    key and value projections, not the products (each query head still
    meets every key)."""
    facts = _ints(layer, "q_len", "kv_len", "in_features", "kv_features", "heads", "kv_heads",
                  "head_dim", "out_features")
    if facts is None:
        return None, "its heads, widths or sequence lengths are unknown"
    q_len, kv_len, width, kv_width, heads, kv_heads, head_dim, out = facts
    q_units, kv_units = heads * head_dim, kv_heads * head_dim
    projections = q_len * width * q_units + 2 * kv_len * kv_width * kv_units
    if layer.attrs.get("out_proj", True):
        projections += q_len * q_units * out
    products = 2 * heads * q_len * kv_len * head_dim
    return projections + products, None


def mlp_macs(layer: Layer, model: Model) -> Result:
    """YAML ``mlp``/``gated_mlp`` at every token: up (and gate), then down."""
    facts = _ints(layer, "positions", "in_features", "hidden", "out_features")
    if facts is None:
        facts = _ints(layer, "in_features", "hidden", "out_features")
        if facts is None:
            return None, "its widths are unknown"
        facts = [1, *facts]
    rows, width, hidden, out = facts
    ins = 2 if layer.attrs.get("gated") else 1
    return rows * (ins * width * hidden + hidden * out), None


def moe_macs(layer: Layer, model: Model) -> Result:
    """YAML ``moe``: the router for every token, then only the ``top_k``
    experts it is routed to, and every shared expert."""
    facts = _ints(layer, "positions", "in_features", "experts", "top_k", "shared_experts", "expert_macs")
    if facts is None:
        return None, "its experts or widths are unknown"
    rows, width, experts, top_k, shared, per_expert = facts
    # a shared expert of its own width (Qwen-MoE) and its gate: their own per-token MACs
    shared_macs = layer.attrs.get("shared_macs")
    extra = shared * per_expert if shared_macs is None else shared_macs
    return rows * (width * experts + top_k * per_expert + extra), None
