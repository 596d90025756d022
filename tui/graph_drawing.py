"""The loss's graph drawn in character cells: a box per node, a line per edge (issue 17).

:func:`draw` lays a :class:`~gradstep.engine.analysis.loss_graph.LossGraph` out with
:func:`~gradstep.tui.graph_layout.layered_layout` and draws it as Rich text. A box shows the
node's title in its top border, its value on the first line and its gradient ``∇`` dL/d(node)
on the second (nothing for data and constants); a node holding an array shows its shape beside
the title and the 2-norms ``‖v‖`` and ``‖∇‖`` instead. Every number is :func:`cell` of a
value the graph holds, so a test can format the record the same way. The selected node's box
is drawn bold, the nodes and edges on the chain rule's paths from the loss down to it in yellow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text

from gradstep.tui.format import num
from gradstep.tui.graph_layout import Layout, layered_layout

__all__ = ["GraphDrawing", "draw", "cell", "box_lines", "GRAD", "NORM", "GRAD_NORM"]

GRAD = "∇"
"""Written before a gradient in a box."""
NORM, GRAD_NORM = "‖v‖ ", "‖∇‖ "
"""Written before an array's norm and its gradient's norm."""

BOX_HEIGHT = 4  # top border and title, value, gradient, bottom border
_UP, _DOWN, _LEFT, _RIGHT = 1, 2, 4, 8
_LINES = {
    0: " ", _LEFT: "─", _RIGHT: "─", _LEFT | _RIGHT: "─", _UP: "│", _DOWN: "│", _UP | _DOWN: "│",
    _DOWN | _RIGHT: "╭", _DOWN | _LEFT: "╮", _UP | _RIGHT: "╰", _UP | _LEFT: "╯",
    _UP | _DOWN | _RIGHT: "├", _UP | _DOWN | _LEFT: "┤", _LEFT | _RIGHT | _DOWN: "┬",
    _LEFT | _RIGHT | _UP: "┴", _UP | _DOWN | _LEFT | _RIGHT: "┼",
}

PLAIN = Style(color="bright_black")
PATH = Style(color="yellow", bold=True)
SELECTED = Style(color="black", bgcolor="yellow", bold=True)
TITLE = Style(bold=True)
VALUE = Style()
GRADIENT = Style(color="magenta")


@dataclass(frozen=True)
class GraphDrawing:
    """A drawn graph.

    Attributes:
        text: The drawing, one line per row.
        layout: Where each node's box is (:class:`~gradstep.tui.graph_layout.Layout`).
        sig: The significant digits its numbers have.
        margin: The columns of line out of a box before a bend.
    """

    text: Text
    layout: Layout
    sig: int
    margin: int

    @property
    def width(self) -> int:
        return self.layout.width

    @property
    def height(self) -> int:
        return self.layout.height


def cell(x: float, sig: int) -> str:
    """A number as a box shows it."""
    return num(x, sig)


def box_lines(node, sig: int) -> tuple[str, str, str]:
    """``(title, value, gradient)`` as the node's box shows them."""
    if node.shape:
        title = f"{node.title} {'×'.join(map(str, node.shape))}"
        value = NORM + cell(np.linalg.norm(node.value), sig)
        grad = "" if node.grad is None else GRAD_NORM + cell(np.linalg.norm(node.grad), sig)
    else:
        title = node.title
        value = cell(node.value, sig)
        grad = "" if node.grad is None else GRAD + cell(node.grad, sig)
    return title, value, grad


def _dotted(text: str, *prefixes: str) -> str:
    """``text`` with its number replaced by dots (its prefix, ``∇`` or ``‖v‖``, kept)."""
    prefix = next((p for p in prefixes if text.startswith(p)), "")
    return prefix + "·" * (len(text) - len(prefix))


def draw(graph, selected: int, sig: int = 4, margin: int = 1, gap: int = 1, hidden=None) -> GraphDrawing:
    """Draw ``graph`` with node ``selected`` (a key) and its chain-rule paths highlighted,
    numbers to ``sig`` significant digits, ``margin`` columns of line out of a box before a bend, ``gap``
    rows between two boxes of a layer. ``hidden(key)`` (phases, ``P``) says whether a node's value
    and its gradient are not computed yet: each is then drawn as dots, in a box as wide as its
    numbers will need (the drawing does not move as they fill in)."""
    contents = {n.key: box_lines(n, sig) for n in graph.nodes}
    sizes = {k: (max(map(len, c)) + 2, BOX_HEIGHT, 1) for k, c in contents.items()}
    if hidden is not None:
        for key, (title, value, grad) in contents.items():
            no_value, no_grad = hidden(key)
            contents[key] = (title, _dotted(value, NORM) if no_value else value,
                             _dotted(grad, GRAD_NORM, GRAD) if no_grad else grad)
    layout = layered_layout([n.key for n in graph.nodes], {n.key: n.inputs for n in graph.nodes},
                            sizes, graph.loss.key, gap=gap, margin=margin)
    path = graph.chain_path(selected)
    bits = [[0] * layout.width for _ in range(layout.height)]
    styles = [[PLAIN] * layout.width for _ in range(layout.height)]
    chars: dict[tuple[int, int], tuple[str, Style]] = {}

    def line(segment, style):
        (x0, y0), (x1, y1) = segment
        if y0 == y1:
            lo, hi = sorted((x0, x1))
            for x in range(lo, hi + 1):
                bits[y0][x] |= (_LEFT if x > lo else 0) | (_RIGHT if x < hi else 0)
                if style is not PLAIN:
                    styles[y0][x] = style
        else:
            lo, hi = sorted((y0, y1))
            for y in range(lo, hi + 1):
                bits[y][x0] |= (_UP if y > lo else 0) | (_DOWN if y < hi else 0)
                if style is not PLAIN:
                    styles[y][x0] = style

    for (u, v), segments in layout.edges.items():
        style = PATH if u in path and v in path else PLAIN
        for segment in segments:
            line(segment, style)
    for key, box in layout.boxes.items():
        style = SELECTED if key == selected else PATH if key in path else PLAIN
        x0, y0, x1, y1 = box.x, box.y, box.x + box.width - 1, box.y + box.height - 1
        border = PATH if key == selected else style
        for segment in (((x0, y0), (x1, y0)), ((x0, y1), (x1, y1)), ((x0, y0), (x0, y1)), ((x1, y0), (x1, y1))):
            line(segment, border)
        title, value, grad = contents[key]
        title_style = style if style is not PLAIN else TITLE
        for x, ch in enumerate(title):
            chars[(x0 + 1 + x, y0)] = (ch, title_style)
        for row, (text, text_style) in enumerate(((value, VALUE), (grad, GRADIENT)), start=1):
            for x in range(box.width - 2):
                chars[(x0 + 1 + x, y0 + row)] = (text[x] if x < len(text) else " ", text_style)
    out = Text(no_wrap=True, overflow="ignore", end="")
    for y in range(layout.height):
        if y:
            out.append("\n")
        run, run_style = [], None
        for x in range(layout.width):
            ch, st = chars.get((x, y)) or (_LINES[bits[y][x]], styles[y][x])
            if st is not run_style and run:
                out.append("".join(run), run_style)
                run = []
            run_style = st
            run.append(ch)
        if run:
            out.append("".join(run), run_style)
    return GraphDrawing(out, layout, sig, margin)
