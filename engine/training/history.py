"""A session's history: every step's scalars, recent records, keyframes, and a ghost branch.

The one history of a run; the interface keeps none of its own. Its size is set by byte budgets,
not by counts, so it does not grow with the network:

- per-step scalars (loss, validation loss, each parameter's gradient norm, and each layer's,
  derived from its parameters' norms) are kept in a
  :class:`~gradstep.engine.training.scalar_log.ScalarLog` of at most ``scalar_bytes``: every step
  exactly until that is reached, then the most recent steps exactly and older ones as min/max
  blocks whose stride doubles as the run grows;
- whole records (parameters, gradients, update, optimizer state) are kept for the most recent
  steps, as many as ``window_bytes`` holds (by default half of ``record_bytes``, 64 MiB);
- keyframes (the parameters and optimizer state of a step: what a replay starts from) are kept
  every so often (about 50 ms of compute apart); when they outgrow ``keyframe_bytes`` (the other
  half) or their count, the one whose neighbours are closest together is dropped, so that they
  stay spread evenly over the run.

A step with no record kept is reached by replaying deterministically from the nearest keyframe
before it (the engine is deterministic, so the replayed record is bit for bit the original).
Records are immutable, so keeping one is keeping references to its arrays; the ring keeps each
record's fields as the step made them and hands out fresh records, so the views and derived
arrays a reader caches on a record never land in the budget unseen.
Time travel and export never read the scalars: they replay, so they stay exact however the
scalars were summarised.
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

import numpy as np

from gradstep.engine.training.record import StepRecord
from gradstep.engine.training.scalar_log import BLOCKS, CHUNK, WINDOW, ScalarLog
from gradstep.engine.training.schedule import Schedule

__all__ = ["ScalarLog", "History", "Schedule", "Keyframe", "LOSS", "VAL", "RECORD_OVERHEAD", "RECORD_BYTES",
           "SCALAR_BYTES", "held_bytes"]

LOSS, VAL = 0, 1
"""Columns of the history's scalar log; entry ``j`` of a step's norm row is column ``2 + j``
(see :attr:`~gradstep.engine.training.record.ParamLayout.norm_columns`)."""

RECORD_OVERHEAD = 1280
"""Bytes a kept record takes besides its arrays' numbers (the record, its arrays' headers and
dicts; measured at 1.2 to 1.3 kB on the bundled scenarios), counted against the budgets."""

KEYFRAME_OVERHEAD = 640
"""Bytes a keyframe takes besides its arrays' numbers (the tuple, the state dict, headers)."""

RECORD_BYTES = 64 << 20
"""The default budget of whole records: the recent ring and the keyframes together."""

SCALAR_BYTES = 24 << 20
"""The default budget of the per-step scalars (the exact rows and the min/max blocks)."""

MAX_WINDOW = 256
"""The most records the recent ring keeps, however small they are (the up-close chart shows 200
steps)."""

MAX_KEYFRAMES = 2048
"""The most keyframes, however small they are: about 100 s of compute at their spacing (50 ms),
then spread ever thinner over a longer run."""

class Keyframe(NamedTuple):
    """What a replay starts from: step ``step``'s parameters and optimizer state (references to
    the record's read-only arrays)."""

    step: int
    theta: np.ndarray
    opt_state: dict


def _arrays(value, depth=0):
    """The NumPy arrays in ``value``: itself, or the values of a mapping (two levels deep)."""
    if isinstance(value, np.ndarray):
        yield value
    elif depth < 2 and hasattr(value, "values"):
        for item in value.values():
            yield from _arrays(item, depth + 1)


def held_bytes(objects):
    """Bytes of the distinct arrays ``objects`` hold (records, their fields as dicts, keyframes),
    each array's memory counted once however many share it (a view counts as its base)."""
    owners = {}
    for obj in objects:
        values = obj.values() if isinstance(obj, dict) else obj.__dict__.values() if hasattr(obj, "__dict__") else obj
        for value in values:
            for array in _arrays(value):
                while isinstance(array.base, np.ndarray):
                    array = array.base
                owners[id(array)] = array.nbytes
    return sum(owners.values())


