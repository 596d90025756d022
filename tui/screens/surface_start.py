"""The loss surface's start point: move a cursor over the map (arrows, or a click) and press
``enter`` to go on from there.

The two entries the surface shows are set to the cursor's values at the step shown, as ``=``
sets one (:meth:`~gradstep.tui.course.Course.set_values`): the next step starts from the point, the
optimizer's state kept, and when the step shown is before the furthest one, it is a branch.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.binding import Binding

from gradstep.engine.analysis.surface import entry_label
from gradstep.tui.format import num
from gradstep.tui.i18n import _
from gradstep.tui.widgets.heat_map import HeatMap, Overlay

__all__ = ["StartPoint", "START_BINDINGS", "CURSOR"]

CURSOR = (255, 214, 0)

START_BINDINGS = [
    Binding("left", "move_start(-1, 0)", "start point ←", show=False),
    Binding("right", "move_start(1, 0)", "start point →", show=False),
    Binding("up", "move_start(0, 1)", "start point ↑", show=False),
    Binding("down", "move_start(0, -1)", "start point ↓", show=False),
    Binding("enter", "start_here", "start here"),
]
"""The cursor's keys (the mouse clicks a point too)."""


class StartPoint:
    """The start-point cursor of :class:`~gradstep.tui.screens.surface_view.SurfaceView` (a base).

    Attributes:
        start: The cursor's point ``(x, y)`` on the map's axes, or None before it is moved.
    """

    start = None
    _drawn = None  # what the map shows without the cursor: HeatMap.show's arguments
    _info_shown = None  # the information above the map, without the cursor's line

    def start_overlays(self) -> list[Overlay]:
        """The cursor, as an overlay of the map (none before it is moved)."""
        if self.start is None:
            return []
        return [Overlay(np.array([self.start[0]]), np.array([self.start[1]]), CURSOR, "✚")]

    def _redraw_cursor(self) -> None:
        if self._drawn is not None:
            xs, ys, rgb, overlays, x_label, y_label = self._drawn
            self.query_one(HeatMap).show(xs, ys, rgb, [*overlays, *self.start_overlays()], x_label, y_label)
        self._say_start()

    def start_text(self) -> Text:
        """The line under the surface's information that says where the cursor is (or how to
        move it)."""
        if self.entries is None:
            return Text()
        if self.start is None:  # the line is always there: the map keeps its size
            return Text("\n✚ " + _("the arrows or a click choose a start point; enter goes on from it"),
                        style="dim")
        (x, y), (xn, yn) = self.start, (entry_label(*e) for e in self.entries)
        text = Text("\n✚ ", style=f"bold rgb({CURSOR[0]},{CURSOR[1]},{CURSOR[2]})")
        text.append(_("start point {x} = {xv}, {y} = {yv}: enter goes on from it at step {step}").format(
            x=xn, xv=num(x), y=yn, yv=num(y), step=self.training.t))
        return text

    def _say_start(self) -> None:
        from textual.widgets import Static

        if self._info_shown is not None:
            self.query_one("#surface-info", Static).update(self._info_shown + self.start_text())

    def action_move_start(self, dx: int, dy: int) -> None:
        """Move the cursor one cell of the map (from the current point, the first time)."""
        if self.entries is None or self.surface is None:
            return
        width, height = self.query_one(HeatMap).cell_size()
        x, y = self.start if self.start is not None else self.surface.point
        self.start = (x + dx * width, y + dy * height)
        self._redraw_cursor()

    def on_heat_map_clicked(self, message: HeatMap.Clicked) -> None:
        if self.entries is None:
            return
        self.start = (message.x, message.y)
        self._redraw_cursor()

    def action_start_here(self) -> None:
        """Set the two entries to the cursor's values at the step shown and go on from there."""
        if self.entries is None or self.start is None:
            self.notify(_("move the start point first: the arrows, or a click on the map"), timeout=3)
            return
        self.dashboard._pause()
        (xn, xi), (yn, yi) = self.entries
        try:
            self.training.set_values([(xn, xi, self.start[0]), (yn, yi, self.start[1])])
        except ValueError as exc:
            self.notify(str(exc), severity="warning")
            return
        x, y = self.start
        self.start = None
        self.notify(_("from ({x}, {y}) at step {step}: space steps from there").format(
            x=num(x), y=num(y), step=self.training.t), timeout=4)
        self.dashboard.present.everything(self.dashboard.session.record)
        self._seen = None
        self._poll()
