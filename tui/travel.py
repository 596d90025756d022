"""Time travel for the training controller: going to a step at once, or in slices.

:class:`Travel` is a part of :class:`~gradstep.tui.training.TrainingController` (its base): it
uses the controller's session, lock and mode. A step the history keeps, or reaches by a short
replay (at most :data:`AT_ONCE`), is gone to at once on the calling thread, as always. A longer
replay is a :class:`~gradstep.engine.training.travel.Reach` that a worker advances in slices of
:data:`SLICE` seconds, each under the lock, so that the pause key, another goto or escape stop it
at once; until its last slice the session stands where it stood, so stopping it leaves the
session exactly there.
"""

from __future__ import annotations

import time
from typing import Callable

__all__ = ["Travel", "AT_ONCE", "SLICE"]

AT_ONCE = 0.05
"""A goto whose replay should take at most this long (seconds) is done at once."""

SLICE = 0.02
"""How long a slice of a reach's replay holds the controller's lock (seconds)."""


class Travel:
    """Going to a step, and reading the record of another (a base of the training controller)."""

    def record_at(self, step: int, fetch: bool = False):
        """The record of ``step`` on the current branch, if the session's history keeps it (or
        the session stands there); None for step 0.

        Args:
            fetch: When neither keeps it and no run is going, have the session replay it (from
                its nearest keyframe; the session then comes back to where it stood).
        """
        if step < 1:
            return None
        record = self.session.record
        if record is None or record.step != step:
            record = self.session.history.cached(step)
        if record is None and fetch and self.mode != "running" and step <= self.session.furthest:
            with self._lock:
                here = self.session.t
                record = self.session.goto(step)
                self.session.goto(here)
        return record

    def goto(self, step: int):
        """Stand at ``step`` (clamped to 0 ... furthest); the caller pauses a run first.
        Returns the record there (None at step 0); the controller is paused afterwards."""
        with self._lock:
            session = self.session
            step = min(max(step, 0), session.furthest)
            record = session.goto(step)
        self.mode = "paused"
        return record

    def reach(self, step: int, at_once: float | None = None):
        """Go to ``step`` (clamped to 0 ... furthest) at once when the history gets there within
        ``at_once`` seconds (:data:`AT_ONCE` by default; then return None, the session standing there), else return a
        :class:`~gradstep.engine.training.travel.Reach` for :meth:`advance` (the session still
        where it stood). The caller pauses a run first; the controller is paused afterwards."""
        with self._lock:
            session = self.session
            step = min(max(step, 0), session.furthest)
            if session.replay_seconds(step) <= (AT_ONCE if at_once is None else at_once):
                session.goto(step)
                reach = None
            else:
                reach = session.reach(step)
        self.mode = "paused"
        return reach

    def advance(self, reach, cancelled: Callable[[], bool], progress: Callable[[object], None]) -> bool:
        """Replay ``reach`` in slices of :data:`SLICE` seconds, each under the lock, calling
        ``progress(reach)`` after each, until the session stands at its target (True) or
        ``cancelled()`` says so (False: the session stands where it stood). For a worker thread.
        """
        while not cancelled():
            with self._lock:
                if cancelled():
                    return False
                try:
                    if reach.advance(SLICE):
                        return True
                except ValueError:  # the history no longer holds the target (a reset)
                    return False
            progress(reach)
            time.sleep(0)  # offer the interpreter to the UI thread
        return False
