"""How the dashboard fits the terminal: three panels, tabs, or side by side.

Below 120 columns the gradient and the optimizer state share one tabbed panel (``-narrow``);
from 200 the state arrays sit side by side (``-wide``); ``-short`` and ``-tall`` follow the
height, and below :data:`MIN_SIZE` one message with the sizes takes the panels' place
(``-tiny``). The classes are styled in ``dashboard.tcss``.

The panels share the width by what they hold (:meth:`DashboardLayout._share_space`): the
gradient and the state panel take the columns their tables need to be shown whole, and the loss
chart the rest, when it keeps :data:`LOSS_COLUMNS`; when the two tables do not fit side by side
but do one above the other, the gradient panel sits over the state panel (``-stacked``); when
neither fits (a 784 × 128 layer) the proportions of ``dashboard.tcss`` hold and the tables show
a window that scrolls.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widget import Widget
from textual.widgets import Footer, Tabs

from gradstep.tui.widgets.matrix_view import MatrixView, table_size
from gradstep.tui.widgets.state_table import StateTable, table_width
from gradstep.tui.widgets.too_small import TerminalTooSmall

__all__ = ["DashboardLayout", "MIN_SIZE", "LOSS_COLUMNS", "NARROW_LOSS_COLUMNS", "LAYER_LIST_COLUMNS"]

MIN_SIZE = (60, 18)
"""Below this many columns or rows the panels give way to one message with the sizes."""

LOSS_COLUMNS = 30
"""The loss panel's least width when the other panels take what their tables need: its axis
labels, a curve a learner can read, and the timeline."""

NARROW_LOSS_COLUMNS = 24
"""The same below 120 columns, where one more column of numbers shown whole is worth more (the
3x5 example whole at 80 columns); the loss chart keeps its axes and a readable curve."""

LAYER_LIST_COLUMNS = 30
"""The gradient panel's least width: a parameter's name, shape, norm and a short sparkline."""

BORDER = 2
"""Columns (and lines) a panel's border takes."""

GUTTER = 2
"""Columns between the state arrays when they sit side by side (``-wide``: ``grid-gutter``)."""

UPCLOSE_LINES = {"-short": 9, "-tall": 16, "": 12}
"""The up-close panel's height in each height class (``dashboard.tcss``)."""


