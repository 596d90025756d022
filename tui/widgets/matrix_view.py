"""A table of numbers (one layer's gradient, V, S, ...) with a diverging colour scale and a cursor.

A layer can be far larger than the panel (784 × 128 has a hundred thousand entries), so the view
shows a window of the table: the rows and columns that fit, moved with the cursor, a page at a
time (page keys, shift+arrows) or with the mouse wheel. Only the window's numbers are formatted.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.reactive import reactive
from textual.widget import Widget

from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.format import fit, num
from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.messages import CursorMoved
from gradstep.tui.widgets.too_small import too_small

__all__ = ["MatrixView", "cell_style", "table_size", "CELL", "WHEEL_ROWS"]

NEGATIVE = Color(59, 130, 246)   # blue
POSITIVE = Color(234, 88, 12)    # orange: distinct from blue for red-green colour blindness
CELL = 10                        # "-1.234e-5" and a space
WHEEL_ROWS = 3
"""Rows (or columns, scrolling sideways) the window moves per notch of the mouse wheel."""


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


def table_size(grid, caption: bool = False) -> tuple[int, int]:
    """``(columns, lines)`` a view needs to show ``grid`` whole: its row labels and every cell
    (the last without the space after it); the caption, the column labels, every row and the
    colour key."""
    labels = max((len(label) for label in grid.row_labels), default=0)
    rows, cols = grid.shape
    return (labels + 1 if labels else 0) + cols * CELL - 1, caption + 1 + rows + 1


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


class MatrixView(ContainsErrors, Widget, can_focus=True):
    """Shows ``values`` (rows × columns) of a :class:`~gradstep.tui.grid.Grid`, one colour-coded cell each.

    Sign is the hue (blue below zero, orange above) and size the intensity, relative to the
    largest magnitude in the whole table. Only the window that fits is drawn: it follows the
    cursor, and a line under the table says which rows and columns it shows when that is not
    all of them. Arrows move the cursor; page up / page down and shift+left / shift+right move
    it and the window by a window's height or width; the wheel scrolls the window (the cursor
    stays inside it). Every cursor move posts :class:`~gradstep.tui.messages.CursorMoved`. A panel too
    small for one number says so instead.

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
        Binding("pageup", "page(-1, 0)", "rows up a page", show=False),
        Binding("pagedown", "page(1, 0)", "rows down a page", show=False),
        Binding("shift+left", "page(0, -1)", "columns left a page", show=False),
        Binding("shift+right", "page(0, 1)", "columns right a page", show=False),
    ]

    grid = reactive(None, always_update=True, layout=True)
    values = reactive(None, always_update=True)
    cursor: reactive[tuple[int, int]] = reactive((0, 0))
    caption = reactive("")
    show_caption = reactive(True, layout=True)
    waiting = reactive("")  # said instead of the numbers while they are on their way (a far goto)

    def __init__(self, caption: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        translate_bindings(self)
        self.caption = caption
        self._origin = (0, 0)
        self._window = (1, 1)
        self._scale = 0.0
        self._shown_grid = None

    # -- what is shown -------------------------------------------------------------------------
    def watch_grid(self, grid) -> None:
        if grid is not self._shown_grid:  # another layer: start at its top left corner
            self._shown_grid = grid
            self._origin = (0, 0)

    def watch_values(self, values) -> None:
        # The colour scale is the whole table's largest magnitude: one NumPy pass when the numbers
        # change, not one per frame drawn.
        if values is None:
            self._scale = 0.0
            return
        magnitudes = np.abs(np.asarray(values, dtype=float))
        finite = magnitudes[np.isfinite(magnitudes)]
        self._scale = float(finite.max()) if finite.size else 0.0

    def _label_width(self) -> int:
        labels = self.grid.row_labels if self.grid is not None else ()
        width = max((len(label) for label in labels), default=0)
        return width + 1 if width else 0

    def _fits(self) -> tuple[int, int, bool, bool]:
        """``(rows, columns, position line, colour key)`` of what the widget's size holds.

        Rows or columns are 0 when not even one fits. The rows come first; then, when the window
        is not the whole table, the line saying which rows and columns it shows; then the
        colour key.
        """
        rows, cols = self.grid.shape
        fit_cols = min(cols, max(0, (self.size.width - self._label_width() + 1) // CELL))
        lines = self.size.height - self.show_caption - 1  # below the column labels
        if lines < 1 or fit_cols < 1:
            return 0, fit_cols, False, False
        wide = fit_cols < cols  # the columns alone need the position line
        if rows + wide + 1 <= lines:
            return rows, fit_cols, wide, True
        if rows + wide <= lines:
            return rows, fit_cols, wide, False
        if rows <= lines:
            return rows, fit_cols, False, False
        fit_rows = max(1, lines - 2)
        return fit_rows, fit_cols, lines - fit_rows >= 1, lines - fit_rows >= 2

    def window(self) -> tuple[range, range]:
        """The rows and columns of the grid shown at the widget's present size."""
        if self.grid is None:
            return range(0), range(0)
        fit_rows, fit_cols, _position, _key = self._fits()
        r0, c0 = self._scroll_to_cursor(*self.grid.shape, max(fit_rows, 1), max(fit_cols, 1))
        return range(r0, r0 + fit_rows), range(c0, c0 + fit_cols)

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
        r0 = _clamp(r0, 0, max(rows - fit_rows, 0))
        c0 = _clamp(c0, 0, max(cols - fit_cols, 0))
        self._origin = (r0, c0)
        self._window = (fit_rows, fit_cols)
        return r0, c0

    # -- moving ----------------------------------------------------------------------------
    def _select(self, row: int, col: int) -> None:
        rows, cols = self.grid.shape
        row, col = _clamp(row, 0, rows - 1), _clamp(col, 0, cols - 1)
        if self.grid.cell(row, col) is None or (row, col) == self.cursor:
            return
        self.cursor = (row, col)
        self.post_message(CursorMoved(row, col))

    def action_move(self, drow: int, dcol: int) -> None:
        if self.grid is None:
            return
        if self.grid.shape[0] == 1:  # a row of scalars, listed top to bottom in the state table: both work
            drow, dcol = 0, dcol + drow
        self._select(self.cursor[0] + drow, self.cursor[1] + dcol)

    def action_page(self, drow: int, dcol: int) -> None:
        """Move the cursor and the window together by a window's height (or width)."""
        if self.grid is None:
            return
        self.window()  # the window at the present size
        fit_rows, fit_cols = self._window
        self._scroll(drow * fit_rows, dcol * fit_cols, move_cursor=True)

    def _scroll(self, drow: int, dcol: int, move_cursor: bool = False) -> None:
        """Move the window by ``drow`` rows and ``dcol`` columns and keep the cursor inside it
        (``move_cursor``: move the cursor by as much too)."""
        rows, cols = self.grid.shape
        fit_rows, fit_cols = self._window
        r0 = _clamp(self._origin[0] + drow, 0, max(rows - fit_rows, 0))
        c0 = _clamp(self._origin[1] + dcol, 0, max(cols - fit_cols, 0))
        row, col = self.cursor
        if move_cursor:
            row, col = row + drow, col + dcol
        self._origin = (r0, c0)
        self._select(_clamp(row, r0, r0 + fit_rows - 1), _clamp(col, c0, c0 + fit_cols - 1))
        self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._wheel(event, WHEEL_ROWS)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._wheel(event, -WHEEL_ROWS)

    def on_mouse_scroll_right(self, event: events.MouseScrollRight) -> None:
        self._wheel(event, WHEEL_ROWS, sideways=True)

    def on_mouse_scroll_left(self, event: events.MouseScrollLeft) -> None:
        self._wheel(event, -WHEEL_ROWS, sideways=True)

    def _wheel(self, event, amount: int, sideways: bool = False) -> None:
        event.stop()
        if self.grid is None:
            return
        self.window()
        if sideways or event.shift:  # shift+wheel scrolls sideways, as in most programs
            self._scroll(0, amount)
        else:
            self._scroll(amount, 0)

    def on_click(self, event: events.Click) -> None:
        if self.grid is None:
            return
        col = (event.x - self._label_width()) // CELL
        row = event.y - 1 - self.show_caption
        fit_rows, fit_cols = self._window
        if not (0 <= col < fit_cols and 0 <= row < fit_rows):
            return
        r0, c0 = self._origin
        self._select(r0 + row, c0 + col)

    # -- drawing ---------------------------------------------------------------------------
    def get_content_height(self, container, viewport, width: int) -> int:
        rows = self.grid.shape[0] if self.grid is not None else 0
        return self.show_caption + 2 + rows

    def _position(self, rows: range, cols: range, width: int) -> str:
        """``rows 1–12 of 785, cols 1–3 of 128`` (the parts not shown whole), shortened to
        ``rows 1–12/785 cols 1–3/128`` when the long form is wider than ``width``."""
        total_rows, total_cols = self.grid.shape
        long, short = [], []
        if len(rows) < total_rows:
            where = {"first": rows.start + 1, "last": rows.stop, "total": total_rows}
            long.append(_("rows {first}–{last} of {total}").format(**where))
            short.append(_("rows {first}–{last}/{total}").format(**where))
        if len(cols) < total_cols:
            where = {"first": cols.start + 1, "last": cols.stop, "total": total_cols}
            long.append(_("cols {first}–{last} of {total}").format(**where))
            short.append(_("cols {first}–{last}/{total}").format(**where))
        text = ", ".join(long)
        return text if len(text) <= width else " ".join(short)

    @guarded
    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        if self.show_caption:
            text.append(self.caption + "\n", style="bold")
        if self.grid is None or self.values is None:
            text.append(self.waiting or _("no step yet: press space"), style="dim")
            return text
        fit_rows, fit_cols, position_line, key = self._fits()
        if fit_rows < 1 or fit_cols < 1:
            text.append_text(too_small(self.size.width))
            return text
        rows, cols = self.window()
        values = np.asarray(self.values, dtype=float)
        scale = self._scale
        base = self.background_colors[1]
        dim = Style(dim=True)
        label_width = self._label_width()
        row_labels, col_labels = self.grid.row_labels, self.grid.col_labels

        text.append(" " * label_width)
        for c in cols:
            text.append(col_labels[c].rjust(CELL - 1)[: CELL - 1] + " ", style=dim)
        for r in rows:
            text.append("\n")
            text.append(row_labels[r].ljust(label_width), style=dim)
            for c in cols:
                value = float(values[r, c])
                if np.isnan(value) and self.grid.cell(r, c) is None:
                    text.append(" " * CELL)
                    continue
                style = cell_style(value, scale, base)
                if (r, c) == self.cursor:
                    style += Style(reverse=True, bold=True)
                text.append(fit(value, CELL - 1).rjust(CELL - 1), style=style)
                text.append(" ")
        if position_line:
            text.append("\n")
            text.append(self._position(rows, cols, self.size.width), style=dim)
        if key:
            text.append("\n")
            text.append("−", style=Style(color=NEGATIVE.rich_color, bold=True))
            text.append("▮▮▮ ", style=Style(color=NEGATIVE.rich_color))
            text.append("▮▮▮", style=Style(color=POSITIVE.rich_color))
            text.append("+ ", style=Style(color=POSITIVE.rich_color, bold=True))
            text.append(f"|max| {num(scale)}", style=dim)
        return text
