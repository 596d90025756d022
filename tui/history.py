"""What the dashboard remembers of a training run: a few numbers of every step, and the full
records of the recent ones.

The training worker appends from its thread while the screen reads from the UI thread. The
per-step numbers sit in one NumPy table that only grows (a reader takes ``table[:n]`` with ``n``
read first, so it never sees a half-written row); the recent records sit in a deque behind a
lock. Appending must cost the engine little: it runs once per step, on the training thread.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

__all__ = ["TrainingHistory", "RECENT"]

RECENT = 400
"""How many full step records are kept (the "up close" chart shows the last 200)."""

_STEP, _LOSS, _VAL = 0, 1, 2


class TrainingHistory:
    """Per-step numbers and the most recent records of one session.

    Attributes:
        initial: ``{name: array}``, the parameters at t = 0 (the "before" of step 1).
        names: The parameter names, in the layout's order.
        lr_changes: ``[(step, old lr, new lr)]``: learning-rate changes made from the dashboard.
    """

    def __init__(self, layout, initial):
        self.initial = initial
        self.names = tuple(layout.names)
        self._starts = layout.offsets[:-1]
        self._empty = np.diff(layout.offsets) == 0
        self._table = np.empty((1024, 3 + len(self.names)))
        self._n = 0
        self.lr_changes: list[tuple[int, float, float]] = []
        self._recent: deque = deque(maxlen=RECENT)
        self._lock = threading.Lock()

    def add(self, record) -> None:
        """Remember one step (called from the training thread)."""
        grad = record.grad
        # Squared gradient norms, as StepRecord.grad_norms forms them (square root on reading).
        squares = np.add.reduceat(grad * grad, self._starts) if grad.size else np.zeros(len(self.names))
        squares[self._empty] = 0.0
        val = np.nan if record.val_loss is None else record.val_loss
        row = np.concatenate(((record.step, record.loss, val), squares))
        n = self._n
        if n == len(self._table):
            grown = np.empty((2 * n, self._table.shape[1]))
            grown[:n] = self._table
            self._table = grown
        self._table[n] = row
        self._n = n + 1
        with self._lock:
            self._recent.append(record)

    def _rows(self, n: int | None) -> np.ndarray:
        count = self._n if n is None else min(n, self._n)
        return self._table[:count]

    def steps(self, n: int | None = None) -> np.ndarray:
        """The step numbers of the first ``n`` entries (all by default)."""
        return self._rows(n)[:, _STEP]

    def loss(self, n: int | None = None) -> np.ndarray:
        """The training loss of each step."""
        return self._rows(n)[:, _LOSS]

    def val_loss(self, n: int | None = None) -> np.ndarray | None:
        """The validation loss of each step, or None when the scenario has no split."""
        values = self._rows(n)[:, _VAL]
        return None if np.isnan(values).all() else values

    def grad_norms(self, n: int | None = None) -> dict[str, np.ndarray]:
        """``{parameter name: the 2-norm of its gradient at each step}``."""
        rows = self._rows(n)
        return {name: np.sqrt(rows[:, 3 + i]) for i, name in enumerate(self.names)}

    def recent(self, count: int = RECENT) -> list:
        """The last ``count`` records, oldest first."""
        with self._lock:
            items = list(self._recent)
        return items[-count:]

    def record_at(self, step: int):
        """The record of ``step`` if it is still kept, else None."""
        with self._lock:
            if self._recent:
                i = step - self._recent[0].step
                if 0 <= i < len(self._recent) and self._recent[i].step == step:
                    return self._recent[i]
        return None

    def __len__(self):
        return self._n
