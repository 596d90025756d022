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

import numpy as np
from textual.widgets import Static

from gradstep.engine.optim import STATE_SYMBOLS, Scalar, derived_state, effective_lr_formula, optimizer_title
from gradstep.tui.equations import worked_lines
from gradstep.tui.format import num
from gradstep.tui.i18n import _, language
from gradstep.tui.widgets.equations_view import EquationsView
from gradstep.tui.widgets.layer_list import LayerList
from gradstep.tui.widgets.loss_chart import LossChart, Source
from gradstep.tui.widgets.matrix_view import MatrixView
from gradstep.tui.widgets.param_chart import ParamChart
from gradstep.tui.widgets.state_table import StateTable
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.timeline import Timeline

__all__ = ["Presenter", "loss_curves", "CHART_STEPS", "STATE_LABELS", "EFFECTIVE_LR", "effective_lr_formula"]

STATE_LABELS = {**STATE_SYMBOLS, "update": "Δθ", "lr_eff": "α_eff"}
"""How each array of the state panel (the optimizer's state, as the registry writes it, the update
and the effective step size) is titled on screen."""

EFFECTIVE_LR = "lr_eff"
"""The key of the effective step size among the state panel's arrays (``record.effective_lr``)."""


CHART_STEPS = 200
"""How many recent steps the up-close chart shows."""

CHART_INTERVAL = 0.4
"""While running, the charts (the costliest widgets to draw) are redrawn at most this often."""


def loss_curves(history) -> Source:
    """The loss chart's :data:`~gradstep.tui.widgets.loss_chart.Source` over the engine's ``history``:
    the training and validation loss of steps 1 ... furthest and the abandoned branch's loss,
    each downsampled by the history to the chart's width (read when the chart draws: the
    training thread may be adding steps meanwhile, which the history allows)."""
    def curves(columns: int, low: float | None):
        n = len(history.scalars)  # one count for both curves of the current branch
        ghost = history.ghost_span
        return {
            "train": (*history.envelope("loss", columns, low, stop=n), 1, n),
            "validation": (*history.envelope("val", columns, low, stop=n), 1, n) if history.has_val else None,
            "ghost": None if ghost is None else (*history.envelope("ghost", columns, low), ghost[0] + 1, ghost[1]),
        }
    return curves


