"""What the dashboard shows while a far goto is on its way (``Presenter.reaching``): the
step's scalars, which the history logs for every step, at once, and in the panels that need
the step's arrays how far their replay is."""

from __future__ import annotations

import numpy as np

from gradstep.tui.i18n import _
from gradstep.tui.widgets.equations_view import EquationsView
from gradstep.tui.widgets.layer_list import LayerList
from gradstep.tui.widgets.param_chart import ParamChart
from gradstep.tui.widgets.state_table import StateTable
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.timeline import Timeline

__all__ = ["show_reaching", "show_reach_progress"]


def show_reaching(presenter, step: int, fraction: float) -> None:
    """Show step ``step`` as far as the scalar log holds it (its loss, validation loss and
    gradient norms: every step's are logged) while its arrays are replayed, the panels that
    need them saying how far the replay is (``fraction``, 0 to 1)."""
    screen = presenter.screen
    history = screen.session.history
    layout = screen.session.layout
    loss, _val, row = history.row(step)
    before = history.row(step - 1)[0] if step >= 2 else np.nan
    status = screen.query_one(StatusLine)
    status.step, status.furthest = step, screen.session.furthest
    status.loss = None if np.isnan(loss) else loss
    status.loss_theta, status.loss_batch = step - 1, screen.session.minibatches  # L(θₜ₋₁)
    status.loss_change = None if np.isnan(loss - before) else loss - before
    status.mode, status.progress = "reaching", fraction
    # The loss chart (tens of milliseconds of plotting) marks the step when it arrives.
    screen.query_one(Timeline).t = step
    layers = screen.query_one(LayerList)
    layers.norms = screen.history.grad_norms(step)
    layers.param_norms = {name: float(row[j]) for j, name in enumerate(layout.names)}
    layers.layer_norms = {layer: float(row[c]) for layer, c in zip(layout.layer_names(), layout.layer_columns)}
    for view, _arrays, _before in presenter.matrix_views():
        view.values = None
    screen.query_one(StateTable).columns = ()
    screen.query_one("#state").border_subtitle = ""
    screen.query_one(ParamChart).show(np.zeros(0), {})
    show_reach_progress(presenter, step, fraction)


def show_reach_progress(presenter, step: int, fraction: float) -> None:
    """Say how far the replay towards ``step`` is, where its arrays will be shown."""
    screen = presenter.screen
    screen.query_one(StatusLine).progress = fraction
    text = _("reaching step {step}… {percent}%").format(step=step, percent=int(100 * fraction))
    for view, _arrays, _before in presenter.matrix_views():
        view.waiting = text
    screen.query_one(StateTable).note = text
    screen.query_one("#state").border_title = text
    screen.query_one(EquationsView).lines = ((text, None),)
    screen.query_one("#upclose").border_title = text
