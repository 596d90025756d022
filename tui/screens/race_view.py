"""The optimizer race: several optimizers trained in lockstep on the dashboard's scenario.

The runners are the engine's (:class:`gradstep.engine.analysis.race.Race`): the scenario's ``[[compare]]``
optimizers, or SGD, momentum, RMSprop and Adam at the scenario's learning rate when it lists
none. Each runner is a session of its own, so the dashboard's session is not touched. The race
has its own :class:`~gradstep.tui.race_controller.RaceController` (the dashboard's lock, mode and run
loop, over the race): ``space`` one step, ``n`` a hundred, ``r`` runs and pauses (a thread
worker running the controller's loop). A runner whose loss stops being finite stays where it
diverged.
"""

from __future__ import annotations

import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual.worker import get_current_worker

from gradstep.engine.analysis.race import Race
from gradstep.engine.scenario import OptimizerSpec
from gradstep.engine.analysis.surface import surface, window
from gradstep.engine.optim import HYPER_SYMBOLS
from gradstep.tui.format import num, rate, short
from gradstep.tui.i18n import _
from gradstep.tui.messages import RaceEnded, RaceFrame
from gradstep.tui.screens.math_view import MathView
from gradstep.tui.screens.surface_view import MAX_SLOW_POINTS, thinned
from gradstep.tui.race_controller import RaceController
from gradstep.tui.widgets.heat_map import GREYS, HeatMap, Overlay, sequential, skewed
from gradstep.tui.widgets.key_footer import KeyFooter
from gradstep.tui.widgets.race_chart import RaceChart

__all__ = ["RaceView", "default_specs", "THRESHOLD"]

THRESHOLD = 1e-3
"""The default threshold is this fraction of the loss at the start."""

DEFAULT_RACE = ("sgd", "momentum", "rmsprop", "adam")

COLOURS = ((34, 211, 238), (251, 146, 60), (232, 121, 249), (74, 222, 128), (250, 204, 21),
           (248, 113, 113))
"""One per runner: cyan, orange, magenta, green, yellow, red."""

CEILING = 10.0
"""The chart leaves out losses above this many times the loss at the start."""

def default_specs(scenario):
    """The scenario's ``[[compare]]`` optimizers, or the four classics at its learning rate."""
    if scenario.compare:
        return tuple(scenario.compare)
    return tuple(OptimizerSpec(kind=kind, lr=scenario.optimizer.lr) for kind in DEFAULT_RACE)


