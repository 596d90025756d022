"""Changing course and moving through history: the part of :class:`~gradstep.engine.training.session.Session`
that learners drive with the time-travel keys.

A mixin: it works on the session's parameters, optimizer state, schedule and history, which
:class:`~gradstep.engine.training.session.Session` sets up.
"""

from __future__ import annotations

import math

from gradstep.engine import optim
from gradstep.engine.i18n import _

__all__ = ["TimeTravel"]


class TimeTravel:
    """Learning-rate and optimizer changes (which branch the history), ``back``, ``goto``,
    ``export``; mixed into :class:`~gradstep.engine.training.session.Session`."""

    # -- changing course -------------------------------------------------------------------
    def set_lr(self, lr):
        """Use learning rate ``lr`` from the next step on.

        Before the furthest step this starts a new branch: the old future is kept as a ghost.
        """
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(_("learning rate must be a positive finite number, got {lr}")
                             .format(lr=lr))
        hyper = optim.hyperparameters(self._opt_kind, lr, **{k: v for k, v in self._hyper.items() if k != "lr"})
        self._change_course(self._opt_kind, hyper, fresh_state=False)

    def set_optimizer(self, kind, lr=None, **hyper):
        """Switch to optimizer ``kind`` (fresh state) from the next step on; see :meth:`set_lr`."""
        hp = optim.hyperparameters(kind, self._hyper["lr"] if lr is None else lr, **hyper)
        self._change_course(kind, hp, fresh_state=True)

    def set_hyper(self, **changes):
        """Change some hyperparameters of the current optimizer from the next step on."""
        merged = {**{k: v for k, v in self._hyper.items() if k != "lr"}, **changes}
        lr = merged.pop("lr", self._hyper["lr"])
        self._change_course(self._opt_kind, optim.hyperparameters(self._opt_kind, lr, **merged), False)

    def _change_course(self, kind, hyper, fresh_state):
        if kind == self._opt_kind and dict(hyper) == dict(self._hyper) and not fresh_state:
            return
        self.history.branch_at(self.t)
        self._schedule.set(self.t, kind, hyper, fresh_state)
        self._apply_schedule(self.t)

    def _apply_schedule(self, t):
        """Take the optimizer in force for step t + 1 (fresh state where it changed kind at t)."""
        start, kind, hyper, fresh = self._schedule.at(t)
        self._opt_kind, self._hyper = kind, hyper
        self._overflow_checked = tuple(k for k in ("S", "S_max") if k in optim.state_names(kind, hyper))
        if fresh and start == t:
            self._state = optim.init_state(kind, self._theta, hyper)

    # -- time travel -----------------------------------------------------------------------
    @property
    def furthest(self):
        """The furthest step computed on the current branch."""
        return self.history.furthest

    def back(self, k=1):
        """Go back ``k`` steps (not before step 0); returns the record there (None at 0)."""
        return self.goto(max(0, self.t - k))

    def goto(self, t):
        """Stand at step ``t`` (0 <= t <= furthest), exactly as the original run was there.

        A step whose record is no longer kept is replayed from the nearest keyframe.
        """
        if not 0 <= t <= self.history.furthest:
            raise ValueError(_("step {step} is outside the history ({first} to {last})")
                             .format(step=t, first=0, last=self.history.furthest))
        record = self.history.cached(t) if t else None
        if record is not None or t == 0:
            self._restore(t, record)
            return record
        key = self.history.keyframe_before(t)
        self._restore(key.step if key else 0, key)
        while self.t < t:
            self.step()
        return self.record

    def _restore(self, t, record):
        """Put the session at step ``t`` from its record (None for step 0)."""
        if record is None:
            self._theta = self._theta0
            kind, hyper = self._schedule.at(0)[1:3]
            self._state = optim.init_state(kind, self._theta, hyper)
        else:
            self._theta, self._state = record.theta, record.opt_state
        self.t, self.record = t, record
        size = self.scenario.training.batch_size
        per_epoch = -(-self._n // size) if self._n and 0 < size < self._n else 1
        self._epoch, self._batch = divmod(t, per_epoch)
        self._order = None
        self._apply_schedule(t)

    def export(self, path, format="jsonl", full=True):
        """Write the trace of steps 1 ... furthest (loss, parameters, gradients, state, updates).

        Written to a temporary file in the same folder and renamed, so nothing partial is
        ever left behind. See :mod:`gradstep.engine.training.trace` for the format.
        """
        from gradstep.engine.training.trace import write_trace

        here = self.t
        try:
            write_trace(path, self._replay_all(), self.layout, format, full, self._val is not None)
        finally:
            self.goto(here)

    def _replay_all(self):
        self._restore(0, None)
        for _step in range(self.history.furthest):
            yield self.step()
