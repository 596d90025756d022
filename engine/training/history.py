"""A session's history: every step's scalars, recent records, keyframes, and a ghost branch.

Memory stays bounded on long runs:

- per-step scalars (loss, validation loss, each layer's gradient norm) are kept in a
  :class:`~gradstep.engine.training.scalar_log.ScalarLog`: every step exactly until it reaches its budget (about
  1.4 million steps by default), then the most recent million steps exactly and older steps as
  min/max blocks whose stride doubles as the run grows;
- whole records (parameters, gradients, optimizer state) are kept for a window of recent steps,
  bounded by a byte budget;
- keyframes (whole records) are kept every so often, the interval chosen so that replaying from
  one takes a bounded time; when they outgrow their byte budget or count, every other one is
  dropped.

A step with no record kept is reached by replaying deterministically from the nearest keyframe
at or before it (the engine is deterministic, so the replayed record is bit for bit the
original). Records are immutable, so keeping one is keeping a reference. Time travel and export
never read the scalars: they replay, so they stay exact however the scalars were summarised.
"""

from __future__ import annotations

import bisect

from gradstep.engine.training.scalar_log import BLOCKS, CHUNK, WINDOW, ScalarLog

__all__ = ["ScalarLog", "History", "Schedule", "LOSS", "VAL", "RECORD_OVERHEAD"]

LOSS, VAL = 0, 1
"""Columns of the history's scalar log; layer ``i``'s gradient norm is column ``2 + i``."""

RECORD_OVERHEAD = 1280
"""Bytes a kept record takes besides its arrays' numbers (the record, its arrays' headers and
dicts; measured at 1.2 to 1.3 kB on the bundled scenarios), counted against the budgets."""


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
        """From step ``t + 1`` on, use ``kind`` with ``hyper``; entries after ``t`` are dropped.

        A change that replaces another at the same ``t`` keeps its fresh state: after
        ``set_optimizer`` and then ``set_lr`` at one step, the new optimizer still starts from
        fresh state when the step is replayed, as it did when it was first taken.
        """
        keep = [e for e in self._entries if e[0] < t]
        if not keep:  # a change at t = 0 replaces the initial entry
            fresh_state = True
        fresh_state = fresh_state or any(e[0] == t and e[3] for e in self._entries)
        self._entries = keep + [(t, kind, hyper, fresh_state)]

    def truncate(self, t):
        """Forget entries that start after ``t``."""
        self._entries = [e for e in self._entries if e[0] <= t] or self._entries[:1]


class History:
    """Where a session has been: scalars, recent records, keyframes and the ghost branch.

    Args:
        layer_count: Layers whose gradient norm is logged each step.
        has_val: Whether the scenario has a validation split.
        window_bytes: Budget of the ring of recent records.
        keyframe_bytes: Budget of the keyframes.
        keyframe_seconds: Compute time between keyframes (doubles when they are thinned).
        max_interval: Most steps between keyframes (doubles when they are thinned).
        max_keyframes: Most keyframes (tiny records would otherwise fit the byte budget by the
            hundred thousand).
        scalar_window, scalar_blocks, scalar_chunk: The scalar log's budgets (see
            :class:`~gradstep.engine.training.scalar_log.ScalarLog`).
        enabled: False keeps nothing (benchmarks of the engine alone).

    Attributes:
        furthest: The furthest step computed on the current branch.
        scalars: Each step's loss, validation loss and layer norms on the current branch.
        ghost_log: The abandoned branch's losses (a one-column :class:`ScalarLog` starting at
            the branch point), or None.
    """

    def __init__(self, layer_count, has_val, window_bytes=64 << 20, keyframe_bytes=128 << 20,
                 keyframe_seconds=0.05, max_interval=1000, max_keyframes=1 << 13, scalar_window=WINDOW,
                 scalar_blocks=BLOCKS, scalar_chunk=CHUNK, enabled=True):
        self.scalars = ScalarLog(2 + layer_count, scalar_window, scalar_blocks, scalar_chunk)
        self.has_val = has_val
        self.furthest = 0
        self.ghost_log = None
        self._window_bytes = window_bytes
        self._keyframe_bytes = keyframe_bytes
        self._max_keyframes = max_keyframes
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
            self._record_bytes = record.theta.nbytes * (3 + len(record.opt_state)) + RECORD_OVERHEAD
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
        if (len(self._keyframes) * (self._record_bytes or 1) > self._keyframe_bytes
                or len(self._keyframes) > self._max_keyframes):
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
        """The loss of every step on the current branch (step t at index t - 1), as a new array.

        Exact for every step while the run is within the scalar log's budget; beyond it, the
        steps before :attr:`ScalarLog.exact_from` are NaN (they are kept as min/max blocks:
        :meth:`envelope` draws them). As long as the run, so not for every frame.
        """
        return self.scalars.values(LOSS)

    def val_losses(self):
        """The validation loss of every step (as :meth:`losses`), or None without a split."""
        return self.scalars.values(VAL) if self.has_val else None

    def layer_norms(self, i):
        """The gradient norm of the i-th layer (by position) at every step (as :meth:`losses`)."""
        return self.scalars.values(2 + i)

    @property
    def ghost(self):
        """``(start, losses)``: the loss of steps ``start + 1 ...`` of the abandoned branch (as
        :meth:`losses`: NaN where summarised), or None. Builds an array as long as the ghost:
        charts use :meth:`envelope` and :attr:`ghost_span`."""
        log = self.ghost_log
        return None if log is None else (log.first, log.values(0))

    @property
    def ghost_span(self):
        """``(start, end)``: the abandoned branch holds steps ``start + 1 ... end``; or None."""
        log = self.ghost_log
        return None if log is None else (log.first, log.end)

    def envelope(self, series, columns, low=None, stop=None):
        """What a chart ``columns`` wide draws of a series: ``(steps, values)``, at most
        ``2 * columns`` points keeping each column's lowest and highest value (the points
        themselves for a short series); see :meth:`ScalarLog.envelope`.

        Args:
            series: ``"loss"``, ``"val"``, ``"ghost"`` (the abandoned branch's loss) or a
                layer's position (its gradient norm).
            columns: The chart's width.
            low: Leave out values below this (a log scale's floor).
            stop: Only steps up to this one (of the current branch; the ghost ignores it).
        """
        if series == "ghost":
            log, column, stop = self.ghost_log, LOSS, None
            if log is None:
                return None
        else:
            log, column = self.scalars, {"loss": LOSS, "val": VAL}.get(series, None)
            column = 2 + series if column is None else column
        return log.envelope(column, columns, low, stop=stop)

    # -- branching -------------------------------------------------------------------------
    def branch_at(self, t):
        """Abandon the steps after ``t``: their losses become the ghost, the rest is forgotten."""
        if t >= self.furthest:
            return
        self.ghost_log = self.scalars.split(t, columns=(LOSS,))
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
        """Approximate memory held: scalars, the ghost's, and kept records."""
        kept = len({r.step for r in self._ring if r is not None} | set(self._keyframes))
        ghost = 0 if self.ghost_log is None else self.ghost_log.nbytes
        return self.scalars.nbytes + ghost + kept * (self._record_bytes or 0)
