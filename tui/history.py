"""What the dashboard keeps beside the engine's history: each parameter's gradient norm over the
run, in bounded memory, and the full records of recent steps.

The engine's :class:`~gradstep.engine.training.history.History` holds the loss of every step and the gradient norm
per *layer*; the layer list draws one sparkline per *parameter* (``W`` and ``b`` apart), so those
norms are kept here. A sparkline draws the largest value of each of its buckets, so the table
keeps exactly that: row ``j`` holds each parameter's largest norm over steps ``j * stride + 1 ...
(j + 1) * stride``. The stride is 1 (one row a step) until the table has :data:`NORM_ROWS` rows;
then neighbouring rows merge (the larger of each pair) and the stride doubles, so a run of any
length takes at most ``NORM_ROWS`` rows. Rows follow the session's current branch: a step taken
again after going back writes its row again (the engine is deterministic, so with the same
numbers), and a branch drops the abandoned rows (:meth:`TrainingHistory.truncate`).

The training worker adds from its thread while the screen reads from the UI thread, without a
lock: the table and its stride are replaced together (a merge builds a new table), and a reader
takes the step count first. Truncation happens on the UI thread under the training
controller's lock (:class:`~gradstep.tui.training.TrainingController`, which also holds it
around every add), so never during an add. The recent records sit in a dict behind a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from gradstep.engine.training.record import segment_norms

__all__ = ["TrainingHistory", "RECENT", "NORM_ROWS"]

RECENT = 400
"""How many full step records are kept (the "up close" chart shows 200 steps)."""

NORM_ROWS = 1 << 14
"""Most rows of the gradient-norm table (a sparkline is at most a terminal's width)."""


class TrainingHistory:
    """Per-parameter gradient norms over the run, and the records of the most recent steps.

    Args:
        layout: The session's parameter layout.
        initial: The parameters at t = 0.
        rows: Most rows of the norm table (:data:`NORM_ROWS`; small in tests).

    Attributes:
        initial: ``{name: array}``, the parameters at t = 0 (the "before" of step 1).
        names: The parameter names, in the layout's order.
        lr_changes: ``[(step, old lr, new lr)]``: learning-rate changes made from the dashboard
            on the current branch.
    """

    def __init__(self, layout, initial, rows: int = NORM_ROWS):
        self.initial = initial
        self.names = tuple(layout.names)
        self._starts = layout.offsets[:-1]
        self._empty = np.diff(layout.offsets) == 0
        self._rows = max(2, int(rows)) // 2 * 2
        self._view = (np.full((min(1024, self._rows), len(self.names)), np.nan), 1)  # (table, stride)
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
        table, stride = self._view
        row = (record.step - 1) // stride
        while row >= self._rows:  # full: merge neighbouring rows, each new row twice as many steps
            merged = np.full((self._rows, table.shape[1]), np.nan)
            pairs = np.full((self._rows, table.shape[1]), np.nan)
            pairs[: len(table)] = table
            merged[: self._rows // 2] = np.fmax(pairs[0::2], pairs[1::2])
            table, stride = merged, 2 * stride
            row = (record.step - 1) // stride
            self._view = (table, stride)  # a new table: a reader never sees a half-merged one
        if row >= len(table):
            grown = np.full((min(max(2 * len(table), row + 1), self._rows), table.shape[1]), np.nan)
            grown[: len(table)] = table
            table = grown
            self._view = (table, stride)
        if stride == 1:
            table[row] = norms
        else:  # the largest of the row's steps (a step taken again brings the same numbers)
            np.fmax(table[row], norms, out=table[row])
        if record.step > self._n:
            self._n = record.step
        self.keep(record)

    def keep(self, record) -> None:
        """Keep ``record`` among the recent ones (the oldest kept goes when there are too many)."""
        with self._lock:
            self._records[record.step] = record
            self._records.move_to_end(record.step)
            while len(self._records) > RECENT:
                self._records.popitem(last=False)

    def truncate(self, t: int) -> None:
        """Forget the steps after ``t`` (a branch abandoned them).

        A row that also holds steps before ``t`` is cleared as well, so that no row shows a
        number of the abandoned steps (its steps on the kept side, fewer than a stride, are no
        longer drawn).
        """
        t = max(t, 0)
        table, stride = self._view
        table[t // stride:] = np.nan
        self._n = min(self._n, t)
        with self._lock:
            for step in [s for s in self._records if s > t]:
                del self._records[step]
        self.lr_changes = [change for change in self.lr_changes if change[0] <= t]

    @property
    def stride(self) -> int:
        """Steps per row of the norm table."""
        return self._view[1]

    def grad_norms(self, n: int | None = None) -> dict[str, np.ndarray]:
        """``{parameter name: the 2-norm of its gradient over steps 1 ... n}`` (all by default):
        one value a step while the run is short, else the largest of each :attr:`stride`
        steps (the last row may reach a little past ``n``). Views of the table: at most
        :data:`NORM_ROWS` values each, whatever the run's length."""
        count = self._n if n is None else min(n, self._n)
        table, stride = self._view
        rows = table[: min(-(-count // stride), len(table))]
        return {name: rows[:, i] for i, name in enumerate(self.names)}

    def record_at(self, step: int):
        """The record of ``step`` if it is kept here, else None."""
        with self._lock:
            return self._records.get(step)

    @property
    def nbytes(self) -> int:
        """Bytes of the norm table."""
        return self._view[0].nbytes

    def __len__(self):
        """Steps known: the furthest step of the current branch."""
        return self._n
