"""Changing course and moving through history, for one :class:`~gradstep.engine.training.session.Session`.

:class:`TimeTravel` keeps the session's :class:`~gradstep.engine.training.history.History` and
its :class:`~gradstep.engine.training.history.Schedule` (which optimizer is in force from which
step), and moves the session through them. It never reads the session's attributes: it is
given the three things it may do to the session, and told the step the session stands at:

- ``stand(t, theta, state, record)``: put the session at step ``t`` with parameters ``theta``,
  optimizer state ``state`` and ``record`` (None at step 0);
- ``steer(kind, hyper, fresh)``: use optimizer ``kind`` with ``hyper`` from the next step on,
  starting from fresh state when ``fresh``;
- ``step()``: take the next step (which the history may already hold: a replay).

These are the session's bound methods, held weakly: the session holds its ``TimeTravel``, and
a strong reference back would make a cycle that keeps a dropped session (and its history of
up to a few hundred megabytes) alive until Python's cyclic collector happens to run.
"""

from __future__ import annotations

import copy
import math
import time
import weakref

from gradstep.engine import optim
from gradstep.engine.i18n import _
from gradstep.engine.training.history import History, Schedule
from gradstep.engine.training.record import StepRecord

__all__ = ["TimeTravel", "Reach", "hyper_with_lr", "hyper_with"]


def hyper_with_lr(kind, hyper, lr):
    """``hyper`` of optimizer ``kind`` with learning rate ``lr``.

    Raises:
        ValueError: When ``lr`` is not a positive finite number.
    """
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(_("learning rate must be a positive finite number, got {lr}").format(lr=lr))
    return optim.hyperparameters(kind, lr, **{k: v for k, v in hyper.items() if k != "lr"})


def hyper_with(kind, hyper, changes):
    """``hyper`` of optimizer ``kind`` with some values (``lr`` among them, perhaps) changed."""
    merged = {**{k: v for k, v in hyper.items() if k != "lr"}, **changes}
    lr = merged.pop("lr", hyper["lr"])
    return optim.hyperparameters(kind, lr, **merged)


