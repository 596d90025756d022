"""Which rows of the training data each step learns from: the one batching rule.

The whole training set is one batch when there is no data or the batch size covers it (or is
0). Otherwise training runs in epochs of ``ceil(n / size)`` batches: each epoch visits the rows
in an order (the rows' own order, or a permutation when shuffling), in slices of ``size`` rows,
the last one shorter. Each epoch's permutation has its own generator, seeded by ``(seed, 1,
epoch)``, so the batch of a step is a function of the step alone: going back in history, replaying,
and asking which batch an old step used need no generator state.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Batches"]


class Batches:
    """The batches of a training set, found from the step alone.

    Args:
        x: The training inputs, shape (n, inputs), already in the session's dtype; None when
            the scenario has no data (an objective).
        y: The targets, as the loss reads them.
        size: Rows per batch; 0 or at least n means the whole set every step.
        shuffle: Visit each epoch's rows in a seeded random order.
        seed: The scenario's seed.
        inputs: Turns input rows into what the model reads (a node, or named input columns).

    Attributes:
        full: ``(inputs, targets)`` of the whole training set (``(None, None)`` without data).
        per_epoch: Batches in an epoch (1 when every step sees the whole set).
    """

    def __init__(self, x, y, size, shuffle, seed, inputs):
        n = 0 if x is None else len(x)
        self.full = (None, None) if x is None else (inputs(x), y)
        self.per_epoch = -(-n // size) if n and 0 < size < n else 1
        self._x, self._y, self._n, self._size = x, y, n, size
        self._shuffle, self._seed, self._inputs = shuffle, seed, inputs
        # (epoch, order) of the last epoch asked for, kept for the next step; one tuple, replaced
        # whole, so a reader in another thread never pairs one epoch with another's order.
        self._last = (None, None)

    def at(self, t):
        """The batch of step ``t`` (t >= 1) and its ``(batch, epoch)`` position.

        Returns:
            ``((inputs, targets), (batch, epoch))``: the rows step ``t`` learns from, the
            batch's index within its epoch, and the epoch (both from 0). With one batch per
            epoch every step is an epoch of its own: step t is at ``(0, t - 1)``.
        """
        per_epoch = self.per_epoch
        if per_epoch == 1:  # the hot path of full-batch training: no division, no slicing
            return self.full, (0, t - 1)
        epoch, index = divmod(t - 1, per_epoch)
        last = self._last
        if last[0] != epoch:
            last = self._last = (epoch, self.order(epoch))
        size = self._size
        rows = last[1][index * size:(index + 1) * size]
        return (self._inputs(self._x[rows]), self._y[rows]), (index, epoch)

    def order(self, epoch):
        """The order in which epoch ``epoch`` visits the rows: a permutation of ``range(n)``."""
        if self._shuffle:
            return np.random.default_rng([self._seed, 1, epoch]).permutation(self._n)
        return np.arange(self._n)
