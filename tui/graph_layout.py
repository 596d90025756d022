"""A small layered (Sugiyama-style) layout of a graph in character cells, for the graph view.

The graph of a loss flows one way, from the inputs and parameters to the loss, so it is drawn
left to right in layers (columns), the steps Sugiyama, Tagawa and Toda set out (1981):

1. **Layers.** A node's layer is one more than its deepest operand's (the longest path from a
   leaf); a leaf then moves right to just before its first consumer, so that ``b`` in
   ``a*x1 + b`` stands beside ``a*x1`` rather than at the far left.
2. **Long edges** get a dummy vertex in every layer they cross: a line one row high.
3. **Order in a layer.** A depth-first walk from the loss, operands in order, gives a tree no
   crossing; then a few barycentre sweeps (each vertex at the mean position of its neighbours in
   the layer before, then after), keeping the order with the fewest crossings.
4. **Rows.** Each vertex wants its port (the row an edge leaves and enters by) at the mean of
   its neighbours' ports; within a layer, vertices keep their order and a row between them.
   The rows closest to what all want are found by isotonic regression (pool adjacent
   violators), sweeping down and up the layers a few times.
5. **Edges.** Between two layers, an edge that is not straight runs to a vertical bus of its
   target; buses whose rows do not overlap share a column, and the gap is as wide as its buses
   (and a margin).

No library: grandalf (the one pure-Python Sugiyama layout) places nodes in continuous
coordinates and routes splines, and it is no longer actively released; a graph of a loss needs
integer rows, boxes of a few sizes and axis-aligned lines, which fit in this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Box", "Layout", "layered_layout", "SWEEPS"]

SWEEPS = 4
"""Barycentre sweeps (down and up) when ordering the layers, and row sweeps when placing them."""

Segment = tuple[tuple[int, int], tuple[int, int]]
"""Two cells ``(x, y)`` in one row or one column, the line between them included."""


@dataclass(frozen=True)
class Box:
    """Where a node is drawn: its top-left cell, its size and its port row (``y + port``)."""

    x: int
    y: int
    width: int
    height: int
    port: int
    layer: int


@dataclass
class Layout:
    """The result of :func:`layered_layout`.

    Attributes:
        boxes: Each node's :class:`Box`.
        edges: Each edge ``(operand, node)`` -> the segments its line is drawn with.
        layers: The nodes of each layer, top to bottom (no dummy vertices).
        width, height: The cells the drawing needs.
    """

    boxes: dict
    edges: dict
    layers: list
    width: int
    height: int


@dataclass
class _Vertex:
    layer: int
    width: int
    height: int
    port: int
    real: bool
    preds: list = field(default_factory=list)
    succs: list = field(default_factory=list)
    y: float = 0


def layered_layout(keys, inputs, sizes, root, gap=1, margin=1):
    """Lay out a graph that flows into ``root``.

    Args:
        keys: The nodes, operands before the nodes using them.
        inputs: Node -> its operands (in operand order; repeats allowed).
        sizes: Node -> ``(width, height, port)``: its box and the row its edges use.
        root: The node everything flows into (drawn rightmost).
        gap: Empty rows between two boxes of one layer.
        margin: Columns of line between a box and the first bus after it (0 where room is short).
    """
    inputs = {k: list(dict.fromkeys(inputs[k])) for k in keys}
    consumers = {k: [] for k in keys}
    for k in keys:
        for i in inputs[k]:
            consumers[i].append(k)
    layer = {}
    for k in keys:
        layer[k] = 1 + max(layer[i] for i in inputs[k]) if inputs[k] else 0
    for k in keys:
        if not inputs[k] and consumers[k]:
            layer[k] = min(layer[c] for c in consumers[k]) - 1
    vertices = {k: _Vertex(layer[k], *sizes[k], real=True) for k in keys}
    chains = {}
    for v in keys:
        for u in inputs[v]:
            chain = [u]
            for lay in range(layer[u] + 1, layer[v]):
                d = ("dummy", u, v, lay)
                vertices[d] = _Vertex(lay, 0, 1, 0, real=False)
                chain.append(d)
            chain.append(v)
            chains[(u, v)] = chain
            for a, b in zip(chain, chain[1:]):
                vertices[a].succs.append(b)
                vertices[b].preds.append(a)
    depth = max(layer.values()) + 1
    order = _initial_order(root, inputs, chains, vertices, depth)
    order = _fewest_crossings(order, vertices)
    _place_rows(order, vertices, gap)
    return _route(order, vertices, chains, margin)


# -- 3. order ------------------------------------------------------------------------------
def _initial_order(root, inputs, chains, vertices, depth):
    order = [[] for _ in range(depth)]
    seen = set()
    stack = [(root, False)]
    while stack:  # post-order without recursion: a deep expression must not hit the limit
        v, done = stack.pop()
        if done:
            order[vertices[v].layer].append(v)
            for u in inputs[v]:
                for d in chains[(u, v)][1:-1]:
                    if d not in seen:
                        seen.add(d)
                        order[vertices[d].layer].append(d)
            continue
        if v in seen:
            continue
        seen.add(v)
        stack.append((v, True))
        stack.extend((u, False) for u in reversed(inputs[v]) if u not in seen)
    return order


def _crossings(order, vertices):
    total = 0
    for upper, lower in zip(order, order[1:]):
        pos = {v: i for i, v in enumerate(lower)}
        edges = [(i, pos[s]) for i, v in enumerate(upper) for s in vertices[v].succs if s in pos]
        total += sum(1 for a in range(len(edges)) for b in range(a + 1, len(edges))
                     if (edges[a][0] - edges[b][0]) * (edges[a][1] - edges[b][1]) < 0)
    return total


def _fewest_crossings(order, vertices):
    best, fewest = [list(o) for o in order], _crossings(order, vertices)
    for _ in range(SWEEPS):
        if fewest == 0:
            break
        for i in range(1, len(order)):
            _sort_by_barycentre(order, i, vertices, down=True)
        for i in range(len(order) - 2, -1, -1):
            _sort_by_barycentre(order, i, vertices, down=False)
        count = _crossings(order, vertices)
        if count < fewest:
            best, fewest = [list(o) for o in order], count
    return best


def _sort_by_barycentre(order, i, vertices, down):
    near = order[i - 1] if down else (order[i + 1] if i + 1 < len(order) else [])
    pos = {v: p for p, v in enumerate(near)}

    def barycentre(item):
        p, v = item
        ns = [pos[n] for n in (vertices[v].preds if down else vertices[v].succs) if n in pos]
        return sum(ns) / len(ns) if ns else p * max(len(near), 1) / max(len(order[i]), 1)

    order[i] = [v for _, v in sorted(enumerate(order[i]), key=barycentre)]


# -- 4. rows -------------------------------------------------------------------------------
def _place_rows(order, vertices, gap):
    for line in order:
        y = 0
        for v in line:
            vertices[v].y = y
            y += vertices[v].height + gap
    passes = [(range(1, len(order)), "preds"), (range(len(order) - 2, -1, -1), "succs")]
    for _ in range(SWEEPS):
        for layers, side in passes:
            for i in layers:
                _fit_layer(order[i], vertices, side, gap)
    top = min((vertices[v].y for line in order for v in line), default=0)
    for line in order:
        for v in line:
            vertices[v].y = int(vertices[v].y - top)


def _fit_layer(line, vertices, side, gap):
    """Rows for one layer's vertices, in order, each as near its neighbours' mean port as the
    order and the gaps allow (least squares: pool adjacent violators)."""
    offsets, wanted, offset = [], [], 0
    for v in line:
        vertex = vertices[v]
        ns = [vertices[n].y + vertices[n].port for n in getattr(vertex, side)]
        want = sum(ns) / len(ns) - vertex.port if ns else vertex.y
        offsets.append(offset)
        wanted.append(want - offset)
        offset += vertex.height + gap
    blocks = []  # [mean, count]
    for w in wanted:
        blocks.append([w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, c2 = blocks.pop()
            m1, c1 = blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    fitted = [m for m, c in blocks for _ in range(c)]
    for v, f, o in zip(line, fitted, offsets):
        vertices[v].y = round(f) + o


# -- 5. columns and edges ------------------------------------------------------------------
def _route(order, vertices, chains, margin):
    widths = [max((vertices[v].width for v in line), default=0) for line in order]
    buses = [_buses(order[i], order[i + 1], vertices) for i in range(len(order) - 1)]
    xs, x = [], 0
    for i, w in enumerate(widths):
        xs.append(x)
        x += w + (margin + max(buses[i].values(), default=-1) + 2 if i < len(buses) else 0)
    boxes = {v: Box(xs[vx.layer], int(vx.y), widths[vx.layer], vx.height, vx.port, vx.layer)
             for v, vx in vertices.items() if vx.real}
    edges = {}
    for (u, v), chain in chains.items():
        segments = []
        for a, b in zip(chain, chain[1:]):
            va, vb = vertices[a], vertices[b]
            i = va.layer
            left, right = xs[i] + widths[i] - 1, xs[i + 1]
            ra, rb = int(va.y) + va.port, int(vb.y) + vb.port
            if not va.real:
                segments.append(((xs[i], ra), (left, ra)))
            column = buses[i].get(b)
            if ra == rb or column is None:
                segments.append(((left, ra), (right, ra)))
            else:
                bx = left + 1 + margin + column
                segments += [((left, ra), (bx, ra)), ((bx, ra), (bx, rb)), ((bx, rb), (right, rb))]
        edges[(u, v)] = segments
    height = max((int(vx.y) + vx.height for vx in vertices.values()), default=0)
    layers = [[v for v in line if vertices[v].real] for line in order]
    return Layout(boxes, edges, layers, x, height)


def _buses(upper, lower, vertices):
    """Target -> bus column (0, 1, ...) for the targets in ``lower`` whose operands in ``upper``
    are not all on its port row; buses whose rows do not overlap share a column."""
    spans = []
    for v in lower:
        vx = vertices[v]
        rows = [int(vertices[u].y) + vertices[u].port for u in vx.preds if u in upper]
        port = int(vx.y) + vx.port
        if rows and any(r != port for r in rows):
            spans.append((min(rows + [port]), max(rows + [port]), v))
    spans.sort(key=lambda s: (s[0], s[1]))
    ends, column = [], {}
    for start, end, v in spans:
        for c, last in enumerate(ends):
            if last < start - 1:
                ends[c] = end
                column[v] = c
                break
        else:
            column[v] = len(ends)
            ends.append(end)
    return column