class RaceView(MathView):
    """Loss curves, paths on the loss surface, and who reached the threshold first."""

    CSS_PATH = "race_view.tcss"
    BINDINGS = [
        Binding("space", "race(1)", "step"),
        Binding("n", "race(100)", "×100"),
        Binding("r", "run", "run/pause"),
        Binding("g", "log_scale", "log"),
        Binding("left_square_bracket", "threshold(0.1)", "threshold÷10", key_display="["),
        Binding("right_square_bracket", "threshold(10)", "×10", key_display="]"),
    ]

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard)
        self.specs = default_specs(self.scenario)
        self.racing = RaceController(Race(self.scenario, self.specs))
        self.race = self.racing.race
        first = self.race.runners[0].session
        with np.errstate(all="ignore"):
            self.start_loss = first.loss_at(first.theta)
        self.threshold = THRESHOLD * self.start_loss if self.start_loss > 0 else None
        self.full = first.layout.size == 2
        self.speed = None
        self._bounds = None
        self._surface = None

    @property
    def running(self) -> bool:
        """Whether the race is running."""
        return self.racing.running

    def poll_key(self):
        return None  # the race does not follow the dashboard

    def compose(self) -> ComposeResult:
        yield Static(id="race-head")
        with Horizontal(id="race-top"):
            yield RaceChart(id="race-chart")
            if self.full:
                with Vertical(id="race-paths"):
                    yield HeatMap(id="race-map")
        yield Static(id="race-table")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#race-chart").border_title = _("loss")
        if self.full:
            x, y = self.race.traced_labels
            self.query_one("#race-paths").border_title = _("paths over L({x}, {y})").format(x=x, y=y)
        self.draw()

    def on_resize(self, event) -> None:
        # Below 100 columns or 30 lines the loss curves need the room: the paths panel goes.
        self.set_class(event.size.width < 100 or event.size.height < 30, "-small")

    def on_unmount(self) -> None:
        self.racing.pause()

    # -- stepping --------------------------------------------------------------------------
    def action_race(self, steps: int) -> None:
        self._pause()
        if steps == 1:
            self.racing.step()
            self.draw()
        else:
            self._start(steps)

    def action_run(self) -> None:
        if self.running:
            self._pause()
            self.draw()
        else:
            self._start(None)

    def _start(self, steps) -> None:
        run, stop = self.racing.start()
        self._run(steps, run, stop)

    def _pause(self) -> None:
        if self.racing.pause():
            self.speed = None

    @work(thread=True, exclusive=True, group="race")
    def _run(self, steps, run, stop) -> None:
        """Run the race controller's loop; its frames and its end come back to this screen as
        messages (never a blocking call into the UI thread, which may be closing)."""
        worker = get_current_worker()
        self.racing.run(steps, stop, lambda: worker.is_cancelled,
                        lambda _t, rate: self.post_message(RaceFrame(rate)))
        self.post_message(RaceEnded(run))

    def on_race_frame(self, message: RaceFrame) -> None:
        if not self.running:  # paused since it was posted
            return
        self.speed = message.steps_per_second
        self.draw()
        self.call_after_refresh(self.racing.drawn)  # the loop waits until this frame is painted

    def on_race_ended(self, message: RaceEnded) -> None:
        if self.racing.ended(message.run):
            self.speed = None
        self.draw()

    # -- drawing ---------------------------------------------------------------------------
    def draw(self) -> None:
        if self not in self.app.screen_stack:  # closed while its thread worked
            return
        with self.racing.reading() as race:
            summary = race.summary(self.threshold)
            losses = [(r.label, np.asarray(r.losses, dtype=float)) for r in race.runners]
            paths = race.trajectories() if self.full else None
            diverged = [r.diverged for r in race.runners]
            t = race.t
        colours = [COLOURS[i % len(COLOURS)] for i in range(len(losses))]
        self.query_one("#race-head", Static).update(self._head(t))
        start = self.start_loss
        ceiling = CEILING * abs(start) if np.isfinite(start) and start else np.inf
        self.query_one(RaceChart).show([(label, v, c) for (label, v), c in zip(losses, colours)],
                                       self.threshold, ceiling)
        self.query_one("#race-table", Static).update(self._table(summary, colours))
        if self.full:
            self._paths(paths, diverged, colours)

    def _head(self, t) -> Text:
        text = Text()
        text.append(_("optimizer race on {scenario}").format(scenario=self.scenario.name), style="bold")
        where = _("its [[compare]] list") if self.scenario.compare else \
            _("no [[compare]] list: the classics at its α = {lr}").format(lr=short(self.scenario.optimizer.lr))
        text.append(" — " + _("{count} optimizers ({where}); same start, same batches").format(
            count=len(self.race.runners), where=where) + "\n")
        text.append(_("step {t}").format(t=t), style="bold")
        if self.running:
            text.append("   " + _("▶ running"), style="bold green")
            if self.speed:
                text.append(f" {rate(self.speed)}")
        else:
            text.append("   " + _("‖ paused"), style="bold yellow")
        if self.threshold is not None:
            text.append("   " + _("threshold L ≤ {value}").format(value=num(self.threshold)), style="bold")
            ratio = self.threshold / self.start_loss
            text.append(f" = {short(ratio)} × L₀, " + _("L₀ = {value} the loss at the start").format(
                value=num(self.start_loss)))
        return text

    def _table(self, summary, colours) -> Table:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
        table.add_column(_("optimizer"))
        table.add_column(_("hyper"), overflow="fold")
        table.add_column(_("steps"), justify="right")
        reach = (_("first step L ≤ {value}").format(value=num(self.threshold)) if self.threshold is not None
                 else _("reached"))
        table.add_column(reach, justify="right")
        table.add_column(_("final L"), justify="right")
        table.add_column(_("best L"), justify="right")
        table.add_column("")
        for s, runner, (r, g, b) in zip(summary, self.race.runners, colours):
            hyper = "  ".join(f"{HYPER_SYMBOLS.get(k, k)} {short(v)}" for k, v in runner.hyper.items()
                              if k in ("lr", "momentum", "rho", "beta1", "beta2", "weight_decay")
                              and (v or k == "lr"))
            status = Text(_("diverged at step {t}").format(t=s.diverged_at) if s.diverged_at else "",
                          style="bold red")
            table.add_row(Text(f"━━ {s.label}", style=f"bold rgb({r},{g},{b})"), hyper, str(s.steps),
                          "—" if s.reached is None else str(s.reached),
                          "—" if s.final_loss is None else num(s.final_loss),
                          "—" if s.best_loss is None else num(s.best_loss), status)
        return table

    def _paths(self, paths, diverged, colours) -> None:
        heat = self.query_one(HeatMap)
        going = [p for p, d in zip(paths.values(), diverged) if not d]
        points = np.vstack(going or list(paths.values()))
        points = points[np.all(np.isfinite(points), axis=1)]
        if not len(points):
            return
        if self._bounds is None or not _inside(points, self._bounds):
            self._bounds = window(points)
            rows, cols = heat.grid_shape()
            session = self.race.runners[0].session
            if session.scenario.kind != "objective":
                while rows * cols > MAX_SLOW_POINTS:
                    rows, cols = max(rows // 2, 2), max(cols * 3 // 4, 2)
            x, y = self.race.traced
            self._surface = surface(session, x=x, y=y, shape=(rows, cols), bounds=self._bounds)
        s = self._surface
        rgb = sequential(s.Z, log=skewed(s.Z), bands=10, anchors=GREYS)
        overlays = []
        for (label, path), colour in zip(paths.items(), colours):
            shown = thinned(path, 1500)
            overlays.append(Overlay(shown[:, 0], shown[:, 1], colour, "•", joined=True, last="◆"))
        heat.show(s.xs, s.ys, rgb, overlays, s.x, s.y)

    # -- keys ------------------------------------------------------------------------------
    def action_log_scale(self) -> None:
        chart = self.query_one(RaceChart)
        chart.log_scale = not chart.log_scale

    def action_threshold(self, factor: float) -> None:
        if self.threshold is not None:
            self.threshold *= factor
            self.draw()

    def action_close(self) -> None:
        self._pause()
        super().action_close()


def _inside(points, bounds) -> bool:
    (x0, x1), (y0, y1) = bounds
    x, y = points[:, 0], points[:, 1]
    return bool(np.all((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)))