def _costs(record):
    """``(record bytes, keyframe bytes)`` counted against the budgets for a record like
    ``record`` (the same layout and optimizer state): its arrays, each assumed its own, and
    the overheads."""
    state = sum(a.nbytes for a in record.opt_state.values() if isinstance(a, np.ndarray))
    theta = record.theta.nbytes
    return 3 * theta + state + RECORD_OVERHEAD, theta + state + KEYFRAME_OVERHEAD


def _scalar_shape(columns, scalar_bytes, chunk):
    """``(window, blocks)`` of a scalar log of ``columns`` float64 columns within ``scalar_bytes``
    (in today's proportion: eight exact rows for each block of three)."""
    rows = max(0, scalar_bytes // (8 * columns) - 2 * chunk)
    return max(chunk, rows * 8 // 11), max(2, rows // 11)


class History:
    """Where a session has been: scalars, recent records, keyframes and the ghost branch.

    Args:
        layout: The session's :class:`~gradstep.engine.training.record.ParamLayout` (its norm
            row says what is logged each step).
        has_val: Whether the scenario has a validation split.
        record_bytes: Budget of whole records, the ring of recent ones and the keyframes
            together (:data:`RECORD_BYTES`).
        window_bytes: The ring's share (half by default); it keeps at least the latest record.
        keyframe_bytes: The keyframes' share (the rest by default).
        keyframe_seconds: Compute time between keyframes.
        max_interval: Most steps between keyframes.
        max_keyframes: Most keyframes (:data:`MAX_KEYFRAMES`; tiny ones would otherwise fit
            the byte budget by the hundred thousand).
        max_window: Most records in the ring (:data:`MAX_WINDOW`).
        scalar_bytes: Budget of the per-step scalars (:data:`SCALAR_BYTES`), shared by however
            many columns the network needs.
        scalar_window, scalar_blocks, scalar_chunk: The scalar log's shape, when given instead of
            ``scalar_bytes`` (see :class:`~gradstep.engine.training.scalar_log.ScalarLog`).
        enabled: False keeps nothing (benchmarks of the engine alone).

    Attributes:
        furthest: The furthest step computed on the current branch.
        scalars: Each step's loss, validation loss and norm row on the current branch.
        ghost_log: The abandoned branch's losses (a one-column :class:`ScalarLog` starting at
            the branch point), or None.
    """

    def __init__(self, layout, has_val, record_bytes=RECORD_BYTES, window_bytes=None, keyframe_bytes=None,
                 keyframe_seconds=0.05, max_interval=1000, max_keyframes=MAX_KEYFRAMES, max_window=MAX_WINDOW,
                 scalar_bytes=SCALAR_BYTES, scalar_window=None, scalar_blocks=None, scalar_chunk=CHUNK,
                 enabled=True):
        columns = 2 + layout.norm_columns
        if scalar_window is None and scalar_blocks is None:
            scalar_window, scalar_blocks = _scalar_shape(columns, scalar_bytes, scalar_chunk)
        self.scalars = ScalarLog(columns, WINDOW if scalar_window is None else scalar_window,
                                 BLOCKS if scalar_blocks is None else scalar_blocks, scalar_chunk)
        self._layer_columns = layout.layer_columns
        self.has_val = has_val
        self.furthest = 0
        self.ghost_log = None
        self.window_bytes = record_bytes // 2 if window_bytes is None else window_bytes
        self.keyframe_bytes = record_bytes - self.window_bytes if keyframe_bytes is None else keyframe_bytes
        self._max_keyframes = max_keyframes
        self._max_window = max(1, max_window)
        self._keyframe_seconds = keyframe_seconds
        self._max_interval = max_interval
        self._ring = [None]  # slot t % its length: the fields of step t's record, or None
        self._latest = ()  # the fields of the two furthest steps' records, kept outside the ring
        self._pin = False  # whether the budget holds them besides the ring (3 records at least)
        self.step_seconds = 0.0  # a moving average of the compute time of a step (replays' included)
        self._keyframes = {}  # step -> (Keyframe, bytes)
        self._keyframe_total = 0
        self._keyframe_ts = [0]  # step 0 is the session's initial parameters, always there
        self._since_keyframe = 0.0
        self._steps_since_keyframe = 0
        self._cost_for = self._costs = None  # the hyperparameters the costs were worked out for
        self.enabled = enabled

    # -- recording -------------------------------------------------------------------------
    def add(self, record, norms, seconds):
        """Keep what is needed of ``record``; ``norms`` is its norm row (empty for a replayed
        step, whose scalars are kept already); ``seconds`` is how long the step took."""
        t = record.step
        if not self.enabled:  # benchmarks only: measure the engine without a history
            self.furthest = max(self.furthest, t)
            return
        kept = self._remember(record)
        if t > self.furthest:
            self.scalars.append(record.loss, record.val_loss, norms)
            self.furthest = t
            self._latest = (*self._latest[-1:], kept) if self._pin else ()
        self.step_seconds = seconds if not self.step_seconds else 0.9 * self.step_seconds + 0.1 * seconds
        self._since_keyframe += seconds
        self._steps_since_keyframe += 1
        if t not in self._keyframes and (self._since_keyframe >= self._keyframe_seconds
                                          or self._steps_since_keyframe >= self._max_interval):
            self.add_keyframe(record)

    def add_keyframe(self, record):
        """Keep ``record``'s parameters and optimizer state as a keyframe."""
        t = record.step
        if t not in self._keyframes:
            cost = self._cost(record)[1]
            self._keyframes[t] = (Keyframe(t, record.theta, record.opt_state), cost)
            self._keyframe_total += cost
            bisect.insort(self._keyframe_ts, t)
        self._since_keyframe = 0.0
        self._steps_since_keyframe = 0
        while len(self._keyframes) > 1 and (self._keyframe_total > self.keyframe_bytes
                                            or len(self._keyframes) > self._max_keyframes):
            self._thin_keyframes()

    def _thin_keyframes(self):
        """Drop the keyframe (not step 0's, nor the newest) whose two gaps together are the
        shortest, so that the keyframes stay spread over the whole run, as many as the budget
        holds (dropping every other one left half as many after each thinning: measured on
        random targets, the replays were 5% shorter just before a thinning, 30% longer after)."""
        ts = self._keyframe_ts
        t = ts[-1] if len(ts) <= 2 else ts[1 + int(np.argmin(np.diff(ts[:-1]) + np.diff(ts[1:])))]
        self._keyframe_total -= self._keyframes.pop(t)[1]
        ts.remove(t)

    def _remember(self, record):
        """Keep ``record`` in the ring: step t in slot t mod its length (as many slots as
        :attr:`window_bytes` holds records).

        The ring keeps the record's fields as the step made them (a dict: views get cached on
        the step's record when it is shown). Another thread may read the ring meanwhile: a
        slot is replaced whole, and a reader that misses a record replays it. Returns what
        it keeps.
        """
        if record.hyper is not self._cost_for:
            self._cost(record)
        ring = self._ring
        kept = ring[record.step % len(ring)] = dict(record.__dict__)
        return kept

    def _cost(self, record):
        """``(record bytes, keyframe bytes)`` for ``record``, worked out again only when the
        hyperparameters change; when the optimizer's state changes size, the ring is sized
        again (and starts empty, so it never holds more than its bytes). When the window holds
        three records or more, two of them are the furthest steps', kept whatever a replay puts
        in the ring (so ``end`` never replays)."""
        if record.hyper is not self._cost_for:
            costs = _costs(record)
            if costs != self._costs:
                fits = min(self._max_window, self.window_bytes // costs[0])
                self._pin = fits >= 3
                self._ring = [None] * max(1, fits - 2 * self._pin)
                if not self._pin:
                    self._latest = ()
            self._cost_for, self._costs = record.hyper, costs
        return self._costs

    # -- reading ---------------------------------------------------------------------------
    def cached(self, t):
        """The record of step ``t`` if the ring keeps it (a fresh copy), else None."""
        ring = self._ring
        kept = ring[t % len(ring)]
        if kept is None or kept["step"] != t:
            kept = next((pinned for pinned in self._latest if pinned["step"] == t), None)
        return StepRecord.make(**kept) if kept is not None and kept["step"] == t else None

    def keyframe_before(self, t):
        """The latest :class:`Keyframe` at or before step ``t`` (None stands for step 0)."""
        i = bisect.bisect_right(self._keyframe_ts, t) - 1
        kept = self._keyframes.get(self._keyframe_ts[i])
        return None if kept is None else kept[0]

    def theta_at(self, t):
        """The parameters after step ``t`` if a kept record or keyframe has them, else None."""
        ring = self._ring
        kept = ring[t % len(ring)]
        if kept is not None and kept["step"] == t:
            return kept["theta"]
        for pinned in self._latest:
            if pinned["step"] == t:
                return pinned["theta"]
        kept = self._keyframes.get(t)
        return None if kept is None else kept[0].theta

    def row(self, t):
        """Step ``t``'s scalars as the log holds them: ``(loss, validation loss or None, norm
        row)``, NaN where summarised in blocks (what a screen shows of a step on its way)."""
        log = self.scalars
        where, end = log._read()
        row = log.values_rows(where, end, list(range(log.columns)), t - 1, t)[:, 0]
        return float(row[LOSS]), float(row[VAL]) if self.has_val else None, row[2:]

    @property
    def keyframe_steps(self):
        """The steps keyframes are kept for (0, the initial parameters, first)."""
        return tuple(self._keyframe_ts)

    def losses(self):
        """The loss of every step on the current branch (step t at index t - 1), as a new array:
        NaN for the steps before :attr:`ScalarLog.exact_from`, kept as min/max blocks (which
        :meth:`envelope` draws). As long as the run, so not for every frame."""
        return self.scalars.values(LOSS)

    def val_losses(self):
        """The validation loss of every step (as :meth:`losses`), or None without a split."""
        return self.scalars.values(VAL) if self.has_val else None

    def layer_norms(self, i):
        """The gradient norm of the i-th layer (by position) at every step (as :meth:`losses`)."""
        return self.scalars.values(2 + self._layer_columns[i])

    def param_norms(self, j):
        """The gradient norm of the j-th parameter (by position) at every step (as :meth:`losses`)."""
        return self.scalars.values(2 + j)

    def peaks(self, j, columns, stop=None):
        """The j-th parameter's gradient norm over steps 1 ... ``stop`` (all by default) for a
        sparkline: one value a step when there are at most ``2 * columns`` of them, else the
        largest of each of ``columns`` buckets of steps (a spike never disappears)."""
        steps, values = self.scalars.envelope(2 + j, columns, stop=stop)
        if len(steps) < 2 or steps[0] != steps[1]:  # the steps themselves, one value each
            return values
        return np.maximum(values[0::2], values[1::2])  # each bucket's (lowest, highest) pair

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
            column = 2 + self._layer_columns[series] if column is None else column
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
        self._ring = [kept if kept is not None and kept["step"] <= t else None for kept in self._ring]
        self._latest = tuple(pinned for pinned in self._latest if pinned["step"] <= t)
        for s in [s for s in self._keyframes if s > t]:
            self._keyframe_total -= self._keyframes.pop(s)[1]
        self._keyframe_ts = [s for s in self._keyframe_ts if s <= t]
        self._since_keyframe = 0.0
        self._steps_since_keyframe = 0

    # -- memory ----------------------------------------------------------------------------
    @property
    def record_nbytes(self):
        """Bytes of the arrays the kept records and keyframes hold, each counted once, plus
        their fixed overheads: what :attr:`window_bytes` and :attr:`keyframe_bytes` bound."""
        records = [kept for kept in self._ring if kept is not None]
        records += [pinned for pinned in self._latest if not any(kept is pinned for kept in records)]
        keyframes = [(kf.theta, kf.opt_state) for kf, _cost in list(self._keyframes.values())]
        return (held_bytes(records + keyframes) + RECORD_OVERHEAD * len(records)
                + KEYFRAME_OVERHEAD * len(keyframes))

    @property
    def scalar_nbytes(self):
        """Bytes of the per-step scalars, the ghost's included."""
        return self.scalars.nbytes + (0 if self.ghost_log is None else self.ghost_log.nbytes)

    @property
    def nbytes(self):
        """Memory held: the scalars, the ghost's, and the kept records and keyframes."""
        return self.scalar_nbytes + self.record_nbytes
