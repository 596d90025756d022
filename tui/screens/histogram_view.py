"""Histograms over time (``H``, issue 17): TensorBoard's histograms in character cells.

For one layer (``l`` the next), three heat maps of step (across) against value (up): the
distribution of its weights θ, of its gradients ∂L/∂θ and of the optimizer's effective step Δθ,
each column a step, each row a bin, the darker the cell the more entries fall in it. Vanishing
gradients show as a band shrinking to a line at 0, exploding ones as a band running off.

Everything comes from what the session's history keeps within its memory budget
(:func:`~gradstep.engine.analysis.histograms.histograms`): the ring of recent records for the
gradients and updates, and also the keyframes (back to step 0, further apart) for the weights;
each map's title says which steps it shows.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from gradstep.engine.analysis.histograms import groups, histograms
from gradstep.tui.format import num
from gradstep.tui.i18n import N_, _
from gradstep.tui.screens.math_view import MathView
from gradstep.tui.widgets.key_footer import KeyFooter

__all__ = ["HistogramView", "SHADES", "LABEL", "shade", "heat_rows"]

SHADES = " ░▒▓█"
"""A cell by the share of the layer's entries in it: none, then up to a quarter, a half, ..."""

LABEL = 9
"""Columns of the value labels left of each map."""

PANELS = (("theta", N_("weights θ"), "cyan"), ("grad", N_("gradients ∂L/∂θ"), "magenta"),
          ("delta", N_("updates Δθ"), "yellow"))
"""Each map: the quantity, its title (translated where drawn) and its colour."""


def shade(count: int, entries: int) -> str:
    """The character for ``count`` of ``entries`` in one cell: blank for none, else one of
    four shades by the share (any entry at all shows)."""
    if count <= 0 or entries <= 0:
        return SHADES[0]
    return SHADES[min(4, max(1, int(np.ceil(4 * count / entries))))]


def heat_rows(counts: np.ndarray, entries: int) -> list[str]:
    """The map's rows, top (the largest values) first: one character per step and bin."""
    return ["".join(shade(int(c), entries) for c in counts[:, b]) for b in range(counts.shape[1] - 1, -1, -1)]


class HistogramView(MathView):
    """A layer's weights, gradients and updates, distributed over values, step by step."""

    CSS_PATH = "histogram_view.tcss"
    BINDINGS = MathView.STEPS_BINDINGS + [
        Binding("l", "next_group", "layer"),
        Binding("b", "dashboard('back(1)')", "back 1", show=False),
    ]

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard)
        self.groups = groups(self.session.layout)
        self.group = 0
        self.maps = {}  # quantity -> Histograms drawn (for the tests)

    def compose(self) -> ComposeResult:
        yield Static(id="histogram-head")
        yield Static(id="histogram-canvas")
        yield KeyFooter(compact=True)

    def poll_key(self):
        """The step, the layer and the screen's size (drawn again when any changes)."""
        return super().poll_key() + (self.group, tuple(self.app.size))

    def action_next_group(self) -> None:
        self.group = (self.group + 1) % len(self.groups)
        self._poll()

    def session_changed(self) -> None:
        width, height = self.app.size
        bins = max(3, (height - 2) // len(PANELS) - 1)
        columns = max(8, width - LABEL - 3)
        with self.training.reading() as session:
            t = session.t
            self.maps = {q: histograms(session, q, self.group, bins, most=columns) for q, _t, _c in PANELS}
        name, where = self.groups[self.group]
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(_("histograms over time"), style="bold")
        head.append(" — " + _("{layer} ({entries} entries), step {t}, from the history kept")
                    .format(layer=name, entries=where.stop - where.start, t=t))
        self.query_one("#histogram-head", Static).update(head)
        text = Text(no_wrap=True, overflow="ignore", end="")
        for quantity, title, colour in PANELS:
            self._panel(text, self.maps[quantity], _(title), colour)
        self.query_one("#histogram-canvas", Static).update(text)

    @staticmethod
    def _panel(text: Text, maps, title: str, colour: str) -> None:
        steps = maps.steps
        text.append(title, style=f"bold {colour}")
        if not len(steps):
            text.append("  " + _("no step kept yet") + "\n", style="dim")
            return
        text.append("  " + _("steps {first} … {last}: {shown} columns").format(
            first=int(steps[0]), last=int(steps[-1]), shown=len(steps)) + "\n", style="dim")
        rows = heat_rows(maps.counts, maps.entries)
        edges = maps.edges
        for i, row in enumerate(rows):
            label = num(edges[-1], 3) if i == 0 else num(edges[0], 3) if i == len(rows) - 1 else ""
            text.append(label.rjust(LABEL - 1)[:LABEL - 1] + "│", style="dim")
            text.append(row + "\n", style=colour)
