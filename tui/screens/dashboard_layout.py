"""How the dashboard fits the terminal: three panels, tabs, or side by side.

Below 120 columns the gradient and the optimizer state share one tabbed panel (``-narrow``);
from 200 the state arrays sit side by side (``-wide``); ``-short`` and ``-tall`` follow the
height, and below :data:`MIN_SIZE` one message with the sizes takes the panels' place
(``-tiny``). The classes are styled in ``dashboard.tcss``.
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Footer, Tabs

from gradstep.tui.widgets.matrix_view import MatrixView
from gradstep.tui.widgets.state_table import StateTable
from gradstep.tui.widgets.too_small import TerminalTooSmall

__all__ = ["DashboardLayout", "MIN_SIZE"]

MIN_SIZE = (60, 18)
"""Below this many columns or rows the panels give way to one message with the sizes."""


class DashboardLayout:
    """The dashboard screen's half that picks its layout for the terminal's size (a mixin of
    :class:`~gradstep.tui.screens.dashboard.DashboardScreen`, whose widgets it arranges)."""

    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)

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
        self.present.everything(self.session.record)
        self.call_after_refresh(self._ensure_focus)

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
