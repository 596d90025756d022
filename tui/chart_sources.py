"""What the loss chart draws: :data:`~gradstep.tui.widgets.loss_chart.Source` functions over
the engine's history, its step metrics and its learning-rate schedule, read when the chart draws
(the training thread may be adding steps meanwhile, which the history allows)."""

from __future__ import annotations

import numpy as np

from gradstep.tui.widgets.loss_chart import Source

__all__ = ["loss_curves", "chart_curves", "alpha_curve"]


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


def chart_curves(session, shows: str) -> Source:
    """The loss chart's source for what it ``shows`` (:data:`~gradstep.tui.widgets.loss_chart.VIEWS`):
    the loss and its L1 and L2 terms, each step's α, or the accuracy (train and validation)."""
    metrics = session.metrics
    if shows == "alpha":
        return alpha_curve(session)
    history = session.history
    names = () if metrics is None else metrics.names
    wanted = ("accuracy", "val_accuracy") if shows == "accuracy" else ("l1", "l2")
    extra = [name for name in wanted if name in names]
    loss = loss_curves(history) if shows == "loss" else (lambda columns, low: {})

    def curves(columns: int, low: float | None):
        out = loss(columns, low)
        n = len(history.scalars)
        for name in extra:
            out[name] = (*metrics.envelope(name, columns, low, stop=n), 1, n)
        return out
    return curves


def alpha_curve(session) -> Source:
    """The loss chart's :data:`~gradstep.tui.widgets.loss_chart.Source` in its α mode: the
    learning rate each step of the current branch uses (a schedule's α, scaled by ``[`` / ``]``),
    from the session's schedule, which depends on the step alone: at most two values a column."""
    def curves(columns: int, low: float | None):
        n = session.furthest
        if n < 1:
            return {"alpha": None}
        steps = np.arange(1, n + 1) if n <= 2 * columns else \
            np.unique(np.linspace(1, n, 2 * columns).round().astype(np.int64))
        values = np.array([session.alpha_at(int(t)) for t in steps])
        return {"alpha": (steps, values, 1, n)}
    return curves
