"""Pushes a step record down into the dashboard's widgets (the screen's half that only shows).

Every number handed to a widget is read from a :class:`~engine.record.StepRecord` (or from the
history, which holds copies of records' numbers); nothing here computes a quantity of the model.
The only arithmetic is the loss's change from the step before, in the status line.
"""

from __future__ import annotations

import time

import numpy as np
from textual.widgets import Static

from tui.equations import OPTIMIZER_TITLES, Scalar, worked_lines
from tui.format import num
from tui.widgets.equations_view import EquationsView
from tui.widgets.layer_list import LayerList
from tui.widgets.loss_chart import LossChart
from tui.widgets.matrix_view import MatrixView
from tui.widgets.param_chart import ParamChart
from tui.widgets.state_table import StateTable
from tui.widgets.status_line import StatusLine

__all__ = ["Presenter", "CHART_STEPS", "STATE_LABELS"]

STATE_LABELS = {"V": "V", "S": "S", "S_max": "S_max", "V_hat": "V̂", "S_hat": "Ŝ"}
"""How each optimizer state array is titled on screen."""

CHART_STEPS = 200
"""How many recent steps the up-close chart shows."""

CHART_INTERVAL = 0.4
"""While running, the charts (the costliest widgets to draw) are redrawn at most this often."""


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
        self.layers(record)
        self.matrices(record)
        self.up_close(record, chart=charts)
        if record is not None and self.screen.mode != "diverged":
            self.screen.query_one("#banner", Static).remove_class("-shown")

    def status(self, record, steps_per_second: float | None = None) -> None:
        screen = self.screen
        status = screen.query_one(StatusLine)
        session = screen.session
        scenario = screen.scenario
        status.scenario = scenario.name
        status.description = scenario.description
        status.step = 0 if record is None else record.step
        status.loss = None if record is None else record.loss
        losses = screen.history.loss()
        status.loss_change = (record.loss - losses[record.step - 2]
                              if record is not None and 2 <= record.step <= len(losses) else None)
        status.optimizer = session.optimizer_kind
        status.hyper = dict(session.hyper)
        status.mode = screen.mode
        status.steps_per_second = steps_per_second if screen.mode == "running" else None
        status.speed = screen.speed_label()

    def loss(self) -> None:
        history = self.screen.history
        n = len(history)
        self.screen.query_one(LossChart).show(history.steps(n), history.loss(n), history.val_loss(n),
                                              tuple(step for step, _, _ in history.lr_changes))

    def layers(self, record) -> None:
        screen = self.screen
        layers = screen.query_one(LayerList)
        layout = screen.session.layout
        n = len(screen.history) if record is None else record.step
        if layers.grids is not screen.grids:
            layers.grids = screen.grids
            layers.shapes = dict(zip(layout.names, layout.shapes))
        layers.norms = screen.history.grad_norms(n)
        layers.param_norms = {} if record is None else dict(record.grad_norms)
        layers.layer_norms = {} if record is None else dict(record.layer_grad_norms)
        layers.selected = screen.layer_index

    def _views(self):
        """``(view, arrays of the record to show)`` for every matrix on the screen."""
        screen = self.screen
        yield screen.query_one("#grad", MatrixView), lambda r: r.grads
        yield screen.query_one("#view-grad", MatrixView), lambda r: r.grads
        for k in screen.state_names:
            yield screen.query_one(f"#view-{k}", MatrixView), (
                lambda r, k=k: {name: per[k] for name, per in r.state.items()})
        yield screen.query_one("#view-update", MatrixView), lambda r: r.update

    def matrices(self, record) -> None:
        screen = self.screen
        grid = screen.grids[screen.layer_index]
        self.table(record, grid)
        for view, arrays in self._views():
            if view.grid is not grid:
                view.grid = grid
            view.values = None if record is None else grid.values(arrays(record))
            view.cursor = screen.cursor
        title = f"{OPTIMIZER_TITLES.get(screen.session.optimizer_kind, screen.session.optimizer_kind)}"
        t = 0 if record is None else record.step
        state = screen.query_one("#state")
        state.border_title = f"{title} state — {grid.title}, t = {t}"
        screen.query_one("#gradient").border_title = f"gradient ∂L/∂θ — {grid.title}"
        if record is not None and record.bias_correction1 is not None:
            state.border_subtitle = (f"1−β1ᵗ = {num(record.bias_correction1)}  "
                                     f"1−β2ᵗ = {num(record.bias_correction2)}")
        else:
            state.border_subtitle = ""

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
            table.columns = ()
            return
        columns = [("g", grid.values(record.grads)[0])] if screen.has_class("-narrow") else []
        for k in screen.state_names:
            arrays = {name: per[k] for name, per in record.state.items()}
            columns.append((STATE_LABELS.get(k, k), grid.values(arrays)[0]))
        columns.append(("Δθ", grid.values(record.update)[0]))
        table.columns = tuple(columns)

    def cursor(self, record) -> None:
        for view, _ in self._views():
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
            panel.border_title = f"{cell.label} up close: {num(start)} before step 1"
            equations.lines = (("press space to take step 1, n for 10, r to run", None),)
            plot.show(np.zeros(0), {})
            return
        previous = screen.history.record_at(record.step - 1)
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
        panel.border_title = f"{where} up close — step t = {record.step}"
        equations.lines = tuple(worked_lines(record.optimizer, scalar))
        if chart:
            self._chart(plot, record, cell)

    def _chart(self, chart: ParamChart, record, cell) -> None:
        """The cell's g, V, V̂ and value over the recent steps, read from the records' flat
        arrays (cheaper than building every record's per-parameter views)."""
        recent = [r for r in self.screen.history.recent(CHART_STEPS + 50) if r.step <= record.step]
        recent = recent[-CHART_STEPS:]
        layout = self.screen.session.layout
        i = layout.slices[layout.index[cell.param]].start
        i += int(np.ravel_multi_index(cell.index, layout.shapes[layout.index[cell.param]])) if cell.index else 0
        steps = np.array([r.step for r in recent])
        left = {"g": np.array([r.grad[i] for r in recent])}
        for k, label in (("V", "V"), ("V_hat", "V̂")):
            if k in record.flat_state:
                left[label] = np.array([r.flat_state[k][i] for r in recent])
        chart.show(steps, left, (cell.label, np.array([r.theta[i] for r in recent])))
