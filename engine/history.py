"""A session's history: every step's scalars, recent records, keyframes, and a ghost branch.

Memory stays bounded on long runs:

- per-step scalars (loss, validation loss, each layer's gradient norm) are kept for every step,
  in float64 chunks (tens of bytes a step);
- whole records (parameters, gradients, optimizer state) are kept for a window of recent steps,
  bounded by a byte budget;
- keyframes (whole records) are kept every so often, the interval chosen so that replaying from
  one takes a bounded time; when they outgrow their byte budget, every other one is dropped.

A step with no record kept is reached by replaying deterministically from the nearest keyframe
at or before it (the engine is deterministic, so the replayed record is bit for bit the
original). Records are immutable, so keeping one is keeping a reference.
"""

from __future__ import annotations

import bisect

import numpy as np

__all__ = ["ScalarLog", "History", "Schedule"]

CHUNK = 16384


class ScalarLog:
    """Per-step scalars, one row per step (step t is row t - 1), in fixed-size float64 chunks:
    the loss, the validation loss (NaN without a split) and each layer's gradient norm."""

    def __init__(self, layer_count):
        self.layer_count = layer_count
        self._loss, self._val, self._norms = [], [], []
        self._n = 0

    def __len__(self):
        return self._n

    def append(self, loss, val_loss, norms):
        """Add the next step's scalars."""
        i = self._n % CHUNK
        if i == 0:
            self._loss.append(np.full(CHUNK, np.nan))
            self._val.append(np.full(CHUNK, np.nan))
            self._norms.append(np.full((CHUNK, self.layer_count), np.nan))
        self._loss[-1][i] = loss
        if val_loss is not None:
            self._val[-1][i] = val_loss
        self._norms[-1][i] = norms
        self._n += 1

    def truncate(self, n):
        """Keep only the first ``n`` rows."""
        n = max(0, min(n, self._n))
        keep = (n + CHUNK - 1) // CHUNK
        for chunks in (self._loss, self._val, self._norms):
            del chunks[keep:]
            if chunks and n % CHUNK:
                chunks[-1][n % CHUNK:] = np.nan
        self._n = n

    def _column(self, chunks, start, stop):
        stop = self._n if stop is None else min(stop, self._n)
        if start >= stop:
            return np.zeros((0,) + chunks[0].shape[1:]) if chunks else np.zeros(0)
        parts = []
        for c in range(start // CHUNK, (stop - 1) // CHUNK + 1):
            lo = max(start - c * CHUNK, 0)
            hi = min(stop - c * CHUNK, CHUNK)
            parts.append(chunks[c][lo:hi])
        return np.concatenate(parts)

    def losses(self, start=0, stop=None):
        """The loss of steps ``start + 1 ... stop`` as a new array."""
        return self._column(self._loss, start, stop)

    def val_losses(self, start=0, stop=None):
        return self._column(self._val, start, stop)

    def norms(self, layer, start=0, stop=None):
        """Layer ``layer``'s gradient norm (by position) for steps ``start + 1 ... stop``."""
        col = self._column(self._norms, start, stop)
        return col[:, layer] if col.ndim == 2 else col

    @property
    def nbytes(self):
        return sum(c.nbytes for chunks in (self._loss, self._val, self._norms) for c in chunks)


class Schedule:
    """Which optimizer and hyperparameters are in force for each step.

    An entry ``(t, kind, hyper, fresh_state)`` applies to steps after ``t``; ``fresh_state``
    says the optimizer changed kind at ``t`` and starts with fresh state.
    """

    def __init__(self, kind, hyper):
        self._entries = [(0, kind, hyper, False)]

    def at(self, t):
        """The entry in force for step ``t + 1``."""
        i = bisect.bisect_right([e[0] for e in self._entries], t) - 1
        return self._entries[i]

    def set(self, t, kind, hyper, fresh_state):
        """From step ``t + 1`` on, use ``kind`` with ``hyper``; entries after ``t`` are dropped."""
        keep = [e for e in self._entries if e[0] < t]
        if not keep:  # a change at t = 0 replaces the initial entry
            fresh_state = True
        self._entries = keep + [(t, kind, hyper, fresh_state)]

    def truncate(self, t):
        """Forget entries that start after ``t``."""
        self._entries = [e for e in self._entries if e[0] <= t] or self._entries[:1]


class History:
    """Where a session has been: scalars, recent records, keyframes and the ghost branch.

    Attributes:
        furthest: The furthest step computed on the current branch.
        ghost: ``(start, losses)``: the loss of steps ``start + 1 ...`` of the abandoned branch,
            or None.
    """

    def __init__(self, layer_count, has_val, window_bytes=64 << 20, keyframe_bytes=128 << 20,
                 keyframe_seconds=0.05, max_interval=1000, enabled=True):
        self.scalars = ScalarLog(layer_count)
        self.has_val = has_val
        self.furthest = 0
        self.ghost = None
        self._window_bytes = window_bytes
        self._keyframe_bytes = keyframe_bytes
        self._keyframe_seconds = keyframe_seconds
        self._max_interval = max_interval
        self._window_size = 256
        self._ring = [None] * self._window_size
        self._keyframes = {}
        self._keyframe_ts = [0]
        self._since_keyframe = 0.0
        self._steps_since_keyframe = 0
        self._record_bytes = None
        self.enabled = enabled

    # -- recording -------------------------------------------------------------------------
    def add(self, record, layer_norms, seconds, forced_keyframe=False):
        """Keep what is needed of ``record``; ``seconds`` is how long the step took."""
        t = record.step
        if not self.enabled:  # benchmarks only: measure the engine without a history
            self.furthest = max(self.furthest, t)
            return
        if t > self.furthest:
            self.scalars.append(record.loss, record.val_loss, layer_norms)
            self.furthest = t
        if self._record_bytes is None:
            self._record_bytes = max(1, record.theta.nbytes * (3 + len(record.opt_state)))
            self._window_size = int(max(8, min(512, self._window_bytes // self._record_bytes)))
            self._ring = [None] * self._window_size
        self._remember(record)
        self._since_keyframe += seconds
        self._steps_since_keyframe += 1
        if t not in self._keyframes and (forced_keyframe or self._since_keyframe >= self._keyframe_seconds
                                          or self._steps_since_keyframe >= self._max_interval):
            self.add_keyframe(record)

    def add_keyframe(self, record):
        t = record.step
        if t not in self._keyframes:
            self._keyframes[t] = record
            bisect.insort(self._keyframe_ts, t)
        self._since_keyframe = 0.0
        self._steps_since_keyframe = 0
        if len(self._keyframes) * (self._record_bytes or 1) > self._keyframe_bytes:
            self._thin_keyframes()

    def _thin_keyframes(self):
        """Drop every other keyframe (never step 0's) and keep them further apart from now on."""
        ts = [t for t in self._keyframe_ts if t > 0]
        drop = set(ts[0::2])
        for t in drop:
            del self._keyframes[t]
        self._keyframe_ts = [t for t in self._keyframe_ts if t not in drop]
        self._max_interval *= 2
        self._keyframe_seconds *= 2

    def _remember(self, record):
        # a ring of recent records: step t sits in slot t mod size
        self._ring[record.step % self._window_size] = record

    # -- reading ---------------------------------------------------------------------------
    def cached(self, t):
        """The record of step ``t`` if one is kept, else None."""
        record = self._ring[t % self._window_size]
        if record is not None and record.step == t:
            return record
        return self._keyframes.get(t)

    def keyframe_before(self, t):
        """The latest keyframe record at or before step ``t`` (None stands for step 0)."""
        i = bisect.bisect_right(self._keyframe_ts, t) - 1
        return self._keyframes.get(self._keyframe_ts[i])

    def losses(self):
        """The loss of every step on the current branch (step t at index t - 1)."""
        return self.scalars.losses()

    def val_losses(self):
        """The validation loss of every step, or None without a validation split."""
        return self.scalars.val_losses() if self.has_val else None

    def layer_norms(self, i):
        """The gradient norm of the i-th layer (by position) at every step."""
        return self.scalars.norms(i)

    # -- branching -------------------------------------------------------------------------
    def branch_at(self, t):
        """Abandon the steps after ``t``: their losses become the ghost, the rest is forgotten."""
        if t >= self.furthest:
            return
        self.ghost = (t, self.scalars.losses(t))
        self.truncate(t)

    def truncate(self, t):
        self.scalars.truncate(t)
        self.furthest = min(self.furthest, t)
        self._ring = [r if r is not None and r.step <= t else None for r in self._ring]
        for s in [s for s in self._keyframes if s > t]:
            del self._keyframes[s]
        self._keyframe_ts = [s for s in self._keyframe_ts if s <= t]
        self._since_keyframe = 0.0
        self._steps_since_keyframe = 0

    @property
    def nbytes(self):
        """Approximate memory held: scalars plus kept records."""
        kept = len({r.step for r in self._ring if r is not None} | set(self._keyframes))
        return self.scalars.nbytes + kept * (self._record_bytes or 0)