class TimeTravel:
    """A session's history and schedule, and the moves through them.

    It acts on the session only through ``stand``, ``steer`` and ``step``, the session's bound
    methods, held weakly (see the module's docstring).

    Args:
        theta0: The parameters at step 0 (read-only).
        kind: The optimizer the scenario starts with.
        hyper: Its hyperparameters.
        layout: The session's parameter layout (what the history logs of each step).
        has_val: Whether the scenario has a validation split.
        history_options: Keyword arguments for :class:`History`.
        stand: ``stand(t, theta, state, record)`` puts the session at a step.
        steer: ``steer(kind, hyper, fresh)`` sets the optimizer in force from the next step.
        step: ``step()`` takes the session's next step and returns its record.

    Attributes:
        history: Where the session has been (replaced by :meth:`reset`).
        schedule: Which optimizer is in force for each step (replaced by :meth:`reset`).
    """

    def __init__(self, theta0, kind, hyper, layout, has_val, history_options, stand, steer, step):
        self._theta0 = theta0
        self._initial = (kind, hyper)
        self._layout, self._has_val = layout, has_val
        self._history_options = dict(history_options or {})
        self._stand, self._steer, self._step = (weakref.WeakMethod(f) for f in (stand, steer, step))
        self.history = self.schedule = None

    def reset(self):
        """Forget the history and every change of course, and stand at step 0; returns the new
        :class:`History`."""
        self.schedule = Schedule(*self._initial)
        self.history = History(self._layout, self._has_val, **self._history_options)
        self._restore(0, None)
        return self.history

    # -- changing course -------------------------------------------------------------------
    def change_course(self, t, kind, hyper, fresh_state):
        """From step ``t + 1`` on, use optimizer ``kind`` with ``hyper`` (from fresh state when
        ``fresh_state``). Before the furthest step this starts a new branch: the old future is
        kept as a ghost."""
        self.history.branch_at(t)
        self.schedule.set(t, kind, hyper, fresh_state)
        self._apply_schedule(t)

    def set_value(self, t, name, index, value, theta, record):
        """After step ``t``, entry ``index`` of parameter ``name`` is ``value`` (``=`` on the dashboard),
        the optimizer's state kept; before the furthest step this starts a new branch. A replay
        of step ``t`` sets it again (:meth:`with_values`), so the change is in the history like
        any other change of course, and the record of step ``t`` shows it (its update Δθ stays
        the optimizer's).

        Args:
            theta: The session's parameters at step ``t``.
            record: Its record of step ``t`` (None at step 0).

        Returns:
            ``(theta, record)`` with the value set, for the session to stand on.

        Raises:
            ValueError: For an unknown parameter or entry, or a value that is not a finite
                number; nothing changed.
        """
        index = self._layout.flat_index(name, index)
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(_("a parameter must be a finite number, got {value}").format(value=value))
        self.history.branch_at(t)
        self.schedule.set_value(t, index, value)
        theta = self.with_values(t, theta)
        if record is not None:
            fields = {k: v for k, v in record.__dict__.items() if k in StepRecord.__dataclass_fields__}
            fields["delta"] = record.delta  # the optimizer's update, from the parameters it made
            record = StepRecord.make(**{**fields, "theta": theta})
            self.history.amend(record)
        return theta, record

    def with_values(self, t, theta):
        """``theta`` with the entries set by hand after step ``t`` (a new read-only array), or
        ``theta`` itself when none was."""
        values = self.schedule.values_at(t)
        if not values:
            return theta
        theta = theta.copy()
        for index, value in values:
            theta[index] = value
        theta.flags.writeable = False
        return theta

    def replayed(self, t):
        """Step ``t``, already in the history, was taken again: take up the course that starts
        after it, if one does."""
        if self.schedule.at(t)[0] == t:
            self._apply_schedule(t)

    def _apply_schedule(self, t):
        """Steer by the entry in force for step t + 1 (fresh state where it changed kind at t)."""
        start, kind, hyper, fresh = self.schedule.at(t)
        self._steer()(kind, hyper, fresh and start == t)

    # -- moving through history ------------------------------------------------------------
    def goto(self, t):
        """Put the session at step ``t`` (0 <= t <= furthest) exactly as the original run was
        there, replaying from the nearest keyframe before it a step whose record is no longer
        kept; returns the record there (None at 0)."""
        record, start, keyframe = self._way_to(t)
        if record is not None or t == 0:
            self._restore(t, record)
            return record
        self._restore(start, keyframe)
        step = self._step()
        for _n in range(t - start):
            record = step()
        return record

    def _way_to(self, t):
        """``(record, start, keyframe)``: step ``t``'s kept record (None when not kept or at
        step 0), else the step a replay to it starts from and its keyframe (None for step 0)."""
        if not 0 <= t <= self.history.furthest:
            raise ValueError(_("step {step} is outside the history ({first} to {last})")
                             .format(step=t, first=0, last=self.history.furthest))
        history = self.history
        record = history.cached(t) if t else None
        if t == 0 or record is not None and (t == 1 or history.cached(t - 1) is not None):
            return record, t, None  # kept, and the step before too (the up-close panel shows it)
        keyframe = history.keyframe_before(t - 1)  # a keyframe holds no record: replay one step at least
        if keyframe is not None and keyframe.step == t - 1 and history.cached(t - 1) is None:
            # and the step before too: the up-close panel shows it beside step t
            keyframe = history.keyframe_before(t - 2)
        return None, keyframe.step if keyframe else 0, keyframe

    def replay_steps(self, t):
        """How many steps :meth:`goto` would replay to reach step ``t`` (0 when it is kept)."""
        record, start, _keyframe = self._way_to(t)
        return 0 if record is not None or t == 0 else t - start

    def reach(self, t, shadow):
        """A :class:`Reach` to step ``t``: :meth:`goto` in slices, replayed by ``shadow`` (a copy of
        the session that shares its history, data and gradient source, made by the session)."""
        record, start, keyframe = self._way_to(t)
        travel = copy.copy(self)
        travel._stand, travel._steer, travel._step = (
            weakref.WeakMethod(f) for f in (shadow._stand, shadow._steer, shadow.step))
        shadow._travel = travel
        return Reach(self, travel, shadow, t, start, record if record is not None or t == 0 else keyframe)

    def theta_before(self, t, here, theta):
        """The parameters before step ``t``'s update (1 <= t <= furthest + 1).

        Args:
            t: The step.
            here: The step the session stands at (it stands there again afterwards).
            theta: The parameters there.
        """
        if not 1 <= t <= self.history.furthest + 1:
            raise ValueError(_("step {step} is outside the history ({first} to {last})")
                             .format(step=t, first=1, last=self.history.furthest + 1))
        if t == here + 1:
            return theta
        if t == 1:
            return self.with_values(0, self._theta0)
        theta = self.history.theta_at(t - 1)
        if theta is None:
            theta = self.goto(t - 1).theta
            self.goto(here)
        return theta

    def replay_all(self):
        """Replay steps 1 ... furthest from step 0, yielding each record; the session is left
        wherever the caller stops (put it back with :meth:`goto`)."""
        self._restore(0, None)
        step = self._step()
        for _n in range(self.history.furthest):
            yield step()

    def _restore(self, t, kept):
        """Put the session at step ``t`` from its record or keyframe (None for step 0)."""
        if kept is None:
            kind, hyper = self.schedule.at(0)[1:3]
            theta, state = self.with_values(0, self._theta0), optim.init_state(kind, self._theta0, hyper)
        else:
            theta, state = kept.theta, kept.opt_state
        record = kept if isinstance(kept, StepRecord) else None
        self._stand()(t, theta, state, record)
        self._apply_schedule(t)


