"""The misconception lab (``M``): Adam as the tutorial writes it, and two common slips, in
lockstep with Adam itself.

The view follows the dashboard: ``space`` and ``r`` step the dashboard's session, and the lab
(:class:`~gradstep.engine.analysis.misconceptions.Lab`, its own correct run and the three
mistaken ones, from the scenario's start with the same batches) catches up to the dashboard's
step. Going back in time rebuilds the lab and replays it. The loss chart shows the correct run
bright and the mistakes dimmed, and beside it every run's path over the loss surface; the table gives each run's loss, parameters and moments at the
step, and the first step where it departed from Adam.
"""

from __future__ import annotations

import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from gradstep.engine.analysis.misconceptions import ADAM_FAMILY, VARIANTS, Lab
from gradstep.engine.analysis.surface import entry_label, surface, window
from gradstep.engine.training.session import Diverged
from gradstep.tui.format import num
from gradstep.tui.i18n import _
from gradstep.tui.screens.math_view import MathView
from gradstep.tui.screens.surface_view import MAX_SLOW_POINTS, thinned
from gradstep.tui.widgets.heat_map import GREYS, HeatMap, Overlay, sequential, skewed
from gradstep.tui.widgets.race_chart import RaceChart
from gradstep.tui.widgets.key_footer import KeyFooter

__all__ = ["LabView", "CATCH_UP", "FEW"]

CATCH_UP = 2000
"""Steps the lab takes per poll while catching up with the dashboard (a long run takes a few
polls, and the screen answers meanwhile)."""

FEW = 4
"""Up to this many parameter entries, the table shows each; beyond, norms."""

CORRECT = (74, 222, 128)
"""Adam itself: bright green. The mistakes are dimmer."""

MISTAKES = {"tutorial": (251, 146, 60), "no_bias_correction": (232, 121, 249), "no_zero_grad": (34, 211, 238)}

def short_labels() -> dict[str, str]:
    """Each run's name in the chart and the table (the full description goes below the table)."""
    return {"correct": _("Adam (correct)"), "tutorial": _("the tutorial's formulas"),
            "no_bias_correction": _("no bias correction"), "no_zero_grad": _("no zero_grad")}


CEILING = 100.0
"""The chart leaves out losses above this many times the loss at the start."""


