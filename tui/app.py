"""The Textual application: loads a scenario and shows it on the dashboard screen.

Kept thin on purpose; the dashboard screen drives the engine. The app never dies of an error
nobody expected: it says it in a dialog and the training goes on (:mod:`gradstep.tui.faults`).
Heavy modules (the engine, NumPy,
plotext) are imported when the app starts, not when this module is imported, so that the
command line answers ``--help`` quickly.
"""

from __future__ import annotations

import time
from collections import deque
from functools import partial
from pathlib import Path
from typing import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from gradstep.tui.faults import ContainsErrors, describe, logger, unwrapped
from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.views import VIEWS as _VIEWS
from gradstep.tui.screens.palette import TranslatedTextualApp, translated_command

__all__ = ["GradstepApp", "run_dashboard", "FLOOD"]

FLOOD = (30, 3.0)
"""This many contained errors within this many seconds end the app after all (Textual's own
handling, the traceback printed): an error that recurs on every frame would otherwise keep the
screen from ever being drawn."""


class GradstepApp(ContainsErrors, TranslatedTextualApp, App[int]):
    """The dashboard for one scenario file (or bundled scenario name).

    Args:
        scenario_path: A path to a scenario file, or the name of a bundled scenario.
        lesson: A lesson to open beside the dashboard.
        resumed: A session to go on with (read from a save file): its scenario is shown,
            standing at its step; ``scenario_path`` is then the save file.

    Raises:
        gradstep.engine.errors.ScenarioError: When the scenario cannot be read (before any screen shows).
    """

    TITLE = "gradstep"

    BINDINGS = [
        Binding("c", "view('chain')", "chain"),
        Binding("k", "view('gradcheck')", "gradcheck"),
        Binding("f", "view('fit')", "fit"),
        Binding("s", "view('surface')", "surface"),
        Binding("C", "view('race')", "race"),
        Binding("M", "view('lab')", "misconceptions"),
        Binding("G", "view('graph')", "graph"),
        Binding("h", "view('neurons')", "neurons"),
        Binding("H", "view('histograms')", "histograms"),
    ]
    """The views of the mathematics, over the dashboard's session (issue 6)."""

    def __init__(self, scenario_path: Path | str, lesson=None, resumed=None) -> None:
        super().__init__()
        translate_bindings(self)  # Textual's "palette" binding
        self.bind("p", "pictures", show=False)  # `p` over every view too; BINDINGS lists the views
        from gradstep.engine.scenario import load_scenario, resolve_scenario

        self._resumed = resumed
        self.scenario = (resumed.scenario if resumed is not None
                         else load_scenario(resolve_scenario(str(scenario_path))))
        self._errors_at: deque[float] = deque(maxlen=FLOOD[0])
        self.lesson = None  # the LessonRun open (gradstep learn, or L on the dashboard)
        self._first_lesson = lesson

    def get_driver_class(self):
        """Textual's driver, except that on a Linux terminal it is :class:`TerminalDriver`, which
        ends the app when the terminal goes away (instead of hanging with the training going)."""
        driver = super().get_driver_class()
        if (driver.__module__, driver.__name__) == ("textual.drivers.linux_driver", "LinuxDriver"):
            from gradstep.tui.terminal import TerminalDriver

            return TerminalDriver
        return driver

    def terminal_gone(self) -> None:
        """The terminal went away (:mod:`gradstep.tui.terminal`): end as on a hang-up, in
        silence, since nobody is left to read; the runs stop with the app's workers."""
        from gradstep.tui.terminal import HANGUP_STATUS

        self.exit(return_code=HANGUP_STATUS)

    def on_mount(self) -> None:
        from gradstep.tui.screens.dashboard import DashboardScreen

        resumed, self._resumed = self._resumed, None
        self.push_screen(DashboardScreen(self.scenario, resumed))
        self.set_interval(0.25, self._lesson_tick)
        if self._first_lesson is not None:
            self.call_after_refresh(self.start_lesson, self._first_lesson)

    # -- the lesson beside the dashboard (tui/lesson.py) ----------------------------------
    def start_lesson(self, lesson) -> None:
        """Open ``lesson`` at its first page, on its scenario."""
        from gradstep.tui.lesson import LessonRun

        self.lesson = LessonRun(lesson)
        self._enter_page(lesson.scenario)

    def turn_lesson(self, by: int) -> None:
        """The lesson's next (``by`` 1) or previous (-1) page."""
        if self.lesson is not None and self.lesson.turn(by):
            self._enter_page(self.lesson.page.scenario)

    def _enter_page(self, scenario) -> None:
        """Show the page; open its scenario first when it names one the dashboard is not on."""
        dashboard = self._dashboard()
        if dashboard is None:
            return
        path = dashboard.scenario.path
        if scenario is not None and (path is None or Path(path).resolve() != Path(scenario).resolve()):
            dashboard._open_path(scenario)  # a new dashboard shows the pane when it mounts
            return
        if self.lesson.shown:
            dashboard.show_pane("lesson")

    def _lesson_tick(self) -> None:
        from gradstep.tui.lesson import state_of

        run, dashboard = self.lesson, self._dashboard()
        if run is None or dashboard is None:
            return
        state = state_of(self)
        turn = run.tick(state)
        if dashboard.pane == "lesson":
            dashboard.refresh_pane(state)
        if turn:
            if state is not None and state["view"] != "dashboard":
                self.notify(_("lesson: done. The next page is on the dashboard."), timeout=3)
            self.turn_lesson(1)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette lists every key of the screen by name, then the views of the mathematics,
        then Textual's own commands."""
        for binding in screen.BINDINGS:
            if binding.description:
                key = binding.key_display or binding.key
                yield SystemCommand(f"{_(binding.description)} ({key})", _help_for(binding),
                                    partial(screen.run_action, binding.action))
        if self._dashboard() is not None:
            for binding in self.BINDINGS:
                yield SystemCommand(f"{_(binding.description)} ({binding.key})", _help_for(binding),
                                    partial(self.run_action, binding.action))
        for command in super().get_system_commands(screen):
            yield translated_command(command)

    def action_pictures(self) -> None:
        """Save the screen (SVG) and its loss curve and surface (PNG) for slides: issue 8."""
        from gradstep.tui.dashboard_pictures import save_pictures

        save_pictures(self)

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        """Textual's SVG screenshot with ``V̂`` and ``Ŝ`` one cell wide, as on the terminal
        (:mod:`gradstep.tui.screenshot`)."""
        from gradstep.tui.screenshot import cells_measured

        return cells_measured(super().export_screenshot(title=title, simplify=simplify))

    # -- errors nobody expected -----------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """Textual's last resort (an error in a handler, a worker, a redraw) ends the app; this
        one keeps it when it can (:meth:`contain_error`)."""
        if not self.contain_error(error):
            super()._handle_exception(error)

    def contain_error(self, error: BaseException) -> bool:
        """Log ``error``, pause the training and say what went wrong in a dialog over the
        dashboard, from which the learner goes on or exports the trace; the session and its
        history are untouched.

        Returns:
            False when it cannot be contained: before the dashboard is up, while the app is
            closing, or when errors keep coming (:data:`FLOOD`); Textual's handling then ends
            the app.
        """
        now = time.monotonic()
        self._errors_at.append(now)
        flooded = len(self._errors_at) == FLOOD[0] and now - self._errors_at[0] < FLOOD[1]
        if flooded or self._exit or not self.is_running or self._dashboard() is None:
            return False
        fault, error = describe(error), unwrapped(error)
        logger.error("contained: %s (%s)", fault.text, fault.where,
                     exc_info=(type(error), error, error.__traceback__))
        self.call_later(self._show_fault, fault)  # not from within whatever raised (a redraw)
        return True

    def _show_fault(self, fault) -> None:
        from gradstep.tui.screens.error_dialog import ErrorDialog

        dashboard = self._dashboard()
        if dashboard is not None:
            try:
                dashboard.interrupt()
            except Exception:  # the status line itself may be what fails; the dialog still shows
                logger.exception("contained: while pausing after an error")
        if isinstance(self.screen, ErrorDialog) and self.screen.where is not None:
            self.screen.another()  # one dialog, counting what followed the first error
            return
        self.push_screen(ErrorDialog(fault.title, fault.text, where=fault.where), self._after_fault)

    def _after_fault(self, export: bool | None) -> None:
        dashboard = self._dashboard()
        if export and dashboard is not None:
            dashboard.action_export()

    # -- the views of the mathematics ------------------------------------------------------
    def _dashboard(self):
        """The dashboard screen on the stack (None before it is pushed)."""
        from gradstep.tui.screens.dashboard import DashboardScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, DashboardScreen):
                return screen
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The views open from the dashboard or from another view, not from a dialog."""
        if action != "view":
            return True
        from gradstep.tui.screens.dashboard import DashboardScreen
        from gradstep.tui.screens.math_view import MathView

        return isinstance(self.screen, (DashboardScreen, MathView)) and self._dashboard() is not None

    def action_view(self, name: str) -> None:
        """Show view ``name`` (``chain``, ``gradcheck``, ``fit``, ``surface``, ``race``) of the
        dashboard's session; from another view, in its place."""
        from gradstep.tui.screens.math_view import MathView

        dashboard = self._dashboard()
        if dashboard is None:
            return
        view_class = _view_class(name)
        if isinstance(self.screen, view_class):
            return
        unavailable = getattr(view_class, "unavailable", None)
        reason = unavailable(dashboard.scenario) if unavailable is not None else None
        if reason:
            self.notify(reason, severity="warning", timeout=4)
            return
        view = view_class(dashboard)
        if isinstance(self.screen, MathView):
            self.switch_screen(view)
        else:
            self.push_screen(view)





def _view_class(name: str):
    import importlib

    module, cls = _VIEWS[name]
    return getattr(importlib.import_module(module), cls)


def _help_for(binding) -> str:
    from gradstep.tui.screens.help import KEY_HELP

    return _(KEY_HELP.get(binding.action, binding.description))


def run_dashboard(path: Path | str, started=None, lesson=None, resumed=None) -> int:
    """Run the dashboard on scenario ``path`` (or a bundled name) until the learner quits;
    ``started(app)`` is called with the app before it runs; ``resumed``: a session read from
    the save file ``path``, to go on with.

    Returns:
        The exit status: 0, or 2 when the scenario cannot be read (the reason goes to stderr).
    """
    import sys

    from gradstep.engine.errors import ScenarioError

    try:
        app = GradstepApp(path, lesson, resumed)
    except ScenarioError as exc:
        print(f"gradstep: {exc}", file=sys.stderr)
        return 2
    if started is not None:
        started(app)
    app.run()
    return app.return_code or 0
