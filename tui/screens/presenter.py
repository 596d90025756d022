"""Pushes a step record down into the dashboard's widgets (the screen's half that only shows).

Every number handed to a widget is read from a :class:`~gradstep.engine.training.record.StepRecord` (or from the
engine's history and the dashboard's, which hold copies of records' numbers); nothing here
computes a quantity of the model. The only arithmetic is the loss's change from the step
before, in the status line.

The record shown is the one of the step the session stands at (``session.t``), which after going
back in time is not the latest: the charts then show the whole history with that step marked.
"""

from __future__ import annotations

import time
from functools import cached_property

import numpy as np
from textual.widgets import Static

from gradstep.engine.errors import ScenarioError
from gradstep.engine.optim import STATE_SYMBOLS, effective_lr_formula, optimizer_title, step_notes
from gradstep.tui.format import num, short
from gradstep.tui.i18n import _, language
from gradstep.tui.widgets.equations_view import EquationsView
from gradstep.tui.widgets.layer_list import LayerList
from gradstep.tui.chart_sources import chart_curves
from gradstep.tui.widgets.loss_chart import VIEWS, LossChart
from gradstep.tui.widgets.matrix_view import MatrixView
from gradstep.tui.widgets.param_chart import ParamChart
from gradstep.tui.widgets.state_table import StateTable
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.timeline import Timeline
from gradstep.tui.screens.reach_shown import show_reach_progress, show_reaching
from gradstep.tui.screens.up_close import UpClose

__all__ = ["Presenter", "STATE_LABELS", "EFFECTIVE_LR", "VALUES", "CONSTANT",
           "effective_lr_formula", "paired_constants"]

STATE_LABELS = {**STATE_SYMBOLS, "update": "Δθ", "lr_eff": "α_eff", "theta": "θ"}
"""How each array of the state panel (the parameters, the optimizer's state, as the registry writes
it, the update and the effective step size) is titled on screen."""

EFFECTIVE_LR = "lr_eff"
"""The key of the effective step size among the state panel's arrays (``record.effective_lr``)."""

VALUES = "theta"
"""The key of the parameters themselves (after the step) among the state panel's arrays."""

CONSTANT = "const"
"""The key of the first constant beside the parameter of its shape (``const1``, ``const2``, ...)."""


def paired_constants(scenario) -> tuple[tuple[str, str], ...]:
    """``(constant, parameter)`` for each constant of an objective that has the shape of an array
    parameter (the 3x5 example's target ``Y`` beside its prediction ``Y_pred``): shown in that
    parameter's table, since the gradient is read against it."""
    model = scenario.model
    params = getattr(model, "params", {})
    arrays = {name: np.shape(v) for name, v in params.items() if np.ndim(v) >= 1}
    pairs = []
    for name, value in getattr(model, "constants", {}).items():
        match = next((p for p, shape in arrays.items() if shape == np.shape(value)), None)
        if match is not None:
            pairs.append((name, match))
    return tuple(pairs)


