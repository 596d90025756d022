"""Scalars and their optimizer state in one table: a row per parameter, a column per array."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from tui.format import fit
from tui.messages import CursorMoved
from tui.widgets.matrix_view import cell_style

__all__ = ["StateTable"]


class StateTable(Widget, can_focus=True):
    """For an objective's scalars (``a``, ``b``, ``c``): ``g``, ``V``, ``S``, ``V̂``, ``Ŝ``, ``Δθ``.

    Each column has its own colour scale (sign as hue, size as intensity), since ``S`` is in
    units of ``g²``. Columns that do not fit are left out from the right, and say so. Up and
    down move the cursor (the scalars are one row of the gradient's grid: row 0, column k).

    Attributes:
        rows: The scalars' names, top to bottom.
        columns: ``(label, values)`` pairs, each ``values`` one number per row.
        cursor_row: The selected scalar.
    """

    DEFAULT_CSS = """
    StateTable {
        width: 1fr;
        height: auto;
    }
    """

    BINDINGS = [
        Binding("up", "move(-1)", "move", show=False),
        Binding("down", "move(1)", "move", show=False),
        Binding("left", "move(-1)", "move", show=False),
        Binding("right", "move(1)", "move", show=False),
    ]

    rows: reactive[tuple[str, ...]] = reactive(tuple, layout=True)
    columns = reactive((), always_update=True)
    cursor_row = reactive(0)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.rows) + 2  # the header, and a note when columns are left out

    def action_move(self, change: int) -> None:
        row = min(max(self.cursor_row + change, 0), max(len(self.rows) - 1, 0))
        if row != self.cursor_row:
            self.cursor_row = row
            self.post_message(CursorMoved(0, row))

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        if not self.columns:
            text.append("no step yet: press space", style="dim")
            return text
        label_width = max(len(r) for r in self.rows) + 1
        room = self.size.width - label_width + 1  # the last column needs no space after it
        cell = 10 if room >= 10 * len(self.columns) else 9
        count = max(1, room // cell)
        shown = self.columns[:count]
        base = self.background_colors[1]
        dim = Style(dim=True)
        text.append(" " * label_width)
        for label, _ in shown:
            text.append(label.rjust(cell - 1) + " ", style=Style(bold=True))
        for r, name in enumerate(self.rows):
            text.append("\n")
            text.append(name.ljust(label_width), style=Style(bold=True, reverse=r == self.cursor_row))
            for _, values in shown:
                values = np.asarray(values, dtype=float)
                finite = np.abs(values[np.isfinite(values)])
                scale = float(finite.max()) if finite.size else 0.0
                style = cell_style(values[r], scale, base)
                if r == self.cursor_row:
                    style += Style(bold=True)
                text.append(fit(values[r], cell - 1, cell - 6).rjust(cell - 1), style=style)
                text.append(" ")
        if len(shown) < len(self.columns):
            hidden = " ".join(label for label, _ in self.columns[len(shown):])
            text.append(f"\n(no room for {hidden}: see the equations below)", style=dim)
        return text
