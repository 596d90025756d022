"""What the dashboard reads of the engine's history, and the one thing it adds: its marks.

The engine's :class:`~gradstep.engine.training.history.History` is the run's only history: every
step's loss and each parameter's gradient norm (computed once, by the step) in its scalar log,
and the records of recent steps within its byte budget. This keeps no copy of either: the
sparklines ask the scalar log for a bounded number of values
(:meth:`~gradstep.engine.training.history.History.peaks`), and a record is the engine's kept one
or a replay (:meth:`~gradstep.tui.training.TrainingController.record_at`). What is the
dashboard's own is the learning-rate changes made from it, to mark them on the loss chart.

The training worker appends to the engine's scalar log from its thread while the screen reads
from the UI thread, without a lock (the log is made for one writer and readers); a branch is
cut on the UI thread under the training controller's lock.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TrainingHistory", "SPARK_COLUMNS"]

SPARK_COLUMNS = 256
"""Values a sparkline's series holds at most (it is at most a terminal's width)."""


class TrainingHistory:
    """The dashboard's view of the session's history, and its learning-rate marks.

    Args:
        session: The session whose history is read (its ``history`` is replaced on a reset,
            so it is looked up each time).

    Attributes:
        initial: ``{name: array}``, the parameters at t = 0 (the "before" of step 1).
        names: The parameter names, in the layout's order.
        lr_changes: ``[(step, old lr, new lr)]``: learning-rate changes made from the dashboard
            on the current branch.
    """

    def __init__(self, session):
        self._session = session
        self.initial = session.params
        self.names = tuple(session.layout.names)
        self.lr_changes: list[tuple[int, float, float]] = []

    def truncate(self, t: int) -> None:
        """Forget the marks after step ``t`` (a branch abandoned them; the engine's history
        cut its own)."""
        self.lr_changes = [change for change in self.lr_changes if change[0] <= t]

    def grad_norms(self, n: int | None = None, columns: int = SPARK_COLUMNS) -> dict[str, np.ndarray]:
        """``{parameter name: the 2-norm of its gradient over steps 1 ... n}`` (all by default):
        one value a step while there are at most ``2 * columns`` steps, else the largest of
        each of ``columns`` stretches of steps, from the engine's scalar log."""
        history = self._session.history
        return {name: history.peaks(j, columns, stop=n) for j, name in enumerate(self.names)}

    def __len__(self):
        """Steps known: the furthest step of the current branch."""
        return self._session.history.furthest