class Reach:
    """:meth:`TimeTravel.goto` in slices, for a caller that must stay responsive meanwhile (the
    dashboard's worker, which holds the session's lock for one slice at a time).

    A copy of the session (the shadow) replays from the keyframe; the session itself stays where
    it stood until the last slice, which puts it at the target at once. Dropping a reach half
    way (a cancelled goto) leaves the session exactly as it was; the steps replayed so far are
    in the history like any replay's (the ring, perhaps a keyframe). A reach that arrives keeps
    a keyframe at its target: steps after it are then near one.

    Attributes:
        target: The step being reached.
        start: The step the replay starts from.
        done: Steps replayed so far (of ``target - start``).
        record: The last record replayed (at the end, the target's; None at step 0).
    """

    def __init__(self, travel, shadow_travel, shadow, t, start, kept):
        self.target, self.start, self.done = t, start, 0
        self.record = kept if start == t else None
        self._travel, self._shadow_travel, self._shadow = travel, shadow_travel, shadow
        self._history = travel.history
        shadow_travel._restore(start, kept)

    @property
    def total(self):
        """Steps to replay in all."""
        return self.target - self.start

    @property
    def fraction(self):
        """How much of the replay is done, 0 to 1."""
        return self.done / self.total if self.total else 1.0

    @property
    def finished(self):
        return self.done >= self.total

    def advance(self, seconds=0.02):
        """Replay for about ``seconds`` (one step at least); once the target's record is there,
        stand the session at the target. Call it with the session's lock held, as for any
        change of the session. Returns True when the session stands at the target.

        Raises:
            ValueError: The history no longer holds the target (the session was reset, or a
                branch cut it meanwhile); the session is left where it was.
        """
        history = self._travel.history
        if history is not self._history or self.target > history.furthest:
            raise ValueError(_("step {step} is outside the history ({first} to {last})")
                             .format(step=self.target, first=0, last=history.furthest))
        step = self._shadow_travel._step()
        deadline = time.perf_counter() + seconds
        while self.done < self.total:
            self.record = step()
            self.done += 1
            if time.perf_counter() >= deadline:
                break
        if self.done < self.total:
            return False
        if self.total:  # a step gone to far away: the learner may look around it next
            history.add_keyframe(self.record)
        self._travel._restore(self.target, self.record)
        return True
