"""Scalars and their optimizer state in one table: a row per parameter, a column per array."""

from __future__ import annotations

import textwrap

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.format import fit
from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.messages import CursorMoved
from gradstep.tui.widgets.matrix_view import cell_style

__all__ = ["StateTable", "CELL", "table_width"]

CELL = 10
"""Columns per number: ``-1.234e-5`` and a space."""


def table_width(rows, columns: int) -> int:
    """The columns a block of ``columns`` arrays side by side needs, with the scalars' names
    ``rows`` before them (the last number without the space after it)."""
    return max((len(r) for r in rows), default=0) + 1 + columns * CELL - 1


class StateTable(ContainsErrors, Widget, can_focus=True):
    """For an objective's scalars (``a``, ``b``, ``c``): ``g``, ``V``, ``S``, ``V̂``, ``Ŝ``, ``α_eff``,
    ``Δθ``.

    Each column has its own colour scale (sign as hue, size as intensity), since ``S`` is in
    units of ``g²``. Columns that do not fit side by side continue in a block beneath. Up and
    down move the cursor (the scalars are one row of the gradient's grid: row 0, column k).

    Attributes:
        rows: The scalars' names, top to bottom.
        columns: ``(label, values)`` pairs, each ``values`` one number per row.
        cursor_row: The selected scalar.
        note: A line under the table (what a column means).
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
    note = reactive("", layout=True)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        translate_bindings(self)

    def watch_columns(self, old, new) -> None:
        if len(old) != len(new):  # the table may take another number of blocks
            self.refresh(layout=True)

    def _label_width(self) -> int:
        return table_width(self.rows, 0) + 1

    def _per_block(self, width: int) -> int:
        """How many columns fit side by side (the last one needs no space after it)."""
        return max(1, (width - self._label_width() + 1) // CELL)

    def get_content_height(self, container, viewport, width: int) -> int:
        blocks = -(-len(self.columns) // self._per_block(width)) if self.columns else 1
        return blocks * (len(self.rows) + 1) + len(self._note_lines(width))  # a header per block, the note

    def _note_lines(self, width: int) -> list[str]:
        """The note, wrapped at word boundaries to ``width`` (at 120 columns the step-0 hint
        needs two lines; cropped, it ended in "the state come")."""
        return textwrap.wrap(self.note, max(width, 10)) or [""]

    def action_move(self, change: int) -> None:
        row = min(max(self.cursor_row + change, 0), max(len(self.rows) - 1, 0))
        if row != self.cursor_row:
            self.cursor_row = row
            self.post_message(CursorMoved(0, row))

    @guarded
    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        if not self.columns:  # the note says why when there is one (a far goto on its way)
            text.append(self.note or _("no step yet: press space"), style="dim")
            return text
        label_width = self._label_width()
        per_block = self._per_block(self.size.width)
        base = self.background_colors[1]
        lines = []
        for first in range(0, len(self.columns), per_block):
            lines.append(self._block(self.columns[first:first + per_block], label_width, base))
        text.append_text(Text("\n").join(lines))
        if self.note:
            for line in self._note_lines(self.size.width):
                text.append(f"\n{line}", style=Style(dim=True))
        return text

    def _block(self, columns, label_width: int, base) -> Text:
        """A header and a row per scalar, for the columns that fit side by side."""
        text = Text(no_wrap=True, overflow="crop")
        text.append(" " * label_width)
        for label, _values in columns:
            # by cells, not characters: V̂ and Ŝ are two characters in one cell
            text.append(" " * max(CELL - 1 - cell_len(label), 0) + label + " ", style=Style(bold=True))
        for r, name in enumerate(self.rows):
            text.append("\n")
            text.append(name.ljust(label_width), style=Style(bold=True, reverse=r == self.cursor_row))
            for _label, values in columns:
                values = np.asarray(values, dtype=float)
                finite = np.abs(values[np.isfinite(values)])
                scale = float(finite.max()) if finite.size else 0.0
                style = cell_style(values[r], scale, base)
                if r == self.cursor_row:
                    style += Style(bold=True)
                text.append(fit(values[r], CELL - 1, CELL - 6).rjust(CELL - 1), style=style)
                text.append(" ")
        return text