class Presenter:
    """Writes the dashboard's widgets from the screen's session, history and selection."""

    def __init__(self, screen) -> None:
        self.screen = screen
        self._charts_drawn = 0.0
        self._initial: tuple[object, float | None] = (None, None)  # (session, L(θ₀))

    def everything(self, record, steps_per_second: float | None = None, live: bool = False) -> None:
        """Show ``record`` (None before the first step) in every widget.

        Args:
            record: The step record to show.
            steps_per_second: The training thread's speed, shown while running.
            live: A frame of a continuous run: the charts may skip it (they are redrawn at
                most every :attr:`~gradstep.tui.pacing.Pace.charts` seconds) to leave the
                engine and the other dashboards of a classroom their time.
        """
        if self._reach_shown():
            return
        now = time.monotonic()
        charts = not live or now - self._charts_drawn >= self.screen.training.current_pace().charts
        if charts:
            self._charts_drawn = now
        self.status(record, steps_per_second)
        if charts:
            self.loss()
        self.timeline()
        self.layers(record, sparklines=charts)
        self.matrices(record)
        self.up_close(record, chart=charts)
        if self.screen.mode != "diverged":
            self.screen.query_one("#banner", Static).remove_class("-shown")

    def reaching(self, step: int, fraction: float) -> None:
        """Show step ``step`` while a far goto replays it (:func:`~.reach_shown.show_reaching`)."""
        show_reaching(self, step, fraction)

    def reaching_progress(self, step: int, fraction: float) -> None:
        show_reach_progress(self, step, fraction)

    def _reach_shown(self) -> bool:
        """While a far goto is on its way, show it instead of a record (True)."""
        reach = getattr(self.screen, "reaching", None)
        if reach is None:
            return False
        self.reaching(reach.target, reach.fraction)
        return True

    def status(self, record, steps_per_second: float | None = None) -> None:
        if self._reach_shown():
            return
        screen = self.screen
        status = screen.query_one(StatusLine)
        session = screen.session
        scenario = screen.scenario
        status.scenario = scenario.name
        status.description = scenario.description_for(language()) or scenario.headline()
        status.step = 0 if record is None else record.step
        status.furthest = session.furthest
        if record is None:  # step 0: the loss at θ₀, which step 1 will report too
            status.loss, status.loss_theta, status.loss_batch = self.initial_loss(), 0, False
        else:
            status.loss, status.loss_theta = record.loss, record.step - 1
            status.loss_batch = session.minibatches
        clipped = None if record is None else record.clipped_norm
        status.clip = None if clipped is None else (record.grad_norm, clipped)
        previous = screen.record_at(record.step - 1) if record is not None and record.step >= 2 else None
        status.loss_change = None if previous is None else record.loss - previous.loss
        status.optimizer = session.optimizer_kind
        schedule = session.lr_schedule  # the next step's α (and one-cycle's momentum) under a schedule
        status.hyper = dict(session.hyper if schedule is None else
                            schedule.hyper_for(session.t + 1, session.optimizer_kind, session.hyper))
        status.mode = screen.mode
        status.steps_per_second = steps_per_second if screen.mode == "running" else None
        status.speed = screen.speed_label()
        status.curvature = screen.curvature.follow()
        screen.phases.adjust(status)
        status.progress = None

    def initial_loss(self) -> float | None:
        """L(θ₀) on the whole training set: step 1's loss when the history keeps step 1 with the
        whole set as its batch, else evaluated once per session (one forward pass, under the
        controller's lock)."""
        session = self.screen.session
        if self._initial[0] is not session:
            first = None if session.minibatches else self.screen.record_at(1)
            if first is not None:
                value = first.loss
            else:
                try:
                    with self.screen.training.reading() as held, np.errstate(all="ignore"):
                        value = float(held.loss_at(held.step_inputs(1)[0]))
                except (ScenarioError, MemoryError):  # over the memory budget: shown as unknown
                    value = None
            self._initial = (session, value)
        return self._initial[1]

    def loss(self) -> None:
        """The loss curve from the engine's history: the chart asks it for as many points as it
        has columns, never for the whole run."""
        screen = self.screen
        session = screen.session
        marks = tuple(step for step, _old, _new in screen.history.lr_changes)
        current = session.t if session.t < session.furthest else None
        chart = screen.query_one(LossChart)
        chart.rates = screen.curvature.rates()
        chart.show(chart_curves(session, chart.shows), marks, current=current)

    def loss_title(self) -> None:
        """The loss panel's title: what the chart shows (the loss or α), and on what scale."""
        chart = self.screen.query_one(LossChart)
        if chart.shows == "alpha":
            title = _("learning rate α (log scale)") if chart.log_scale else _("learning rate α")
        elif chart.shows == "accuracy":
            title = _("accuracy (log scale)") if chart.log_scale else _("accuracy")
        else:
            title = _("loss (log scale)") if chart.log_scale else _("loss")
        self.screen.query_one("#loss-panel").border_title = title

    def next_chart(self) -> None:
        """The loss chart's next view: loss, α, accuracy (when the scenario classifies), loss."""
        chart = self.screen.query_one(LossChart)
        metrics = self.screen.session.metrics
        views = [v for v in VIEWS if v != "accuracy" or (metrics is not None and "accuracy" in metrics.names)]
        chart.shows = views[(views.index(chart.shows) + 1) % len(views)]
        self.loss_title()
        self.loss()

    def lr_note(self, factor: float, old: float, new: float) -> str:
        """The note after ``[`` / ``]`` changed the learning rate ``old`` → ``new``: under a
        schedule, what that makes of the next step's α."""
        session = self.screen.session
        step, schedule = session.t + 1, session.lr_schedule
        if schedule is None:
            return _("learning rate α {old} → {new} from step {step}").format(
                old=short(old), new=short(new), step=step)
        return _("the α schedule ×{factor} from step {step}: α {old} → {new}").format(
            factor=short(factor), old=short(schedule.scaled_alpha(step, old)),
            new=short(schedule.scaled_alpha(step, new)), step=step)

    def toggle_log_scale(self) -> None:
        """The loss chart: a linear or a logarithmic scale."""
        chart = self.screen.query_one(LossChart)
        chart.log_scale = not chart.log_scale
        self.loss_title()

    def timeline(self) -> None:
        session = self.screen.session
        timeline = self.screen.query_one(Timeline)
        span = session.history.ghost_span
        timeline.t = session.t
        timeline.furthest = session.furthest
        timeline.branch = None if span is None else span[0]
        timeline.ghost_end = None if span is None else span[1]

    def layers(self, record, sparklines: bool = True) -> None:
        """The layer list: each parameter's gradient norm now, and (with ``sparklines``; while
        running, as often as the charts) its sparkline from the engine's scalar log."""
        screen = self.screen
        layers = screen.query_one(LayerList)
        layout = screen.session.layout
        n = 0 if record is None else record.step
        if layers.grids is not screen.grids:
            layers.grids = screen.grids
            layers.shapes = dict(zip(layout.names, layout.shapes))
        if sparklines:
            layers.norms = screen.history.grad_norms(n)
        layers.param_norms = {} if record is None else dict(record.grad_norms)
        layers.layer_norms = {} if record is None else dict(record.layer_grad_norms)
        layers.selected = screen.layer_index

    def state_keys(self) -> tuple[str, ...]:
        """The arrays of the state panel, in order: the parameters and the constants beside them
        (tables only: the scalars' table leaves them to the up-close panel), the optimizer's
        state, the update and the effective step size where it differs between entries (for SGD
        and momentum it is α everywhere, which the panel's subtitle says in one line)."""
        screen = self.screen
        keys = [VALUES, *(f"{CONSTANT}{i + 1}" for i in range(len(paired_constants(screen.scenario))))]
        keys += [*screen.state_names, "update"]
        if screen.panel_lr_eff:  # the step size of the optimizer whose arrays the panel shows varies
            keys.append(EFFECTIVE_LR)
        return tuple(keys)

    def label(self, key: str) -> str:
        """The title of one of :meth:`state_keys` on screen: the parameter's own name when the
        scenario has only one (``Y_pred``), the constant's name (``Y``), else the symbol."""
        if key == VALUES:
            names = self.screen.session.layout.names
            return names[0] if len(names) == 1 else STATE_LABELS[VALUES]
        if key.startswith(CONSTANT):
            return paired_constants(self.screen.scenario)[int(key.removeprefix(CONSTANT)) - 1][0]
        return STATE_LABELS.get(key, key)

    def _array(self, record, key: str):
        """``{name: array}`` of the record for one of :meth:`state_keys` (``record`` None:
        the parameters before step 1)."""
        if key == VALUES:
            return self.screen.history.initial if record is None else record.params
        if key.startswith(CONSTANT):
            constant, param = paired_constants(self.screen.scenario)[int(key.removeprefix(CONSTANT)) - 1]
            return {param: self.screen.scenario.model.constants[constant]}
        if key == "update":
            return record.update
        if key == EFFECTIVE_LR:
            return record.effective_lr
        return {name: per[key] for name, per in record.state.items()} if key in record.flat_state else None

    def _holds(self, key: str, grid) -> bool:
        """Whether ``key``'s arrays can be shown in ``grid`` (a constant only in its parameter's)."""
        if not key.startswith(CONSTANT):
            return True
        return paired_constants(self.screen.scenario)[int(key.removeprefix(CONSTANT)) - 1][1] in grid.params

    def matrix_views(self):
        """``(view, arrays of the record to show, shown before step 1)`` for every matrix on the
        screen (the parameters and the constants are there before the first step)."""
        screen = self.screen
        yield screen.query_one("#grad", MatrixView), lambda r: r.grads, False
        yield screen.query_one("#view-grad", MatrixView), lambda r: r.grads, False
        for k in self.state_keys():
            yield (screen.query_one(f"#view-{k}", MatrixView), lambda r, k=k: self._array(r, k),
                   k == VALUES or k.startswith(CONSTANT))

    def _shown(self, view: MatrixView) -> bool:
        """Whether the layout shows ``view`` (``dashboard.tcss``: the gradient panel is hidden
        below 120 columns; one tab's view at a time, except from 200 columns)."""
        screen = self.screen
        if view.id == "grad":
            return not screen.has_class("-narrow")
        return screen.has_class("-wide") or view.has_class("-active")

    shown = _shown  # (public: the phases update the gradient matrices alone)

    def matrices(self, record) -> None:
        if self._reach_shown():
            return
        screen = self.screen
        session = screen.session
        grid = screen.grids[screen.layer_index]
        screen.restate(record)  # another optimizer's arrays: the panel is made again
        self.table(record, grid)
        tabs = screen.query_one("#state-tabs")
        for key in self.state_keys():
            if key.startswith(CONSTANT):  # a constant shows beside its own parameter only
                holds = self._holds(key, grid)
                tabs.show(f"tab-{key}") if holds else tabs.hide(f"tab-{key}")
                screen.query_one(f"#view-{key}").set_class(not holds, "-elsewhere")
        for view, arrays, before_step_1 in self.matrix_views():
            if view.grid is not grid:
                view.grid = grid
            # A view the layout hides gets its numbers when it is shown (a tab picked, the
            # terminal resized): at 784x128 each costs a table's worth of work every frame.
            shown = (record is not None or before_step_1) and self._shown(view)
            if shown and view.id.startswith(f"view-{CONSTANT}") and view.has_class("-elsewhere"):
                shown = False
            shown = arrays(record) if shown else None  # None too: not in this record (restate)
            view.values = None if shown is None else grid.values(shown)
            view.cursor = screen.cursor
            view.waiting = ""
        kind = session.optimizer_kind if record is None else record.optimizer
        hyper = session.hyper if record is None else record.hyper
        formula = f"α_eff = {effective_lr_formula(kind, hyper)}"
        varies = EFFECTIVE_LR in self.state_keys()
        if varies:
            screen.query_one(f"#view-{EFFECTIVE_LR}", MatrixView).caption = formula
        title = optimizer_title(kind)
        t = 0 if record is None else record.step
        state = screen.query_one("#state")
        state.border_title = self.state_title(t)
        screen.query_one("#gradient").border_title = _("gradient ∂L/∂θ — {layer}").format(layer=grid.title)
        notes = []
        # α_eff as a table where it differs between entries; else one line says it is α (the
        # scalars' table says it under its numbers).
        if (not varies and not screen.has_class("-scalars")) or (tabs.display and tabs.active == f"tab-{EFFECTIVE_LR}"):
            notes.append(formula)
        if record is not None and record.bias_correction1 is not None:
            notes.append(f"1−β1ᵗ = {num(record.bias_correction1)}  1−β2ᵗ = {num(record.bias_correction2)}")
        if record is not None:  # the optimizer's own step-wide numbers (NAdam's Πₜ, RAdam's ρₜ)
            notes += [f"{label} = {num(value)}" for label, value in
                      step_notes(record.optimizer, record.opt_state, record.hyper) if value is not None]
        state.border_subtitle = "  ".join(notes)

    def state_title(self, t: int) -> str:
        """The state panel's title at step ``t`` (the layout gives the panel room for it)."""
        screen = self.screen
        return _("{optimizer} state — {layer}, t = {t}").format(
            optimizer=optimizer_title(screen.session.optimizer_kind), layer=screen.grids[screen.layer_index].title, t=t)

    def table(self, record, grid) -> None:
        """The scalars' table (shown instead of the matrices when the grid is one row of them)."""
        screen = self.screen
        scalars = grid.row_labels == ("",)
        screen.set_class(scalars, "-scalars")
        if not scalars:
            return
        table = screen.query_one(StateTable)
        if table.rows != grid.col_labels:
            table.rows = grid.col_labels
        table.cursor_row = screen.cursor[1]
        if record is None:
            table.columns = (("θ", grid.values(screen.history.initial)[0]),)
            table.note = _("step 0: the initial parameters; g and the state come with step 1")
            return
        columns = [("g", grid.values(record.grads)[0])] if screen.has_class("-narrow") else []
        for k in self.state_keys():
            if k == VALUES or k.startswith(CONSTANT):  # the up-close panel shows the selected value
                continue
            if self._array(record, k) is not None:
                columns.append((STATE_LABELS.get(k, k), grid.values(self._array(record, k))[0]))
        table.columns = tuple(columns)
        table.note = f"α_eff = {effective_lr_formula(record.optimizer, record.hyper)}"

    def cursor(self, record) -> None:
        if self._reach_shown():
            return
        for view, _arrays, _before in self.matrix_views():
            view.cursor = self.screen.cursor
        self.screen.query_one(StateTable).cursor_row = self.screen.cursor[1]
        self.up_close(record)

    def up_close(self, record, chart: bool = True) -> None:
        self._up_close.show(record, chart)

    @cached_property
    def _up_close(self) -> UpClose:
        return UpClose(self.screen)
