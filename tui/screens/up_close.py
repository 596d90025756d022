"""The dashboard's up-close panel: the selected entry's step worked through the optimizer's
equations with the record's own numbers, and its g, V, V̂ and value over the recent steps.

Like the presenter it belongs to, it only shows: every number comes from step records (the
clipped g from the engine's own clipper, so it is the step's).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from gradstep.engine.optim import STATE_SYMBOLS, Scalar, derived_state, step_notes
from gradstep.engine.training.clipping import gradient_clipper
from gradstep.tui.equations import worked_lines
from gradstep.tui.format import num
from gradstep.tui.i18n import _
from gradstep.tui.widgets.equations_view import EquationsView
from gradstep.tui.widgets.param_chart import ParamChart

__all__ = ["UpClose", "CHART_STEPS"]

CHART_STEPS = 200
"""How many recent steps the up-close chart shows."""


class UpClose:
    """Writes the up-close panel of the dashboard ``screen`` for its selected entry."""

    def __init__(self, screen) -> None:
        self.screen = screen

    def show(self, record, chart: bool = True) -> None:
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
        g, note = record.grads[cell.param][cell.index], ()
        if record.clipped_norm is not None:  # the optimizer's g is the clipped one
            used = record.layout.views(self._clip(record.grad)[0])[cell.param][cell.index]
            if used != g:
                note = ((_("clipped: ∂L/∂θ = {raw} → g = {clipped} (‖∂L/∂θ‖ {norm} → {clipped_norm})").format(
                    raw=num(g), clipped=num(used), norm=num(record.grad_norm),
                    clipped_norm=num(record.clipped_norm)), None),)
            g = used
        scalar = Scalar(
            name=name, t=record.step, g=g, before=before,
            after=record.params[cell.param][cell.index], delta=record.update[cell.param][cell.index],
            prev=prev_state, state={k: v[cell.index] for k, v in record.state[cell.param].items()},
            hyper=dict(record.hyper), bias1=record.bias_correction1, bias2=record.bias_correction2,
            step=dict(step_notes(record.optimizer, record.opt_state, record.hyper)))
        where = cell.label if name == cell.label else f"θ = {cell.label}"
        panel.border_title = _("{entry} up close — step t = {t}").format(entry=where, t=record.step)
        equations.lines = note + tuple(worked_lines(record.optimizer, scalar))
        if chart:
            self._chart(plot, record, cell)

    @cached_property
    def _clip(self):
        """What clips the scenario's gradients (the engine's own, so its numbers are the step's)."""
        return gradient_clipper(self.screen.scenario.training, self.screen.session.layout)

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
                left[STATE_SYMBOLS[k]] = np.array([state[k][0] for state in states])
        chart.show(steps, left, (cell.label, np.array([r.theta[i] for r in recent])))


def _entry_state(record, i):
    """The optimizer's state of ``record`` at flat entry ``i``, its own and derived (``V_hat``),
    as one-element arrays."""
    state = {k: v[i:i + 1] if isinstance(v, np.ndarray) else v for k, v in record.opt_state.items()}
    state.update(derived_state(record.optimizer, state, record.hyper))
    return state
