"""The training controller: the one owner of a running session (or of a race's runners).

A controller holds what it steps (a :class:`~gradstep.engine.training.session.Session`, or an
engine :class:`~gradstep.engine.analysis.race.Race`), its lock, mode and run speed, and the loop a
thread worker runs. Screens, views and the pictures code ask it for what they show, and never take
its lock from outside. It knows nothing of Textual: the screen's worker runs :meth:`Controller.run`
and says how a frame reaches the UI thread (a posted message, or ``call_from_thread``).

Threads: :meth:`Controller.run` is the only method meant for the worker thread; everything
else is called on the UI thread (the mode changes there only). Every read or write of the
session's moving state (its step, parameters, record, history) happens under the lock, so a
reader on another thread never sees half of a step.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from gradstep.engine.training.session import Diverged, Session
from gradstep.tui.course import Course
from gradstep.tui.history import TrainingHistory
from gradstep.tui.i18n import _
from gradstep.tui.pacing import BURST, SERVED, Pace, lower_thread_priority, served
from gradstep.tui.travel import Travel

__all__ = ["Controller", "TrainingController", "ExportCancelled", "Snapshot", "SPEEDS", "YIELD", "FRAME", "DRAW_WAIT"]

SPEEDS = (1, 3, 10, 30, 100, 300, 1000, None)
"""Run speeds in steps per second; None is as fast as the engine goes."""

YIELD = 0.002
"""The training thread offers the GIL to the UI thread this often (seconds)."""

FRAME = 1 / 10
"""While running, the training thread hands at most one frame to the UI this often. Drawing a
frame of the dashboard costs tens of milliseconds of the UI thread, and the engine shares the
interpreter with it; ten frames a second is smooth enough and leaves the engine most of
its speed."""

DRAW_WAIT = 0.25
"""The longest the training thread waits for :meth:`Controller.drawn` (see :meth:`Controller.run`)."""


@dataclass(frozen=True)
class Snapshot:
    """The session at one moment, read under the controller's lock.

    Attributes:
        t: The step the session stands at.
        theta: The flat parameters at step t (after t updates).
        record: The record of step t (None at t = 0).
        mode: The controller's mode (``paused``, ``running``, ``diverged``).
    """

    t: int
    theta: np.ndarray
    record: object
    mode: str


class Controller:
    """What a session's and a race's controllers share: the lock, the mode, the speed and the
    run loop.

    A subclass says what one step is (:meth:`_advance`, called with the lock held) and what
    :meth:`reading` hands out.

    Attributes:
        mode: ``paused``, ``running`` or ``diverged``; changed on the UI thread only.
        speed: Index into :data:`SPEEDS` (the last, as fast as the engine goes, at first).
    """

    pace: Pace | None = None
    """How a run shares the computer; None: :data:`~gradstep.tui.pacing.SERVED` in a served
    dashboard, else :data:`FRAME` and :data:`DRAW_WAIT` (a test may set it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one thread at a time steps, travels or reads a step
        self.mode = "paused"
        self.speed = len(SPEEDS) - 1
        self._run = 0
        self._stop = threading.Event()
        self._drawn = threading.Event()  # set by the UI when the frame handed to it is on screen
        self._loops = 0  # how many threads are inside :meth:`run` (a paused one may finish a step)
        self._loops_changed = threading.Condition()

    # -- what is stepped -------------------------------------------------------------------
    def _subject(self):
        """What :meth:`reading` hands out."""
        raise NotImplementedError

    def _advance(self):
        """Take one step with the lock held; returns what a frame shows, or None when nothing
        is left to step.

        Raises:
            gradstep.engine.training.session.Diverged: The step's loss or update is not finite.
        """
        raise NotImplementedError

    @contextmanager
    def reading(self) -> Iterator:
        """Hold the lock and hand out the session (or the race): no step, travel or change of
        course happens until the block ends. Keep the block short; the training thread waits."""
        with self._lock:
            yield self._subject()

    # -- pacing ----------------------------------------------------------------------------
    def change_speed(self, change: int) -> None:
        """Move ``change`` places along :data:`SPEEDS` (clamped to its ends)."""
        self.speed = min(max(self.speed + change, 0), len(SPEEDS) - 1)

    def speed_label(self) -> str:
        """The run speed as the status line says it: ``10/s``, or ``max``."""
        limit = SPEEDS[self.speed]
        return _("max") if limit is None else f"{limit}/s"

    # -- runs ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether a run is going (or about to start in its worker)."""
        return self.mode == "running"

    def start(self) -> tuple[int, threading.Event]:
        """Begin a run: ``(run, stop)`` to hand to the worker that calls :meth:`run`.

        ``run`` numbers the runs (:meth:`ended` ignores the end of a run already replaced);
        setting ``stop`` ends this run only.
        """
        self._run += 1
        self._stop = threading.Event()
        self.mode = "running"
        return self._run, self._stop

    def pause(self) -> bool:
        """Stop the current run; True when one was going (its worker should be cancelled)."""
        if self.mode != "running":
            return False
        self._stop.set()
        self._drawn.set()  # a worker waiting for a frame to be drawn sees the stop at once
        self.mode = "paused"
        return True

    def drawn(self) -> None:
        """The frame last handed to the UI is on screen: the training thread may step on."""
        self._drawn.set()

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until no thread is inside :meth:`run`, for at most ``timeout`` seconds; True
        when none is. A paused or cancelled run finishes the step it was taking before its loop
        returns: after this, the session stays where it is until the UI moves it."""
        with self._loops_changed:
            return self._loops_changed.wait_for(lambda: self._loops == 0, timeout)

    def ended(self, run: int) -> bool:
        """Run ``run``'s worker has finished; True when it was the current run (then the
        controller is no longer running)."""
        if run != self._run:
            return False
        if self.mode == "running":
            self.mode = "paused"
        return True

    def current_pace(self) -> Pace:
        """The :class:`~gradstep.tui.pacing.Pace` a run keeps to (see :attr:`pace`)."""
        return self.pace or (SERVED if served() else Pace(FRAME, DRAW_WAIT))

    def run(self, steps: int | None, stop: threading.Event, cancelled: Callable[[], bool],
            frame: Callable[[object, float | None], None]):
        """The worker's loop: step until ``stop`` is set, ``cancelled()`` says so, ``steps``
        steps are done (``steps`` None: until paused) or nothing is left to step.

        Called on the worker thread. Each step takes the lock; at most every :data:`FRAME`
        seconds ``frame(latest, steps per second)`` is called (the speed only when ``steps``
        is None); a run of ``steps`` None keeps to :attr:`speed`. A ``frame`` that returns True
        holds the steps until :meth:`drawn` or :meth:`pause` (:data:`DRAW_WAIT`). A served
        dashboard keeps to :data:`~gradstep.tui.pacing.SERVED` instead (see :attr:`pace`).

        Returns:
            ``(latest, diverged)``: what the last step returned (None when none was taken), and
            the :class:`~gradstep.engine.training.session.Diverged` that ended the run, if one did.
        """
        with self._loops_changed:
            self._loops += 1
        try:
            return self._loop(steps, stop, cancelled, frame)
        finally:
            with self._loops_changed:
                self._loops -= 1
                self._loops_changed.notify_all()

    def _loop(self, steps, stop, cancelled, frame):
        pace = self.current_pace()
        lower_thread_priority(pace.niceness)
        latest, taken, interval, computed = None, 0, pace.frame, 0.0
        started = window = yielded = time.perf_counter()
        posted = 0.0 if pace.frame_at_once else started
        in_window, rate = 0, None
        while not stop.is_set() and not cancelled() and (steps is None or taken < steps):
            began = time.perf_counter()
            with self._lock:
                if stop.is_set() or cancelled():
                    break
                try:
                    stepped = self._advance()
                except Diverged as exc:
                    return latest, exc
            if stepped is None:
                break
            latest = stepped
            taken += 1
            in_window += 1
            now = time.perf_counter()
            if now - yielded >= YIELD:
                # Offer the GIL to the UI thread: otherwise each time the event loop waits on
                # I/O, this loop keeps the GIL for a whole switch interval (5 ms) and keys lag.
                time.sleep(0)
                yielded = now
            if now - window >= 0.5 or (rate is None and now - started >= 0.1):
                rate, window, in_window = in_window / (now - window), now, 0
            if pace.duty < 1:
                computed += now - began
                if computed >= BURST:
                    stop.wait(pace.rest(computed))
                    computed, now = 0.0, time.perf_counter()
            if now - posted >= interval:
                self._drawn.clear()
                if frame(latest, rate if steps is None else None) is True:
                    self._drawn.wait(pace.draw_wait)
                    interval = pace.next_frame(time.perf_counter() - now)
                posted = time.perf_counter()
            limit = SPEEDS[self.speed]
            if steps is None and limit is not None:
                stop.wait(max(0.0, 1 / limit - (time.perf_counter() - began)))
        return latest, None


class TrainingController(Course, Travel, Controller):
    """Owns one scenario's session and the dashboard's :class:`~gradstep.tui.history.TrainingHistory`.

    Args:
        scenario: The scenario to train.
        session: A session of it to go on with (one resumed from a save file), instead of a
            new one at step 0.

    Attributes:
        session: The session. Read through it only what does not move while it steps (its
            ``layout``, ``scenario``, ``optimizer_kind``) and the evaluations at parameters
            handed in (``loss_at``, ``gradient_at``, ``predict``); read what moves (``t``,
            ``theta``, ``record``, ``history``) through :meth:`snapshot`, :meth:`step_inputs`
            or :meth:`reading`, and change it through this controller only.
        history: What the dashboard reads of the session's history (the gradient norms for
            the sparklines) and its learning-rate marks; it keeps no records of its own.
    """

    def __init__(self, scenario, session=None) -> None:
        super().__init__()
        self.session = Session(scenario) if session is None else session
        self.history = TrainingHistory(self.session)
        if session is not None:  # the marks of a resumed session's changes of the rate
            from gradstep.engine.training.save_file import lr_changes

            self.history.lr_changes = lr_changes(session)

    def _subject(self):
        return self.session

    def _advance(self):
        return self.session.step()

    # -- stepping --------------------------------------------------------------------------
    def step(self, count: int = 1):
        """Take ``count`` steps on the calling thread; returns the last record.

        The controller is paused afterwards (no longer diverged).

        Raises:
            gradstep.engine.training.session.Diverged: A step diverged; the steps before it are
                kept and the session stands at the last good one.
        """
        record = None
        for _i in range(count):
            with self._lock:
                record = self._advance()
        self.mode = "paused"
        return record

    def diverged(self) -> None:
        """Say the last step diverged (the dashboard shows it until a step or travel)."""
        self.mode = "diverged"

    # -- reading ---------------------------------------------------------------------------
    @property
    def t(self) -> int:
        """The step the session stands at (one number: read without the lock)."""
        return self.session.t

    def position(self) -> tuple[int, int]:
        """A token that changes whenever the session moves (a view polls it): its step and
        its record's identity. Read without the lock: it only has to notice a change."""
        session = self.session
        return session.t, id(session.record)

    def snapshot(self) -> Snapshot:
        """The step, parameters and record the session stands at, read together."""
        with self._lock:
            session = self.session
            return Snapshot(session.t, session.theta, session.record, self.mode)

    def step_inputs(self):
        """``(t, theta, batch)``: what step t's gradient is computed from (step 1's at t = 0),
        read under the lock (a step no longer kept is replayed by the session)."""
        with self._lock:
            t = max(self.session.t, 1)
            theta, batch = self.session.step_inputs(t)
            return t, theta, batch

    def lr_marks(self) -> tuple[int, ...]:
        """The steps after which the learning rate was changed, on the current branch."""
        return tuple(step for step, _old, _new in self.history.lr_changes)

    # -- course, export (time travel is :class:`~gradstep.tui.travel.Travel`'s) -------------
    def scale_lr(self, factor: float) -> tuple[float, float]:
        """Multiply the learning rate by ``factor`` from the next step on; before the furthest
        step this branches (the engine keeps the abandoned steps' losses as the ghost), and
        the change is marked in :attr:`history`. Returns ``(old, new)``.

        Raises:
            ValueError: The new rate is not a positive finite float (doubled past the largest
                float, or halved to zero); nothing changed.
        """
        with self._lock:
            old = self.session.hyper["lr"]
            self.session.set_lr(old * factor)
            new = self.session.hyper["lr"]
            self.history.truncate(self.session.furthest)
            self.history.lr_changes.append((self.session.t, old, new))
        return old, new

    def export(self, path, format: str, progress: Callable[[int, int], None] | None = None) -> int:
        """Write the trace of steps 1 ... furthest to ``path`` (from any thread), atomically, or
        to a text stream (a served dashboard's download, written in memory): the session's
        :meth:`~gradstep.engine.training.session.Session.export`, replayed under the lock with
        the fast encoder. Returns the number of steps written.

        Args:
            progress: ``progress(steps written, steps in all)`` after each step, on the calling
                thread; raise :class:`ExportCancelled` from it to stop.

        Raises:
            gradstep.engine.training.trace.ExportError: The file cannot be written.
            ExportCancelled: ``progress`` stopped it; nothing was written.
        """
        from gradstep.tui.trace_json import ENCODER

        with self._lock:
            steps = self.session.furthest
            report = None if progress is None else (lambda done: progress(done, steps))
            return self.session.export(path, format, encoder=ENCODER, progress=report)


    def save(self, target) -> int:
        """Write the session's save file (``w``) to ``target``, a path (atomically) or a binary
        stream, under the lock; returns the bytes written.

        Raises:
            gradstep.engine.training.trace.ExportError: The file cannot be written.
        """
        from gradstep.engine.training import save_file

        with self._lock:
            return save_file.save(self.session, target)


class ExportCancelled(Exception):
    """The learner stopped an export half way (raised from an export's ``progress``)."""
