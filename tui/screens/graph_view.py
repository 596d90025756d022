"""The graph of the loss (``G``, issue 17): every node with its value and its gradient.

micrograd's ``draw_dot`` in the terminal. The graph is the one behind the gradient of the step
the dashboard stands at (step 1's before the first step), rebuilt as the chain-rule view
rebuilds it (:func:`~gradstep.engine.analysis.loss_graph.loss_graph`), so it follows time travel
and the training (and ``b``, ``,``, ``.`` travel from here as on the dashboard); an objective is drawn node by node, a network layer by layer. A cursor moves
between the nodes (arrows, tab); the selected node's chain-rule paths up to the loss are
highlighted, and the line under the graph says what the node computes, with more digits.

The drawing takes the most digits that fit the terminal (4, then 3, then 2 significant digits,
narrower gaps, then boxes touching); a graph too big even so scrolls, and the cursor's box is
kept in sight.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.geometry import Region
from textual.widgets import Static

from gradstep.engine.analysis.loss_graph import loss_graph
from gradstep.tui.format import num
from gradstep.tui.graph_drawing import draw
from gradstep.tui.i18n import _
from gradstep.tui.screens.math_view import MathView
from gradstep.tui.screens.palette import translated
from gradstep.tui.widgets.key_footer import KeyFooter

__all__ = ["GraphView", "FORMATS"]

FORMATS = [(4, 1, 1), (4, 0, 1), (4, 0, 0), (3, 0, 1), (3, 0, 0), (2, 0, 0)]
"""``(significant digits, margin, gap)`` tried in turn until the drawing fits the screen."""

DETAIL_DIGITS = 8
"""Significant digits of the selected node's value and gradient under the graph."""