class Presenter:
    """Writes the dashboard's widgets from the screen's session, history and selection."""

    def __init__(self, screen) -> None:
        self.screen = screen
        self._charts_drawn = 0.0

    def everything(self, record, steps_per_second: float | None = None, live: bool = False) -> None:
        """Show ``record`` (None before the first step) in every widget.

        Args:
            record: The step record to show.
            steps_per_second: The training thread's speed, shown while running.
            live: A frame of a continuous run: the charts may skip it (they are redrawn at
                most every :data:`CHART_INTERVAL` seconds) to leave the engine its time.
        """
        now = time.monotonic()
        charts = not live or now - self._charts_drawn >= CHART_INTERVAL
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

    def status(self, record, steps_per_second: float | None = None) -> None:
        screen = self.screen
        status = screen.query_one(StatusLine)
        session = screen.session
        scenario = screen.scenario
        status.scenario = scenario.name
        status.description = scenario.description_for(language())
        status.step = 0 if record is None else record.step
        status.furthest = session.furthest
        status.loss = None if record is None else record.loss
        previous = screen.record_at(record.step - 1) if record is not None and record.step >= 2 else None
        status.loss_change = None if previous is None else record.loss - previous.loss
        status.optimizer = session.optimizer_kind
        status.hyper = dict(session.hyper)
        status.mode = screen.mode
        status.steps_per_second = steps_per_second if screen.mode == "running" else None
        status.speed = screen.speed_label()
        status.curvature = screen.curvature.follow()
        screen.phases.adjust(status)

    def loss(self) -> None:
        """The loss curve from the engine's history: the chart asks it for as many points as it
        has columns, never for the whole run."""
        screen = self.screen
        session = screen.session
        marks = tuple(step for step, _old, _new in screen.history.lr_changes)
        current = session.t if session.t < session.furthest else None
        chart = screen.query_one(LossChart)
        chart.rates = self.rates()
        chart.show(loss_curves(session.history), marks, current=current)

    def rates(self):
        """The learning rate along the run and 2/λ_max at the step shown, while ``K`` is on."""
        reading = self.screen.curvature.reading
        if reading is None:
            return None
        session = self.screen.session
        changes = self.screen.history.lr_changes
        staircase = [(0, changes[0][1] if changes else session.hyper["lr"])]
        staircase += [(step, new) for step, _old, new in changes]
        return staircase, reading.stable_lr

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

    def gradient(self, record) -> None:
        """Only the gradient matrices, from ``record`` (phases: the backward pass done, the
        update not yet shown)."""
        screen = self.screen
        grid = screen.grids[screen.layer_index]
        for view in (screen.query_one("#grad", MatrixView), screen.query_one("#view-grad", MatrixView)):
            view.values = grid.values(record.grads) if self._shown(view) else None

    def state_keys(self) -> tuple[str, ...]:
        """The arrays of the state panel, in order: the optimizer's state, the update and the
        effective step size."""
        return (*self.screen.state_names, "update", EFFECTIVE_LR)

    @staticmethod
    def _array(record, key: str):
        """``{name: array}`` of the record for one of :meth:`state_keys`."""
        if key == "update":
            return record.update
        if key == EFFECTIVE_LR:
            return record.effective_lr
        return {name: per[key] for name, per in record.state.items()}

    def _views(self):
        """``(view, arrays of the record to show)`` for every matrix on the screen."""
        screen = self.screen
        yield screen.query_one("#grad", MatrixView), lambda r: r.grads
        yield screen.query_one("#view-grad", MatrixView), lambda r: r.grads
        for k in self.state_keys():
            yield screen.query_one(f"#view-{k}", MatrixView), lambda r, k=k: self._array(r, k)

    def _shown(self, view: MatrixView) -> bool:
        """Whether the layout shows ``view`` (``dashboard.tcss``: the gradient panel is hidden
        below 120 columns; one tab's view at a time, except from 200 columns)."""
        screen = self.screen
        if view.id == "grad":
            return not screen.has_class("-narrow")
        return screen.has_class("-wide") or view.has_class("-active")

    def matrices(self, record) -> None:
        screen = self.screen
        session = screen.session
        grid = screen.grids[screen.layer_index]
        self.table(record, grid)
        for view, arrays in self._views():
            if view.grid is not grid:
                view.grid = grid
            # A view the layout hides gets its numbers when it is shown (a tab picked, the
            # terminal resized): at 784x128 each costs a table's worth of work every frame.
            shown = record is not None and self._shown(view)
            view.values = grid.values(arrays(record)) if shown else None
            view.cursor = screen.cursor
        kind = session.optimizer_kind if record is None else record.optimizer
        hyper = session.hyper if record is None else record.hyper
        screen.query_one(f"#view-{EFFECTIVE_LR}", MatrixView).caption = (
            f"α_eff = {effective_lr_formula(kind, hyper)}")
        title = optimizer_title(kind)
        t = 0 if record is None else record.step
        state = screen.query_one("#state")
        state.border_title = _("{optimizer} state — {layer}, t = {t}").format(optimizer=title, layer=grid.title, t=t)
        screen.query_one("#gradient").border_title = _("gradient ∂L/∂θ — {layer}").format(layer=grid.title)
        notes = []
        tabs = screen.query_one("#state-tabs")
        if tabs.display and tabs.active == f"tab-{EFFECTIVE_LR}":
            notes.append(f"α_eff = {effective_lr_formula(kind, hyper)}")
        if record is not None and record.bias_correction1 is not None:
            notes.append(f"1−β1ᵗ = {num(record.bias_correction1)}  1−β2ᵗ = {num(record.bias_correction2)}")
        state.border_subtitle = "  ".join(notes)

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
            columns.append((STATE_LABELS.get(k, k), grid.values(self._array(record, k))[0]))
        table.columns = tuple(columns)
        table.note = f"α_eff = {effective_lr_formula(record.optimizer, record.hyper)}"

    def cursor(self, record) -> None:
        for view, _arrays in self._views():
            view.cursor = self.screen.cursor
        self.screen.query_one(StateTable).cursor_row = self.screen.cursor[1]
        self.up_close(record)

    def up_close(self, record, chart: bool = True) -> None:
        screen = self.screen
        cell = screen.grids[screen.layer_index].cell(*screen.cursor)
        equations = screen.query_one(EquationsView)
        plot = screen.query_one(ParamChart)
        panel = screen.query_one("#upclose")
        name = cell.label if len(cell.label) <= 3 else "θ"
        if record is None:
            start = screen.history.initial[cell.param][cell.index]
            panel.border_title = _("{entry} up close: {value} before step 1").format(entry=cell.label,
                                                                                       value=num(start))
            equations.lines = ((_("press space to take step 1, n for 10, r to run"), None),)
            plot.show(np.zeros(0), {})
            return
        previous = screen.record_at(record.step - 1, fetch=True) if record.step >= 2 else None
        if previous is not None:
            before = previous.params[cell.param][cell.index]
            prev_state = {k: v[cell.index] for k, v in previous.state[cell.param].items()}
        else:  # step 1: the initial parameters and the optimizer's zero state
            before = screen.history.initial[cell.param][cell.index]
            prev_state = {k: 0.0 for k in record.state[cell.param]}
        scalar = Scalar(
            name=name, t=record.step, g=record.grads[cell.param][cell.index], before=before,
            after=record.params[cell.param][cell.index], delta=record.update[cell.param][cell.index],
            prev=prev_state, state={k: v[cell.index] for k, v in record.state[cell.param].items()},
            hyper=dict(record.hyper), bias1=record.bias_correction1, bias2=record.bias_correction2)
        where = cell.label if name == cell.label else f"θ = {cell.label}"
        panel.border_title = _("{entry} up close — step t = {t}").format(entry=where, t=record.step)
        equations.lines = tuple(worked_lines(record.optimizer, scalar))
        if chart:
            self._chart(plot, record, cell)

    def _chart(self, chart: ParamChart, record, cell) -> None:
        """The cell's g, V, V̂ and value over the recent steps the history keeps, read from the
        records' flat arrays at the cell's entry only (V̂ derived for that entry, not for the
        whole state of every record)."""
        first = max(1, record.step - CHART_STEPS + 1)
        recent = [r for r in map(self.screen.record_at, range(first, record.step)) if r is not None]
        recent.append(record)
        layout = self.screen.session.layout
        i = layout.slices[layout.index[cell.param]].start
        i += int(np.ravel_multi_index(cell.index, layout.shapes[layout.index[cell.param]])) if cell.index else 0
        steps = np.array([r.step for r in recent])
        left = {"g": np.array([r.grad[i] for r in recent])}
        states = [_entry_state(r, i) for r in recent]
        for k in ("V", "V_hat"):
            if k in states[-1]:
                left[STATE_LABELS[k]] = np.array([state[k][0] for state in states])
        chart.show(steps, left, (cell.label, np.array([r.theta[i] for r in recent])))


def _entry_state(record, i):
    """The optimizer's state of ``record`` at flat entry ``i``, its own and derived (``V_hat``),
    as one-element arrays."""
    state = {k: v[i:i + 1] if isinstance(v, np.ndarray) else v for k, v in record.opt_state.items()}
    state.update(derived_state(record.optimizer, state, record.hyper))
    return state
