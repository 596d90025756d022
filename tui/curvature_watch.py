"""The loss's curvature at the step shown (``K``, issue 17): λ_max and the rate 2/λ_max.

With the watch on, each time the dashboard comes to rest at a step (paused, after a step, a
travel, a change of rate) a thread worker computes the largest eigenvalue of the loss's Hessian
at the parameters the session stands at, θₜ (where the next step's gradient is taken, under the
rate the status line shows for it), on the whole training set
(:func:`gradstep.engine.analysis.curvature.curvature`). The work is bounded: at most
:data:`SECONDS` seconds and :data:`ITERATIONS` Hessian-vector products; what is unfinished then
is shown as an estimate (``≈``). It is abandoned as soon as the step changes, and not started
while a run goes (the status line says ``…``). The result reaches the screen as a message.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from textual.message import Message

from gradstep.engine.analysis.curvature import Stopped, curvature

__all__ = ["CurvatureKey", "CurvatureWatch", "CurvatureFound", "CurvatureReading", "SECONDS", "ITERATIONS"]

SECONDS = 8.0
"""The longest a computation goes on before its estimate is shown as such."""

ITERATIONS = 100
"""The most Hessian-vector products power iteration takes (each is two gradients)."""


@dataclass(frozen=True)
class CurvatureReading:
    """What the status line and the loss chart show.

    Attributes:
        step: The step the session stood at.
        state: ``computing``, ``estimate`` (stopped unconverged), ``done``, or ``unknown`` (the
            whole Hessian was not finished in time, or the gradient failed).
        lambda_max: The (estimated) largest eigenvalue, or None.
    """

    step: int
    state: str
    lambda_max: float | None = None

    @property
    def stable_lr(self) -> float | None:
        """2 / λ_max (None when unknown; inf when no direction curves upwards)."""
        if self.lambda_max is None:
            return None
        return 2.0 / self.lambda_max if self.lambda_max > 0 else float("inf")


class CurvatureFound(Message):
    """A curvature worker finished (or gave up) for the position ``key``."""

    def __init__(self, key, reading: CurvatureReading) -> None:
        super().__init__()
        self.key = key
        self.reading = reading


class CurvatureWatch:
    """Follows the dashboard's position and keeps one curvature computation for it.

    Args:
        screen: The dashboard (its ``training`` controller is read; :class:`CurvatureFound` is
            posted to it).

    Attributes:
        on: Whether the watch is shown and computed.
        reading: What to show, or None (off).
    """

    def __init__(self, screen) -> None:
        self.screen = screen
        self.on = False
        self.reading: CurvatureReading | None = None
        self._key = None
        self._stop: threading.Event | None = None

    def toggle(self) -> None:
        """Turn the watch on (starting a computation) or off (abandoning it)."""
        self.on = not self.on
        self._cancel()
        self._key, self.reading = None, None
        self.follow()

    def follow(self) -> CurvatureReading | None:
        """Start a computation when the position changed and no run goes; what to show now."""
        if not self.on:
            return None
        training = self.screen.training
        if training.running:
            self._cancel()
            self._key = None
            self.reading = CurvatureReading(training.t, "computing")
            return self.reading
        key = training.position()
        if key == self._key:
            return self.reading
        self._cancel()
        snapshot = training.snapshot()
        self._key = key
        self.reading = CurvatureReading(snapshot.t, "computing")
        stop = self._stop = threading.Event()
        worker = threading.Thread(target=self._compute, name="gradstep-curvature", daemon=True,
                                  args=(key, training.session, snapshot.t, snapshot.theta, stop))
        worker.start()
        return self.reading

    def found(self, message: CurvatureFound) -> CurvatureReading | None:
        """Take a worker's result if it is for the position still shown."""
        if self.on and message.key == self._key:
            self.reading = message.reading
        return self.reading

    def rates(self):
        """For the loss chart: the learning rate along the run and 2/λ_max at the step shown
        (:data:`~gradstep.tui.widgets.loss_chart.Rates`), or None while the watch is off."""
        if self.reading is None:
            return None
        session = self.screen.session
        changes = self.screen.history.lr_changes
        staircase = [(0, changes[0][1] if changes else session.hyper["lr"])]
        staircase += [(step, new) for step, _old, new in changes]
        return staircase, self.reading.stable_lr

    def close(self) -> None:
        """Abandon any computation (the screen goes away)."""
        self._cancel()

    def _cancel(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self._stop = None

    def _compute(self, key, session, t, theta, stop: threading.Event) -> None:
        deadline = time.monotonic() + SECONDS

        def stopping() -> bool:
            return stop.is_set() or time.monotonic() > deadline

        try:
            found = curvature(session, theta=theta, iterations=ITERATIONS, stop=stopping)
            reading = CurvatureReading(t, "done" if found.converged else "estimate", found.lambda_max)
        except Stopped:
            reading = CurvatureReading(t, "unknown")
        except Exception:  # noqa: BLE001 - a loss not finite there, the memory budget: not known
            reading = CurvatureReading(t, "unknown")
        if not stop.is_set():
            self.screen.post_message(CurvatureFound(key, reading))


class CurvatureKey:
    """The dashboard's part: ``K`` turns the watch on and off, a result redraws what shows it.
    The screen sets ``self.curvature = CurvatureWatch(self)`` and its presenter asks
    :meth:`CurvatureWatch.follow` whenever it writes the status line."""

    def action_curvature(self) -> None:
        self.curvature.toggle()
        self.present.status(self.session.record)
        self.present.loss()

    def on_curvature_found(self, message: CurvatureFound) -> None:
        if self.curvature.found(message) is not None:
            self.present.status(self.session.record)
            self.present.loss()
