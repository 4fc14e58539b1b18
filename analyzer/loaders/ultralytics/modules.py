"""The Ultralytics modules, expanded into IR layers as their PyTorch code builds them.

Each function mirrors one class of ``ultralytics.nn.modules`` (its
``__init__`` for the weights, its ``forward`` for the data flow) without
importing it: ``p`` is the module's name (``model.2``), ``x`` its input
tensor, the rest the constructor's arguments after Ultralytics'
``parse_model`` has scaled them. Every function returns its output tensor.
"""

from __future__ import annotations

from math import gcd

from .graph import Graph, mul


def conv(g: Graph, p: str, x: str, c2: int, k: int = 1, s: int = 1, pad: int | None = None,
         groups: int = 1, d: int = 1, act: bool = True) -> str:
    """``Conv``: Conv2d without bias, BatchNorm2d, SiLU (``act=False``: none)."""
    y = g.conv2d(f"{p}.conv", x, c2, k, s, pad, groups, d)
    y = g.batchnorm(f"{p}.bn", y)
    return g.unary(f"{p}.act", "silu", "SiLU", y) if act else y


def dwconv(g: Graph, p: str, x: str, c2: int, k: int = 1, s: int = 1, d: int = 1, act: bool = True) -> str:
    """``DWConv``: a ``Conv`` with groups = gcd(c1, c2)."""
    return conv(g, p, x, c2, k, s, None, gcd(g.shapes[x][0], c2), d, act)


def bottleneck(g: Graph, p: str, x: str, c2: int, shortcut: bool = True, groups: int = 1,
               k: tuple[int, int] = (3, 3), e: float = 0.5) -> str:
    c1 = g.shapes[x][0]
    y = conv(g, f"{p}.cv1", x, int(c2 * e), k[0], 1)
    y = conv(g, f"{p}.cv2", y, c2, k[1], 1, groups=groups)
    return g.binary(f"{p}.add", "add", x, y, p) if shortcut and c1 == c2 else y


def _csp2(g: Graph, p: str, x: str, c2: int, hidden: int, blocks) -> str:
    """C2f's data flow: cv1, chunk in two, each block on the last piece, cat, cv2."""
    y = conv(g, f"{p}.cv1", x, 2 * hidden, 1, 1)
    parts = g.split(f"{p}.chunk", y, [hidden, hidden], p)
    for i, block in enumerate(blocks):
        parts.append(block(f"{p}.m.{i}", parts[-1]))
    cat = g.concat(f"{p}.cat", parts, p)
    return conv(g, f"{p}.cv2", cat, c2, 1)


def c2f(g: Graph, p: str, x: str, c2: int, n: int = 1, shortcut: bool = False, groups: int = 1,
        e: float = 0.5) -> str:
    c = int(c2 * e)
    block = lambda q, t: bottleneck(g, q, t, c, shortcut, groups, (3, 3), 1.0)  # noqa: E731
    return _csp2(g, p, x, c2, c, [block] * n)


def c3(g: Graph, p: str, x: str, c2: int, n: int = 1, shortcut: bool = True, groups: int = 1,
       e: float = 0.5, k: tuple[int, int] = (1, 3)) -> str:
    """``C3`` (k=(1, 3)) and ``C3k`` (k=(3, 3)): two branches, blocks on the first."""
    c_ = int(c2 * e)
    a = conv(g, f"{p}.cv1", x, c_, 1, 1)
    for i in range(n):
        a = bottleneck(g, f"{p}.m.{i}", a, c_, shortcut, groups, (k[0], k[1]), 1.0)
    b = conv(g, f"{p}.cv2", x, c_, 1, 1)
    return conv(g, f"{p}.cv3", g.concat(f"{p}.cat", [a, b], p), c2, 1)


