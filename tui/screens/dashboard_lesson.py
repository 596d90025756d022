"""The dashboard's lesson pane: a lesson's pages or the scenario's notes beside the panels.

A mixin of :class:`~gradstep.tui.screens.dashboard.DashboardScreen`. The lesson itself (which
page, whether its check held) is the app's (:attr:`GradstepApp.lesson`), so that it goes on
across the views and the scenarios a lesson opens; the pane only shows it. From 120 columns the
pane stands at the right, 44 columns wide; below, under the panels, 9 lines high. The panels
are fitted to what the pane leaves (:meth:`panel_area`).
"""

from __future__ import annotations

from gradstep.engine.scenario.spec import in_language
from gradstep.tui.i18n import _, language
from gradstep.tui.lesson import state_of
from gradstep.tui.widgets.lesson_pane import LessonPane

__all__ = ["DashboardLesson", "PANE_WIDTH", "PANE_HEIGHT"]

PANE_WIDTH = 44
PANE_HEIGHT = 9
"""Under the panels, the pane takes at most this many lines, and only what the panels can spare
above their least height (at 80x24: 6 lines; the text scrolls)."""
LEAST_HEIGHT = 5
BESIDE_FROM = 120
"""From this many columns the pane stands beside the panels; below, under them."""


class DashboardLesson:
    """What the dashboard does with the lesson pane."""

    pane: str | None = None  # "lesson", "notes" or None (hidden)

    def panel_area(self, width: int, height: int) -> tuple[int, int]:
        """The size the panels have beside (or above) the pane, when it is shown."""
        if self.pane is None:
            return width, height
        if width >= BESIDE_FROM:
            return width - PANE_WIDTH, height
        return width, height - self._pane_height(height)

    @staticmethod
    def _pane_height(height: int) -> int:
        from gradstep.tui.screens.dashboard_layout import MIN_SIZE

        return max(LEAST_HEIGHT, min(PANE_HEIGHT, height - MIN_SIZE[1]))

    def show_pane(self, kind: str | None) -> None:
        """Show the lesson (``"lesson"``), the notes (``"notes"``) or nothing (None)."""
        self.pane = kind
        pane = self._lesson_pane()
        if pane is None:  # not composed yet: on_mount shows it
            return
        pane.set_class(kind is not None, "-shown")
        self._fitted = None  # the panels' room changed
        self._fit(*self.panel_area(self.size.width, self.size.height))
        self.refresh_pane()

    def refresh_pane(self, state: dict | None = None) -> None:
        """Draw the pane again (the app's tick hands in the dashboard's state)."""
        pane = self._lesson_pane()
        if self.pane is None or pane is None:
            return
        under = self.size.width < BESIDE_FROM
        pane.set_class(under, "-under")
        pane.styles.height = self._pane_height(self.size.height) if under else "1fr"
        run = getattr(self.app, "lesson", None)
        if self.pane == "lesson" and run is not None:
            pane.show_lesson(run, state if state is not None else state_of(self.app))
        else:
            scenario = self.scenario
            pane.show_notes(scenario.name, in_language(language(), scenario.notes,
                                                       getattr(scenario, "notes_pt", "")))

    def _lesson_pane(self):
        found = self.query(LessonPane)
        return found.first() if found else None

    # -- keys ------------------------------------------------------------------------------
    def action_lesson(self) -> None:
        """``L``: hide the pane; or show the lesson open; or choose a lesson (or the notes)."""
        if self.pane is not None:
            self.show_pane(None)
            if self.app.lesson is not None:
                self.app.lesson.shown = False
            return
        if self.app.lesson is not None:
            self.app.lesson.shown = True
            self.show_pane("lesson")
            return
        from gradstep.tui.screens.lesson_picker import LessonPicker

        self.app.push_screen(LessonPicker(), self._picked)

    def _picked(self, choice) -> None:
        if choice is None:
            return
        if choice == "notes":
            self.show_pane("notes")
        else:
            self.app.start_lesson(choice)

    def action_lesson_page(self, by: int) -> None:
        """``>`` / ``<``: the lesson's next or previous page."""
        if self.app.lesson is None:
            self.notify(_("no lesson is open: L chooses one"), timeout=3)
            return
        self.app.turn_lesson(by)