class DashboardLayout:
    """The dashboard screen's half that picks its layout for the terminal's size (a mixin of
    :class:`~gradstep.tui.screens.dashboard.DashboardScreen`, whose widgets it arranges)."""

    def on_resize(self, event) -> None:
        self._fit(*self.panel_area(event.size.width, event.size.height))
        self.refresh_pane()

    def _fit(self, width: int, height: int) -> None:
        """Pick the layout for the terminal's size (three panels, tabs, or side by side).

        The screen is fitted when mounted and told its size again by the resize that follows
        (twice on a real terminal): a size already fitted changes nothing, and redrawing every
        panel for it would hold the first frame back."""
        if getattr(self, "_fitted", None) == (width, height):
            return
        self._fitted = (width, height)
        narrow, wide = width < 120, width >= 200
        self.set_class(narrow, "-narrow")
        self.set_class(wide, "-wide")
        self.set_class(height < 30, "-short")
        self.set_class(height >= 45, "-tall")
        self.set_class(width < MIN_SIZE[0] or height < MIN_SIZE[1], "-tiny")
        too_small = self.query_one(TerminalTooSmall)
        too_small.current, too_small.needed = (width, height), MIN_SIZE
        for view in self.query(MatrixView):
            view.show_caption = wide and view.id != "grad"
        # At 80 columns the keys fill the footer; ctrl+p still opens the palette.
        self.query_one(Footer).show_command_palette = not narrow
        tabs = self.query_one("#state-tabs", Tabs)
        if narrow:
            tabs.show("tab-grad")
        else:
            if tabs.active == "tab-grad":
                tabs.active = self._first_tab()
            tabs.hide("tab-grad")
        self._show_active_view(tabs.active)
        self._share_space(width, height)
        self.present.everything(self.session.record)
        self.call_after_refresh(self._ensure_focus)

    def _share_space(self, width: int | None = None, height: int | None = None) -> None:
        """Give the gradient and the state panel the columns their tables need, side by side or
        one above the other, and the loss chart the rest (see the module's docstring); the
        proportions of ``dashboard.tcss`` when neither arrangement fits. Called for a new size
        and for another layer (whose table may be larger)."""
        width = self.size.width if width is None else width
        height = self.size.height if height is None else height
        loss, gradient, state = (self.query_one(f"#{name}") for name in ("loss-panel", "gradient", "state"))
        top = self.query_one("#top")
        for widget in (loss, gradient, state):
            widget.styles.width = None
        top.styles.grid_columns = None
        top.styles.grid_rows = None
        self.set_class(False, "-stacked")
        if self.has_class("-tiny"):
            return
        narrow, wide = self.has_class("-narrow"), self.has_class("-wide")
        grid = self.grids[self.layer_index]
        scalars = grid.row_labels == ("",)
        upclose = UPCLOSE_LINES["-short" if height < 30 else "-tall" if height >= 45 else ""]
        lines = height - 2 - upclose - BORDER  # inside the panels: under the status line, over the footer
        table_columns, table_lines = table_size(grid)
        headers = sum(len(g.params) > 1 and "." in g.params[0] for g in self.grids)  # a network's layers
        layer_lines = min(len(self.session.layout.names) + headers, lines // 2)
        need_gradient = BORDER + max(table_columns, LAYER_LIST_COLUMNS)
        gradient_lines = BORDER + layer_lines + 1 + table_lines
        if scalars:  # the state table continues in blocks beneath: any width shows it whole
            need_state = BORDER + table_width(grid.col_labels, 3)
        else:  # one array under the tabs, or (-wide) the arrays in rows of two
            side = 2 if wide else 1
            need_state = BORDER + side * table_columns + (side - 1) * GUTTER
        state_lines = BORDER + 2 + table_lines  # the tabs and one array: what -stacked needs
        # the state panel's title whole where the loss chart can spare the columns (two more
        # for the step's digits to grow)
        titled = BORDER + 4 + cell_len(self.present.state_title(self.session.t)) + 2
        if narrow:
            if not scalars and need_state + NARROW_LOSS_COLUMNS <= width:
                state.styles.width = min(max(need_state, titled), width - NARROW_LOSS_COLUMNS)
                loss.styles.width = "1fr"
            return
        if need_gradient + need_state + LOSS_COLUMNS <= width:
            gradient.styles.width = need_gradient
            # the state table's blocks take the columns the loss chart can spare
            wanted = max(need_state, titled, (width - need_gradient) * 4 // 7 if scalars else 0)
            state.styles.width = min(wanted, width - need_gradient - LOSS_COLUMNS)
            loss.styles.width = "1fr"
        elif (not scalars and not wide and max(need_gradient, need_state) + LOSS_COLUMNS <= width
              and gradient_lines + state_lines <= lines):
            self.set_class(True, "-stacked")
            column = min(max(need_gradient, need_state, titled), width - LOSS_COLUMNS)
            top.styles.grid_columns = f"1fr {column}"
            top.styles.grid_rows = f"{gradient_lines} 1fr"

    def _first_tab(self) -> str:
        """The state panel's tab shown first: the optimizer's first state array, or for SGD,
        which keeps none, the parameters themselves."""
        return "tab-" + (self.state_names[0] if self.state_names else "theta")

    def _ensure_focus(self) -> None:
        """Keep the focus on a matrix the learner can see (layouts hide some)."""
        if self.focused is not None and self._shown(self.focused):
            return
        for widget in (self.query_one("#grad"), self.query_one(StateTable),
                       *self.query(".tab-view.-active")):
            if self._shown(widget):
                widget.focus()
                return

    @staticmethod
    def _shown(widget) -> bool:
        return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))

    def _show_active_view(self, tab_id: str) -> None:
        if not tab_id and not self.has_class("-narrow"):
            tab_id = self._first_tab()
        for view in self.query(".tab-view"):
            view.set_class(view.id == "view-" + tab_id.removeprefix("tab-"), "-active")