class GraphView(MathView):
    """The loss's graph at the step shown, a box per node, a cursor on one of them."""

    CSS_PATH = "graph_view.tcss"
    BINDINGS = MathView.STEPS_BINDINGS + [
        Binding("b", "dashboard('back(1)')", "back 1"),
        Binding("comma", "dashboard('back(10)')", "back 10", key_display=",", show=False),
        Binding("full_stop", "dashboard('forward(10)')", "forward 10", key_display=".", show=False),
        Binding("left", "move('left')", "node", key_display="← → ↑ ↓"),
        Binding("right", "move('right')", "node", show=False),
        Binding("up", "move('up')", "node", show=False),
        Binding("down", "move('down')", "node", show=False),
        Binding("tab", "cycle(1)", "next node", show=False),
        Binding("shift+tab", "cycle(-1)", "previous node", show=False),
    ]

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard)
        self.param = dashboard.selected_entry()[0]
        self.graph = None
        self.record = None
        self.selected = None
        self.drawing = None

    def compose(self) -> ComposeResult:
        yield Static(id="graph-head")
        with translated(ScrollableContainer(id="graph-body", can_focus=False)):
            yield Static(id="graph-canvas")
        yield Static(id="graph-detail")
        yield KeyFooter(compact=True)

    def session_changed(self) -> None:
        with self.training.reading() as session:  # the graph of a step the session keeps
            record = session.record if session.t >= 1 else None
            graph = loss_graph(session)
        keep = self.graph is not None and len(self.graph.nodes) == len(graph.nodes)
        self.graph, self.record = graph, record
        if not keep or self.selected is None:
            node = graph.node_of(self.param)
            self.selected = node.key if node is not None else graph.loss.key
        self._show()

    def poll_key(self):
        """The step, and the phase shown and how far it has filled in (``P``)."""
        phases = self.dashboard.phases
        return super().poll_key() + (phases.on, phases.index, phases.fill)

    def on_resize(self) -> None:
        if self.graph is not None:
            self.call_after_refresh(self._show)

    # -- drawing ---------------------------------------------------------------------------
    def _show(self) -> None:
        graph = self.graph
        body = self.query_one("#graph-body", ScrollableContainer)
        room = body.scrollable_content_region.size
        width, height = (room.width, room.height) if room.width else self.app.size
        first = narrow = None
        hidden = self.dashboard.phases.hidden(graph)  # phases (P): what the step has not computed yet
        for sig, margin, gap in FORMATS:  # the first that fits, else the first as wide as the screen
            drawing = draw(graph, self.selected, sig, margin, gap, hidden=hidden)
            first = first or drawing
            if drawing.width <= width and drawing.height <= height:
                break
            if narrow is None and drawing.width <= width:
                narrow = drawing
        else:
            drawing = narrow or first
        self.drawing = drawing
        self.query_one("#graph-canvas", Static).update(self.drawing.text)
        self.query_one("#graph-head", Static).update(self._head())
        self.query_one("#graph-detail", Static).update(self._detail())
        box = self.drawing.layout.boxes[self.selected]
        self.call_after_refresh(body.scroll_to_region, Region(box.x, box.y, box.width, box.height),
                                animate=False)

    def _head(self) -> Text:
        t = self.graph.step
        when = _("before step 1") if self.record is None else _("step {t}").format(t=t)
        head = Text()
        head.append(_("graph of the loss"), style="bold")
        head.append(" — " + _("{when}; ∇ = ∂L/∂node; highlighted: its paths to L").format(when=when))
        return head

    def _detail(self) -> Text:
        node = self.graph.nodes[self.selected]
        text = Text(no_wrap=True, overflow="ellipsis")
        name = node.label if node.label == node.title or node.kind != "op" else f"{node.title}: {node.label}"
        text.append(name, style="bold")
        hidden = self.dashboard.phases.hidden(self.graph)
        if hidden is not None and any(hidden(node.key)):  # phases: not computed yet
            no_value, no_grad = hidden(node.key)
            text.append("  " + ("·" if no_value else _("value computed")) + "  " + ("∇ ·" if no_grad else ""))
            return text
        if node.shape:
            text.append("  " + "×".join(map(str, node.shape)))
            text.append("  ‖v‖ = " + num(np.linalg.norm(node.value), DETAIL_DIGITS))
            if node.grad is not None:
                text.append("  ‖∂L/∂v‖ = " + num(np.linalg.norm(node.grad), DETAIL_DIGITS), style="magenta")
        else:
            text.append(" = " + num(node.value, DETAIL_DIGITS))
            if node.grad is not None:
                text.append("  ∂L/∂v = " + num(node.grad, DETAIL_DIGITS), style="magenta")
        if node.kind == "const":
            text.append("  (" + _("data: no gradient") + ")", style="dim")
        return text

    # -- the cursor ------------------------------------------------------------------------
    def action_move(self, direction: str) -> None:
        """Move the cursor to the next box up, down, left or right."""
        if self.drawing is None:  # a key before the first drawing
            return
        layout = self.drawing.layout
        here = layout.boxes[self.selected]
        if direction in ("up", "down"):
            line = layout.layers[here.layer]
            i = line.index(self.selected) + (1 if direction == "down" else -1)
            if 0 <= i < len(line):
                self._select(line[i])
            return
        step = 1 if direction == "right" else -1
        i = here.layer + step
        while 0 <= i < len(layout.layers) and not layout.layers[i]:
            i += step
        if 0 <= i < len(layout.layers):
            row = here.y + here.port
            self._select(min(layout.layers[i], key=lambda k: abs(layout.boxes[k].y + layout.boxes[k].port - row)))

    def action_cycle(self, change: int) -> None:
        """The next (previous) node, layer by layer (an order the graph can be computed in)."""
        if self.drawing is None:
            return
        keys = [k for line in self.drawing.layout.layers for k in line]
        self._select(keys[(keys.index(self.selected) + change) % len(keys)])

    def _select(self, key: int) -> None:
        self.selected = key
        node = self.graph.nodes[key]
        if node.param is not None:
            self.param = node.param
        self._show()