def c3k2(g: Graph, p: str, x: str, c2: int, n: int = 1, c3k: bool = False, e: float = 0.5,
         attn: bool = False, groups: int = 1, shortcut: bool = True) -> str:
    c = int(c2 * e)

    def block(q: str, t: str) -> str:
        if attn:
            t = bottleneck(g, f"{q}.0", t, c, shortcut, groups)
            return psa_block(g, f"{q}.1", t, 0.5, max(c // 64, 1))
        if c3k:
            return c3(g, q, t, c, 2, shortcut, groups, 0.5, (3, 3))
        return bottleneck(g, q, t, c, shortcut, groups)

    return _csp2(g, p, x, c2, c, [block] * n)


def sppf(g: Graph, p: str, x: str, c2: int, k: int = 5, n: int = 3, shortcut: bool = False,
         legacy_act: bool = True) -> str:
    """``SPPF``: cv1, the same max-pool n times, cat, cv2 (and a shortcut in YOLO26)."""
    c1 = g.shapes[x][0]
    y = [conv(g, f"{p}.cv1", x, c1 // 2, 1, 1, act=legacy_act)]
    for _ in range(n):
        y.append(g.maxpool(f"{p}.m", y[-1], k, 1, k // 2))
    out = conv(g, f"{p}.cv2", g.concat(f"{p}.cat", y, p), c2, 1, 1)
    return g.binary(f"{p}.add", "add", out, x, p) if shortcut and c1 == c2 else out


def attention(g: Graph, p: str, x: str, num_heads: int = 8, attn_ratio: float = 0.5) -> str:
    """``Attention``: qkv 1x1 conv, per-head attention over the H*W positions, pe, proj."""
    dim, h, w = g.shapes[x]
    head_dim = dim // num_heads
    key_dim = int(head_dim * attn_ratio)
    n = mul(h, w)
    qkv = conv(g, f"{p}.qkv", x, dim + 2 * key_dim * num_heads, 1, act=False)
    heads = g.reshape(f"{p}.view", qkv, (num_heads, 2 * key_dim + head_dim, n), p)
    q, k, v = g.split(f"{p}.split", heads, [key_dim, key_dim, head_dim], p, axis=1)
    qt = g.transpose(f"{p}.q_t", q, (0, 2, 1), p)
    scores = g.matmul(f"{p}.qk", qt, k, p)  # [heads, N, N]
    probs = g.unary(f"{p}.softmax", "softmax", "softmax", scores, p, {"axis": -1})
    probs_t = g.transpose(f"{p}.attn_t", probs, (0, 2, 1), p)
    out = g.matmul(f"{p}.av", v, probs_t, p)  # [heads, head_dim, N]
    out = g.reshape(f"{p}.out_view", out, (dim, h, w), p)
    v_map = g.reshape(f"{p}.v_view", v, (dim, h, w), p)
    pe = conv(g, f"{p}.pe", v_map, dim, 3, 1, groups=dim, act=False)
    out = g.binary(f"{p}.pe_add", "add", out, pe, p)
    return conv(g, f"{p}.proj", out, dim, 1, act=False)


def psa_block(g: Graph, p: str, x: str, attn_ratio: float = 0.5, num_heads: int = 4,
              shortcut: bool = True) -> str:
    c = g.shapes[x][0]
    a = attention(g, f"{p}.attn", x, num_heads, attn_ratio)
    x = g.binary(f"{p}.add", "add", x, a, p) if shortcut else a
    f = conv(g, f"{p}.ffn.0", x, c * 2, 1)
    f = conv(g, f"{p}.ffn.1", f, c, 1, act=False)
    return g.binary(f"{p}.add", "add", x, f, p) if shortcut else f


def c2psa(g: Graph, p: str, x: str, c2: int, n: int = 1, e: float = 0.5) -> str:
    c1 = g.shapes[x][0]
    c = int(c1 * e)
    y = conv(g, f"{p}.cv1", x, 2 * c, 1, 1)
    a, b = g.split(f"{p}.split", y, [c, c], p)
    for i in range(n):
        b = psa_block(g, f"{p}.m.{i}", b, 0.5, max(c // 64, 1))
    return conv(g, f"{p}.cv2", g.concat(f"{p}.cat", [a, b], p), c1, 1)


def detect(g: Graph, p: str, xs: list[str], nc: int = 80, reg_max: int = 16, end2end: bool = False,
           legacy: bool = False) -> str:
    """``Detect``: a box branch (cv2) and a class branch (cv3) per level, the DFL.

    ``end2end`` adds the one-to-one copies of both branches (YOLO26), which
    Ultralytics counts among the model's parameters. ``legacy`` (YOLOv8)
    builds the class branch from plain Convs instead of depthwise ones.
    """
    ch = [g.shapes[x][0] for x in xs]
    c2 = max(16, ch[0] // 4, reg_max * 4)
    c3_ = max(ch[0], min(nc, 100))
    heads = [("cv2", "cv3")] + ([("one2one_cv2", "one2one_cv3")] if end2end else [])
    results = []
    for box_name, cls_name in heads:
        boxes, classes = [], []
        for i, x in enumerate(xs):
            b = conv(g, f"{p}.{box_name}.{i}.0", x, c2, 3)
            b = conv(g, f"{p}.{box_name}.{i}.1", b, c2, 3)
            boxes.append(g.conv2d(f"{p}.{box_name}.{i}.2", b, 4 * reg_max, 1, bias=True))
            q = f"{p}.{cls_name}.{i}"
            if legacy:
                c = conv(g, f"{q}.0", x, c3_, 3)
                c = conv(g, f"{q}.1", c, c3_, 3)
            else:
                c = dwconv(g, f"{q}.0.0", x, ch[i], 3)
                c = conv(g, f"{q}.0.1", c, c3_, 1)
                c = dwconv(g, f"{q}.1.0", c, c3_, 3)
                c = conv(g, f"{q}.1.1", c, c3_, 1)
            classes.append(g.conv2d(f"{q}.2", c, nc, 1, bias=True))
        results.append((box_name, boxes, classes))
    # Inference decodes the one-to-one head when there is one.
    box_name, boxes, classes = results[-1]
    sizes = [mul(g.shapes[b][1], g.shapes[b][2]) for b in boxes]
    anchors = None if None in sizes else sum(sizes)
    flat = [g.reshape(f"{p}.box_view{i}", b, (4 * reg_max, mul(g.shapes[b][1], g.shapes[b][2])), p)
            for i, b in enumerate(boxes)]
    box = g.concat(f"{p}.box_cat", flat, p, axis=1)
    if reg_max > 1:  # DFL: softmax over the bins, expectation by a fixed 1x1 conv
        q = f"{p}.dfl"
        t = g.reshape(f"{q}.view", box, (4, reg_max, anchors), q)
        t = g.transpose(f"{q}.transpose", t, (1, 0, 2), q)
        t = g.unary(f"{q}.softmax", "softmax", "softmax", t, q, {"axis": 0})
        t = g.conv2d(f"{q}.conv", t, 1, 1, trainable=False)
        box = g.reshape(f"{q}.out_view", t, (4, anchors), q)
    cls = [g.reshape(f"{p}.cls_view{i}", c, (nc, mul(g.shapes[c][1], g.shapes[c][2])), p)
           for i, c in enumerate(classes)]
    scores = g.unary(f"{p}.sigmoid", "sigmoid", "sigmoid", g.concat(f"{p}.cls_cat", cls, p, axis=1), p)
    return g.concat(f"{p}.out", [box, scores], p)
