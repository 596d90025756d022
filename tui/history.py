"""What the dashboard keeps beside the engine's history: every step's gradient norm per parameter,
and the full records of recent steps.

The engine's :class:`~engine.history.History` holds the loss of every step and the gradient norm
per *layer*; the layer list draws one sparkline per *parameter* (``W`` and ``b`` apart), so those
norms are kept here. Rows are indexed by step (step t is row t - 1) and follow the session's
current branch: a step taken again after going back writes its row again (the engine is
deterministic, so with the same numbers), and a branch drops the abandoned rows
(:meth:`TrainingHistory.truncate`).

The training worker adds from its thread while the screen reads from the UI thread. The table
only grows while running (a reader takes ``table[:n]`` with ``n`` read first, so it never sees a
half-written row); truncation happens on the UI thread with the training paused. The recent
records sit in a dict behind a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from engine.record import segment_norms

__all__ = ["TrainingHistory", "RECENT"]

RECENT = 400
"""How many full step records are kept (the "up close" chart shows 200 steps)."""


class TrainingHistory:
    """Per-parameter gradient norms of every step, and the records of the most recent steps.

    Attributes:
        initial: ``{name: array}``, the parameters at t = 0 (the "before" of step 1).
        names: The parameter names, in the layout's order.
        lr_changes: ``[(step, old lr, new lr)]``: learning-rate changes made from the dashboard
            on the current branch.
    """

    def __init__(self, layout, initial):
        self.initial = initial
        self.names = tuple(layout.names)
        self._starts = layout.offsets[:-1]
        self._empty = np.diff(layout.offsets) == 0
        self._table = np.full((1024, len(self.names)), np.nan)
        self._n = 0
        self.lr_changes: list[tuple[int, float, float]] = []
        self._records: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def add(self, record) -> None:
        """Remember one step (called from the training thread, or the UI thread for one step)."""
        grad = record.grad
        # Gradient norms, as StepRecord.grad_norms forms them (no overflow for huge gradients).
        norms = segment_norms(grad, self._starts) if grad.size else np.zeros(len(self.names))
        norms[self._empty] = 0.0
        row = record.step - 1
        if row >= len(self._table):
            grown = np.full((max(2 * len(self._table), row + 1), self._table.shape[1]), np.nan)
            grown[: self._n] = self._table[: self._n]
            self._table = grown
        self._table[row] = norms
        if row >= self._n:
            self._n = row + 1
        self.keep(record)

    def keep(self, record) -> None:
        """Keep ``record`` among the recent ones (the oldest kept goes when there are too many)."""
        with self._lock:
            self._records[record.step] = record
            self._records.move_to_end(record.step)
            while len(self._records) > RECENT:
                self._records.popitem(last=False)

    def truncate(self, t: int) -> None:
        """Forget the steps after ``t`` (a branch abandoned them)."""
        self._n = min(self._n, max(t, 0))
        with self._lock:
            for step in [s for s in self._records if s > t]:
                del self._records[step]
        self.lr_changes = [change for change in self.lr_changes if change[0] <= t]

    def grad_norms(self, n: int | None = None) -> dict[str, np.ndarray]:
        """``{parameter name: the 2-norm of its gradient at steps 1 ... n}`` (all by default)."""
        count = self._n if n is None else min(n, self._n)
        rows = self._table[:count]
        return {name: rows[:, i] for i, name in enumerate(self.names)}

    def record_at(self, step: int):
        """The record of ``step`` if it is kept here, else None."""
        with self._lock:
            return self._records.get(step)

    def __len__(self):
        """Steps known: the furthest step of the current branch."""
        return self._n