class LabView(MathView):
    """Adam and its misconceptions side by side, following the dashboard's steps."""

    CSS_PATH = "race_view.tcss"
    BINDINGS = [*MathView.STEPS_BINDINGS]

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard)
        self.lab = Lab(self.scenario)
        self.stopped = None  # the correct run's divergence, once it diverged

    @staticmethod
    def unavailable(scenario) -> str | None:
        """Why the lab cannot open on ``scenario`` (not an Adam-family optimizer), or None."""
        if scenario.optimizer.kind in ADAM_FAMILY:
            return None
        return _("the misconception lab needs an Adam-family optimizer (adam, adamw, amsgrad); "
                 "this scenario uses {kind}").format(kind=scenario.optimizer.kind)

    def compose(self) -> ComposeResult:
        yield Static(id="race-head")
        with Horizontal(id="race-top"):
            yield RaceChart(id="race-chart")
            if self.lab.traced is not None:
                with Vertical(id="race-paths"):
                    yield HeatMap(id="race-map")
        with VerticalScroll(id="lab-bottom"):  # on a small terminal, the arrows scroll the rows
            yield Static(id="race-table")
            yield Static(id="lab-notes")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#race-chart").border_title = _("loss")
        self._surface = self._bounds = self._kept = None

    def on_resize(self, event) -> None:
        # Below 30 lines the chart needs the room: the notes go, the head keeps one line.
        self.set_class(event.size.height < 30, "-small")
        self._seen = None  # draw again at the new size

    # -- following the dashboard -----------------------------------------------------------
    def session_changed(self) -> None:
        target = self.training.position()[0]
        if target < self.lab.t:  # the dashboard went back: replay from the start
            self.lab = Lab(self.scenario)
            self.stopped = None
        for _step in range(min(target - self.lab.t, CATCH_UP)):
            if self.stopped is not None:
                break
            try:
                self.lab.step()
            except Diverged as exc:
                self.stopped = exc
        if self.lab.t < target and self.stopped is None:
            self._seen = None  # not there yet: the next poll goes on
        self.draw(target)

    # -- drawing ---------------------------------------------------------------------------
    def draw(self, target: int) -> None:
        lab = self.lab
        self.query_one("#race-head", Static).update(self._head(target))
        labels = short_labels()
        series = []
        for name, variant in lab.variants.items():
            r, g, b = MISTAKES[name]
            series.append((labels[name], np.asarray(variant.losses, dtype=float),
                           (r * 2 // 3, g * 2 // 3, b * 2 // 3)))
        # Adam last, drawn over the mistakes where they still agree with it.
        series.append((labels["correct"], np.asarray(lab.correct_losses, dtype=float), CORRECT))
        start = lab.correct_losses[0] if lab.correct_losses else np.nan
        ceiling = CEILING * abs(start) if np.isfinite(start) and start else np.inf
        self.query_one(RaceChart).show(series, None, ceiling)
        if lab.traced is not None:
            self._paths(lab.paths())
        self.query_one("#race-table", Static).update(self._table())
        self.query_one("#lab-notes", Static).update(self._notes())

    def _head(self, target: int) -> Text:
        text = Text()
        text.append(_("misconception lab on {scenario}").format(scenario=self.scenario.name), style="bold")
        if not self.has_class("-small"):
            text.append(" — " + _("Adam beside the tutorial's formulas and two slips; same start, same "
                                  "batches, the scenario's hyperparameters"))
        text.append("\n")
        text.append(_("step {t}").format(t=self.lab.t), style="bold")
        if self.lab.t < target and self.stopped is None:
            text.append("   " + _("catching up with the dashboard (step {t})").format(t=target))
        if self.stopped is not None:
            text.append("   " + _("Adam itself diverged at step {t}").format(t=self.stopped.step), style="bold red")
        if not self.has_class("-small"):
            text.append("\n" + _("space steps, r runs the dashboard; the lab follows it. The engine "
                                 "trains with Adam's correct formulas; the mistakes live only here."),
                        style="dim")
        return text

    def _table(self) -> Table:
        lab = self.lab
        few = lab.correct.theta.size <= FEW
        names = _entry_names(lab.correct) if few else []
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
        table.add_column(_("run"))
        table.add_column(_("departs at step"), justify="right")
        table.add_column(_("loss"), justify="right")
        if few:
            for label in ("θ", "V", "S"):
                table.add_column(f"{label} ({', '.join(names)})", justify="right")
        else:
            table.add_column("‖θ − θ_Adam‖", justify="right")
            table.add_column("‖V‖", justify="right")
            table.add_column("‖S‖", justify="right")
        state = lab.correct.record.opt_state if lab.t else None
        reference = lab.correct.theta
        labels = short_labels()
        rows = [(labels["correct"], CORRECT, None, lab.correct_losses, reference,
                 None if state is None else state["V"], None if state is None else state["S"], None)]
        for name, v in lab.variants.items():
            rows.append((labels[name], MISTAKES[name], v.departed_at, v.losses, v.theta, v.V, v.S,
                         v.diverged_at))
        for label, (r, g, b), departed, losses, theta, V, S, diverged in rows:
            loss = num(losses[-1]) if losses else "—"
            if diverged is not None:
                loss = _("diverged at step {t}").format(t=diverged)
            when = "—" if departed is None else str(departed)
            if few:
                cells = [_vector(theta), _vector(V), _vector(S)]
            else:
                cells = [num(float(np.linalg.norm(theta - reference))), _norm(V), _norm(S)]
            table.add_row(Text(f"━━ {label}", style=f"bold rgb({r},{g},{b})"), when, loss, *cells)
        return table


    def _paths(self, paths) -> None:
        """Every run's path over the loss surface of the two traced entries, the mistakes dimmed
        as on the loss chart; beyond two entries the surface is a slice through Adam's other
        entries at the step it was drawn for (drawn again when a path leaves its window)."""
        lab = self.lab
        heat = self.query_one(HeatMap)
        # The window frames the runs the loss chart keeps (not left far above the start): one
        # that blows up (the tutorial's formulas do) runs out of the picture instead of
        # shrinking the others to a dot.
        start = lab.correct_losses[0] if lab.correct_losses else np.nan
        ceiling = CEILING * abs(start) if np.isfinite(start) and start else np.inf
        losses = {"correct": lab.correct_losses, **{n: v.losses for n, v in lab.variants.items()}}
        kept = tuple(name for name in paths if not losses[name] or abs(losses[name][-1]) <= ceiling)
        points = np.vstack([paths[name] for name in kept or paths])
        points = points[np.all(np.isfinite(points), axis=1)]
        if not len(points):
            return
        (x0, x1), (y0, y1) = self._bounds or ((np.inf, -np.inf), (np.inf, -np.inf))
        inside = bool(np.all((points[:, 0] >= x0) & (points[:, 0] <= x1)
                             & (points[:, 1] >= y0) & (points[:, 1] <= y1)))
        if self._surface is None or not inside or kept != self._kept:
            self._kept = kept
            self._bounds = window(points)
            rows, cols = heat.grid_shape()
            if self.scenario.kind != "objective":
                while rows * cols > MAX_SLOW_POINTS:
                    rows, cols = max(rows // 2, 2), max(cols * 3 // 4, 2)
            x, y = lab.traced
            self._surface = surface(lab.correct, x=x, y=y, shape=(rows, cols), bounds=self._bounds)
            title = _("paths over L({x}, {y})").format(x=entry_label(*x), y=entry_label(*y))
            if lab.correct.layout.size > 2:
                title += " " + _("(other entries: Adam's at step {t})").format(t=lab.t)
            self.query_one("#race-paths").border_title = title
        s = self._surface
        overlays = []
        for name, path in paths.items():
            r, g, b = CORRECT if name == "correct" else MISTAKES[name]
            colour = (r, g, b) if name == "correct" else (r * 2 // 3, g * 2 // 3, b * 2 // 3)
            shown = thinned(path[np.all(np.isfinite(path), axis=1)], 1500)
            overlays.append(Overlay(shown[:, 0], shown[:, 1], colour, "•", joined=True, last="◆"))
        overlays.append(overlays.pop(0))  # Adam last, over the mistakes where they agree
        heat.show(s.xs, s.ys, sequential(s.Z, log=skewed(s.Z), bands=10, anchors=GREYS), overlays, s.x, s.y)

    def _notes(self) -> Text:
        text = Text(style="dim")
        labels = short_labels()
        for name, description in VARIANTS.items():
            text.append(f"{labels[name]}: ", style="bold")
            text.append(_(description) + "\n")
        text.append(_("V and S are what each run carries to the next step: Adam's raw moments, the "
                      "tutorial's corrected ones. The loss is taken before each step's update."))
        return text


def _entry_names(session) -> list[str]:
    """Each flat entry's name (``a``, ``W[0,1]``): only used when there are few."""
    names = []
    for name, shape in zip(session.layout.names, session.layout.shapes):
        if not shape:
            names.append(name)
        else:
            names += [f"{name}[{','.join(map(str, i))}]" for i in np.ndindex(*shape)]
    return names


def _vector(values) -> str:
    if values is None:
        return "—"
    return "(" + ", ".join(num(float(x)) for x in np.ravel(values)) + ")"


def _norm(values) -> str:
    return "—" if values is None else num(float(np.linalg.norm(values)))
