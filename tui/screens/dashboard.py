"""The dashboard: loss, gradients, optimizer state and one parameter up close.

The screen coordinates. Its :class:`~gradstep.tui.training.TrainingController` owns the session:
the screen asks it to step (on the UI thread for one step; in this screen's thread worker, which
runs the controller's loop, for many), to move through the history (``back``, ``goto``), to
change the learning rate and to export, and pushes what the record of the step the session
stands at says down into the widgets; widgets post messages up.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static, Tab, Tabs
from textual.worker import get_current_worker

from gradstep.engine import optim
from gradstep.engine.training.session import Diverged
from gradstep.tui.curvature_watch import CurvatureKey, CurvatureWatch
from gradstep.tui.phases import PhaseKey, Phases
from gradstep.tui.faults import ContainsErrors, memory_message
from gradstep.tui.format import short
from gradstep.tui.i18n import _, ngettext, translate_bindings
from gradstep.tui.grid import grids_for
from gradstep.tui.messages import CursorMoved, LayerPicked, RunEnded, StepsTaken, TrainingDiverged
from gradstep.tui.screens.dashboard_course import CourseActions
from gradstep.tui.screens.dashboard_keys import DASHBOARD_KEYS
from gradstep.tui.screens.dashboard_layout import MIN_SIZE, DashboardLayout
from gradstep.tui.screens.dashboard_lesson import DashboardLesson
from gradstep.tui.screens.dashboard_travel import TravelActions
from gradstep.tui.screens.presenter import STATE_LABELS, Presenter
from gradstep.tui.training import SPEEDS, TrainingController
from gradstep.tui.widgets.equations_view import EquationsView
from gradstep.tui.widgets.key_footer import KeyFooter
from gradstep.tui.widgets.layer_list import LayerList
from gradstep.tui.widgets.lesson_pane import LessonPane
from gradstep.tui.widgets.loss_chart import LossChart
from gradstep.tui.widgets.matrix_view import MatrixView
from gradstep.tui.widgets.param_chart import ParamChart
from gradstep.tui.widgets.state_table import StateTable
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.timeline import Timeline
from gradstep.tui.widgets.too_small import TerminalTooSmall

__all__ = ["DashboardScreen", "MIN_SIZE", "SPEEDS"]

class DashboardScreen(ContainsErrors, CourseActions, CurvatureKey, PhaseKey, TravelActions, DashboardLayout,
                      DashboardLesson, Screen):
    """Trains one scenario and shows every number of every step."""

    CSS_PATH = "dashboard.tcss"

    BINDINGS = DASHBOARD_KEYS  # footer order is priority order (dashboard_keys.py)

    def __init__(self, scenario, session=None) -> None:
        super().__init__()
        translate_bindings(self)
        self.scenario = scenario
        self.training = TrainingController(scenario, session)
        self.grids = grids_for(self.session.layout)
        self.state_names = optim.state_names(self.session.optimizer_kind, self.session.hyper)
        self.panel_lr_eff = optim.step_size_varies(self.session.optimizer_kind)  # an α_eff tab
        self.present = Presenter(self)
        self.curvature, self.phases = CurvatureWatch(self), Phases(self)
        self.layer_index = 0
        self.cursor = (0, 0)
        self._redraw = None  # the timer of a paused redraw (a served dashboard's; see Pace)

    # -- what the controller owns, as the presenter and the tests read it ------------------
    @property
    def session(self):
        """The controller's session (see :class:`~gradstep.tui.training.TrainingController`)."""
        return self.training.session

    @property
    def history(self):
        """The controller's :class:`~gradstep.tui.history.TrainingHistory`."""
        return self.training.history

    @property
    def mode(self) -> str:
        """``paused``, ``running`` or ``diverged``: the controller's mode; ``reaching`` while a
        far goto is on its way."""
        return "reaching" if self.reaching is not None else self.training.mode

    @property
    def speed(self) -> int:
        """Index of the run speed in :data:`~gradstep.tui.training.SPEEDS`."""
        return self.training.speed

    def speed_label(self) -> str:
        """The run speed as the status line says it."""
        return self.training.speed_label()

    def record_at(self, step: int, fetch: bool = False):
        """The record of ``step``: see :meth:`~gradstep.tui.training.TrainingController.record_at`."""
        return self.training.record_at(step, fetch)

    def selected_entry(self) -> tuple[str, tuple[int, ...]]:
        """``(name, index)`` of the scalar under the cursor (a view of one entry opens on it);
        the first entry of the first parameter when the cursor is on no cell."""
        cell = self.grids[self.layer_index].cell(*self.cursor)
        if cell is not None:
            return cell.param, tuple(cell.index)
        layout = self.session.layout
        return layout.names[0], tuple(0 for _dim in layout.shapes[0])

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="banner")
        with Horizontal(id="top"):
            with Vertical(id="loss-panel"):
                yield LossChart(id="loss")
                yield Timeline(id="timeline")
            with Vertical(id="gradient"):
                yield LayerList(id="layers")
                yield MatrixView("∂L/∂θ", id="grad")
            with Vertical(id="state"):
                tabs = [Tab("∂L/∂θ", id="tab-grad")]
                tabs += [Tab(self.present.label(k), id=f"tab-{k}") for k in self.present.state_keys()]
                yield Tabs(*tabs, id="state-tabs")
                with Horizontal(id="state-views"):
                    yield MatrixView("∂L/∂θ", id="view-grad", classes="tab-view")
                    for k in self.present.state_keys():
                        yield MatrixView(self.present.label(k), id=f"view-{k}", classes="tab-view")
                yield StateTable(id="state-table")
        with Horizontal(id="upclose"):
            yield EquationsView(id="equations")
            yield ParamChart(id="param-chart")
        yield TerminalTooSmall(id="too-small")
        yield LessonPane(id="lesson")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#gradient").border_title = _("gradient ∂L/∂θ")
        self.query_one("#upclose").border_title = _("up close")
        self.query_one("#loss-panel").border_title = _("loss")
        self._fit(self.size.width, self.size.height)
        self.set_timer(0.5, _import_dialogs)
        if getattr(self.app, "lesson", None) is not None and self.app.lesson.shown:
            self.call_after_refresh(self.show_pane, "lesson")

    @on(Tabs.TabActivated, "#state-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        self._show_active_view(event.tab.id if event.tab else "")
        self.present.matrices(self.session.record)  # the subtitle explains α_eff on its tab

    # -- stepping --------------------------------------------------------------------------
    def action_step(self, count: int) -> None:
        """Take ``count`` steps: one at once on this thread, more in the training worker."""
        self._pause()
        if count == 1 and self.phases.on:
            return self.phases.advance()
        if count == 1:
            try:
                record = self.training.step()
            except Diverged as exc:
                self._diverged(exc.step, exc.message)
                return
            self.present.everything(record)
        else:
            self._start(count)

    def action_toggle_run(self) -> None:
        if self._stop_reaching():  # the pause key stops a goto on its way too
            return
        if self.phases.on:
            return self.phases.toggle_slow()
        if self.mode == "running":
            self._pause()
            self.present.status(self.session.record)
        else:
            self._start(None)

    def action_speed(self, change: int) -> None:
        self.training.change_speed(change)
        self.present.status(self.session.record)

    def _start(self, steps: int | None) -> None:
        if self._redraw is not None:  # a run's end not yet drawn: the new run draws instead
            self._redraw.stop()
        run, stop = self.training.start()
        self.present.status(self.session.record)
        # The worker starts once the status line saying so is on screen: the key is answered
        # before the training thread (at a lower priority when served) holds the interpreter.
        self.call_after_refresh(self._train, steps, run, stop)

    def _pause(self) -> None:
        """Stop a run, and a goto on its way (showing where the session stands)."""
        self._stop_reaching()
        self._pause_run()

    def _pause_run(self) -> None:
        if self.training.pause():
            self.workers.cancel_group(self, "train")

    def interrupt(self) -> None:
        """An error nobody expected was met (the app says it): stop the run, whose worker may
        be gone, and show where the session stands; the session and its history stay."""
        self._pause()
        self.present.status(self.session.record)

    @work(thread=True, exclusive=True, group="train")
    def _train(self, steps: int | None, run: int, stop) -> None:
        """Run the controller's loop until paused (``steps`` None) or ``steps`` steps are done;
        its frames and its end come back to this screen as messages (the loop waits for each
        frame to be drawn: see :meth:`on_steps_taken`)."""
        worker = get_current_worker()
        record, diverged = self.training.run(
            steps, stop, lambda: worker.is_cancelled,
            lambda latest, rate: self.post_message(StepsTaken(latest, rate)))
        if diverged is not None:
            self.post_message(TrainingDiverged(diverged.step, diverged.message))
        self.post_message(RunEnded(record, run))

    def on_steps_taken(self, message: StepsTaken) -> None:
        if self.mode != "running":  # paused since it was posted (perhaps gone back in time)
            return
        self.present.everything(message.record, message.steps_per_second, live=True)
        # Until this frame is painted the training thread waits: the frame is drawn with the
        # interpreter to the UI alone, and a key pressed meanwhile waits less.
        self.call_after_refresh(self.training.drawn)

    def on_run_ended(self, message: RunEnded) -> None:
        if not self.training.ended(message.run):
            return  # a run started since (a pause, then a run again): its frames draw
        delay = self.training.current_pace().redraw_delay()
        if delay and self.mode == "paused":
            self._redraw = self.set_timer(delay, self._paused_redraw)
        else:
            self.present.everything(self.session.record)

    def _paused_redraw(self) -> None:
        if self.mode == "paused":  # not running again, nor reaching a step, nor diverged
            self.present.everything(self.session.record)

    def on_training_diverged(self, message: TrainingDiverged) -> None:
        self._diverged(message.step, message.text)

    def _diverged(self, step: int, text: str) -> None:
        self.training.diverged()
        banner = self.query_one("#banner", Static)
        banner.update("✗ " + _("{why}.  Press [ to halve the learning rate α (now {lr}), then space "
                               "to go on; R reloads.").format(why=text, lr=short(self.session.hyper["lr"])))
        banner.add_class("-shown")
        self.present.everything(self.session.record)

    # -- learning rate, layers, chart ------------------------------------------------------
    def action_scale_lr(self, factor: float) -> None:
        """Change the learning rate from the next step on; before the furthest step this
        branches (the engine keeps the abandoned steps' losses as the ghost)."""
        self._stop_reaching()  # the change is made at the step the session stands at
        try:
            old, new = self.training.scale_lr(factor)
        except ValueError as exc:  # doubled past the largest float, or halved to zero
            self.notify(str(exc), severity="warning", markup=False)
            return
        self.notify(self.present.lr_note(factor, old, new), timeout=3)
        self.present.everything(self.session.record)

    def action_next_layer(self) -> None:
        self._pick_layer((self.layer_index + 1) % len(self.grids))

    def on_layer_picked(self, message: LayerPicked) -> None:
        self._pick_layer(message.index)

    def _pick_layer(self, index: int) -> None:
        self.layer_index = index
        self.cursor = (0, 0)
        self._share_space()  # another layer's table may need other widths
        self.present.everything(self.session.record)
        self.call_after_refresh(self._ensure_focus)

    def on_cursor_moved(self, message: CursorMoved) -> None:
        self.cursor = (message.row, message.col)
        self.present.cursor(self.session.record)

    def action_log_scale(self) -> None:
        self.present.toggle_log_scale()

    def action_next_chart(self) -> None:  # the loss chart shows the loss, α or the accuracy
        self.present.next_chart()

    def action_export(self) -> None:
        from gradstep.tui.screens.export_dialog import ExportDialog, suggested_path

        self._pause()
        if self.session.furthest == 0:
            self.notify(_("nothing to export yet: take a step first (space)"), timeout=3)
            return
        # The dialog writes from its worker thread; the controller takes its lock.
        self.app.push_screen(ExportDialog(suggested_path(self.scenario.name), self.training.export),
                             self._exported)

    def _exported(self, result: tuple[str, int] | None) -> None:
        if result is not None:
            path, steps = result
            self.notify(ngettext("wrote {count} step to {path}", "wrote {count} steps to {path}", steps)
                        .format(count=steps, path=path), title=_("exported"), timeout=5, markup=False)

    def action_save(self) -> None:
        from gradstep.tui.screens.save_dialog import SaveDialog

        self._pause()
        self.app.push_screen(SaveDialog(self.training), self._saved)

    def _saved(self, result: tuple[str, int] | None) -> None:
        if result is not None:
            path, step = result
            self.notify(_("saved step {step} to {path}").format(step=step, path=path), title=_("saved"),
                        timeout=5, markup=False)

    # -- scenarios, help, quit -------------------------------------------------------------
    def action_open(self) -> None:
        from gradstep.tui.screens.open_scenario import OpenScenarioScreen

        self._pause()
        self.app.push_screen(OpenScenarioScreen(), self._open_path)

    def action_reload(self) -> None:
        if self.scenario.path is None:
            self.notify(_("this scenario was not read from a file"), severity="warning")
            return
        # No pause here: a file caught mid-edit leaves this training running behind the error.
        self._open_path(Path(self.scenario.path))

    def _open_path(self, path: Path | str | None) -> None:
        """Load a scenario and show it; a broken file leaves this training as it is."""
        if path is None:
            return
        from gradstep.engine.errors import ScenarioError
        from gradstep.engine.scenario import load_scenario, resolve_scenario

        try:
            screen = DashboardScreen(load_scenario(resolve_scenario(str(path))))
        except ScenarioError as exc:
            self._error(str(exc))
        except (OSError, ValueError) as exc:
            self._error(f"{path}: {exc}")
        except MemoryError as exc:  # the last resort, for what the memory budget did not foresee
            self._error(f"{path}: {memory_message(exc)}")
        else:
            self._pause()
            self.app.switch_screen(screen)

    def _error(self, text: str) -> None:
        from gradstep.tui.screens.error_dialog import ErrorDialog

        self.app.push_screen(ErrorDialog(_("cannot open this scenario"), text))

    def action_help(self) -> None:
        from gradstep.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.session.optimizer_kind, self.BINDINGS))

    def action_quit(self) -> None:
        self._pause()
        self.app.exit()


def _import_dialogs() -> None:
    """Import the dialogs once the first frame is out, so that ``?`` and ``o`` answer at once."""
    import gradstep.tui.screens.error_dialog  # noqa: F401
    import gradstep.tui.screens.export_dialog  # noqa: F401
    import gradstep.tui.screens.help  # noqa: F401
    import gradstep.tui.screens.jump_dialog  # noqa: F401
    import gradstep.tui.screens.open_scenario  # noqa: F401
    import gradstep.tui.screens.save_dialog  # noqa: F401
