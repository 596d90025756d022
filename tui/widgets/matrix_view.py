"""A table of numbers (one layer's gradient, V, S, ...) with a diverging colour scale and a cursor."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.events import Click
from textual.reactive import reactive
from textual.widget import Widget

from tui.format import fit, num
from tui.messages import CursorMoved

__all__ = ["MatrixView", "cell_style"]

NEGATIVE = Color(59, 130, 246)   # blue
POSITIVE = Color(234, 88, 12)    # orange: distinct from blue for red-green colour blindness
CELL = 10                        # "-1.234e-5" and a space


def cell_style(value: float, scale: float, base: Color) -> Style:
    """The colour of one number: hue for its sign, intensity for its size relative to ``scale``."""
    if not np.isfinite(value):
        return Style(color="red", bold=True)
    if scale == 0 or value == 0:
        return Style()
    # Square root: small entries stay visible next to one large one.
    strength = 0.85 * float(np.sqrt(abs(value) / scale))
    hue = POSITIVE if value > 0 else NEGATIVE
    background = base.blend(hue, strength)
    return Style(bgcolor=background.rich_color, color=background.get_contrast_text(1.0).rich_color)


class MatrixView(Widget, can_focus=True):
    """Shows ``values`` (rows × columns) of a :class:`~tui.grid.Grid`, one colour-coded cell each.

    Sign is the hue (blue below zero, orange above) and size the intensity, relative to the
    largest magnitude in the whole table. Only the window around the cursor that fits is drawn;
    arrows move the cursor and post :class:`~tui.messages.CursorMoved`.

    Attributes:
        grid: The layout of the cells (row and column labels, which scalar each cell is).
        values: The numbers, shape ``grid.shape``; NaN where a row has no cell.
        cursor: ``(row, col)`` of the selected cell.
        caption: What is shown (``V``, ``Ŝ``, ...).
        show_caption: Draw the caption as the first line (off when a tab or border names it).
    """

    DEFAULT_CSS = """
    MatrixView {
        width: 1fr;
        height: 1fr;
        min-height: 3;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "move", show=False),
        Binding("down", "move(1, 0)", "move", show=False),
        Binding("left", "move(0, -1)", "move", show=False),
        Binding("right", "move(0, 1)", "move", show=False),
    ]

    grid = reactive(None, always_update=True, layout=True)
    values = reactive(None, always_update=True)
    cursor: reactive[tuple[int, int]] = reactive((0, 0))
    caption = reactive("")
    show_caption = reactive(True, layout=True)

    def __init__(self, caption: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.caption = caption
        self._origin = (0, 0)
        self._window = (1, 1)

    def action_move(self, drow: int, dcol: int) -> None:
        if self.grid is None:
            return
        rows, cols = self.grid.shape
        if rows == 1:  # a row of scalars, listed top to bottom in the state table: both work
            drow, dcol = 0, dcol + drow
        row = min(max(self.cursor[0] + drow, 0), rows - 1)
        col = min(max(self.cursor[1] + dcol, 0), cols - 1)
        if self.grid.cell(row, col) is None:
            return
        if (row, col) != self.cursor:
            self.cursor = (row, col)
            self.post_message(CursorMoved(row, col))

    def on_click(self, event: Click) -> None:
        if self.grid is None:
            return
        label_width = self._label_width()
        col = (event.x - label_width) // CELL
        row = event.y - 1 - self.show_caption
        if col < 0 or row < 0:
            return
        r0, c0 = self._origin
        self.action_move(r0 + row - self.cursor[0], c0 + col - self.cursor[1])

    def get_content_height(self, container, viewport, width: int) -> int:
        rows = self.grid.shape[0] if self.grid is not None else 0
        return self.show_caption + 2 + rows

    def _label_width(self) -> int:
        labels = self.grid.row_labels if self.grid is not None else ()
        width = max((len(label) for label in labels), default=0)
        return width + 1 if width else 0

    def _scroll_to_cursor(self, rows: int, cols: int, fit_rows: int, fit_cols: int) -> tuple[int, int]:
        r0, c0 = self._origin
        row, col = self.cursor
        if row < r0:
            r0 = row
        elif row >= r0 + fit_rows:
            r0 = row - fit_rows + 1
        if col < c0:
            c0 = col
        elif col >= c0 + fit_cols:
            c0 = col - fit_cols + 1
        r0 = max(0, min(r0, rows - fit_rows))
        c0 = max(0, min(c0, cols - fit_cols))
        self._origin = (r0, c0)
        return r0, c0

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        if self.show_caption:
            text.append(self.caption + "\n", style="bold")
        if self.grid is None or self.values is None:
            text.append("no step yet: press space", style="dim")
            return text
        values = np.asarray(self.values, dtype=float)
        rows, cols = self.grid.shape
        label_width = self._label_width()
        width, height = self.size.width, self.size.height
        fit_cols = max(1, min(cols, (width - label_width) // CELL))
        fit_rows = max(1, min(rows, height - 2 - self.show_caption))
        r0, c0 = self._scroll_to_cursor(rows, cols, fit_rows, fit_cols)
        finite = np.abs(values[np.isfinite(values)])
        scale = float(finite.max()) if finite.size else 0.0
        base = self.background_colors[1]
        dim = Style(dim=True)

        text.append(" " * label_width)
        for c in range(c0, c0 + fit_cols):
            text.append(self.grid.col_labels[c].rjust(CELL - 1)[: CELL - 1] + " ", style=dim)
        text.append("\n")
        for r in range(r0, r0 + fit_rows):
            text.append(self.grid.row_labels[r].ljust(label_width), style=dim)
            for c in range(c0, c0 + fit_cols):
                value = values[r, c]
                if np.isnan(value) and self.grid.cell(r, c) is None:
                    text.append(" " * CELL)
                    continue
                style = cell_style(value, scale, base)
                if (r, c) == self.cursor:
                    style += Style(reverse=True, bold=True)
                text.append(fit(value, CELL - 1).rjust(CELL - 1), style=style)
                text.append(" ")
            text.append("\n")
        legend = f"|max| {num(scale)}"
        if rows > fit_rows:
            legend += f"  rows {r0 + 1}-{r0 + fit_rows}/{rows}"
        if cols > fit_cols:
            legend += f"  cols {c0 + 1}-{c0 + fit_cols}/{cols}"
        text.append("−", style=Style(color=NEGATIVE.rich_color, bold=True))
        text.append("▮▮▮ ", style=Style(color=NEGATIVE.rich_color))
        text.append("▮▮▮", style=Style(color=POSITIVE.rich_color))
        text.append("+ ", style=Style(color=POSITIVE.rich_color, bold=True))
        text.append(legend, style=dim)
        return text
