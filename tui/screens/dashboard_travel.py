"""The dashboard's moves through the history: back, forward, home, end and the jump dialog.

A step the history keeps, or reaches by a short replay, is shown at once, as it always was.
A far one (on a large network, seconds of replay) answers at once too: the step's number and
what the scalar log holds of it (loss, validation loss, gradient norms) are on screen within a
frame, the panels that need its arrays say how far the replay is, and a thread worker replays
in short slices under the controller's lock (:class:`~gradstep.tui.travel.Travel`). The session
stands where it stood until the last slice: escape, the pause key, a step or another move stop
or supersede the replay at once and leave the session there.
"""

from __future__ import annotations

import time

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from gradstep.tui.i18n import _

__all__ = ["TravelActions", "ReachProgress", "Reached", "PROGRESS_EVERY"]

PROGRESS_EVERY = 0.1
"""The replay's progress reaches the screen at most this often (seconds)."""


class ReachProgress(Message):
    """A far goto's replay went on (``fraction`` of it done); ``token`` says which goto."""

    def __init__(self, token: int, fraction: float) -> None:
        super().__init__()
        self.token, self.fraction = token, fraction

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ReachProgress)


class Reached(Message):
    """A far goto's worker ended: ``arrived`` when the session stands at its target."""

    def __init__(self, token: int, arrived: bool) -> None:
        super().__init__()
        self.token, self.arrived = token, arrived


class TravelActions:
    """The travel keys of :class:`~gradstep.tui.screens.dashboard.DashboardScreen` (a base)."""

    reaching = None
    """The :class:`~gradstep.engine.training.travel.Reach` on its way, or None."""

    _reach_token = 0

    @property
    def shown_step(self) -> int:
        """The step on screen: the target of a goto on its way, else the session's."""
        reach = self.reaching
        return self.session.t if reach is None else reach.target

    def action_back(self, count: int) -> None:
        here = self._settled_step()
        if here == 0:
            self._pause()
            self.notify(_("already at step 0"), timeout=2)
            return
        self._travel(here - count)

    def action_forward(self, count: int) -> None:
        here = self._settled_step()
        if here >= self.session.furthest:
            self._pause()
            self.notify(_("at the latest step ({step}): space, n or r go further").format(
                step=self.session.furthest), timeout=3)
            return
        self._travel(here + count)

    def _settled_step(self) -> int:
        """The step a move goes from: a run is paused first and the step it was taking is let
        finish (a step's time, at most a second), so that `,` while running goes back ten from
        where the run stopped, not from the step before it."""
        if self.training.mode == "running":
            self._pause_run()
            self.training.idle(1.0)
        return self.shown_step

    def action_goto_start(self) -> None:
        self._travel(0)

    def action_goto_end(self) -> None:
        self._travel(self.session.furthest)

    def action_jump(self) -> None:
        from gradstep.tui.screens.jump_dialog import JumpDialog

        self._pause_run()  # a goto on its way goes on behind the dialog until another is typed
        self.app.push_screen(JumpDialog(self.shown_step, self.session.furthest), self._jumped)

    def _jumped(self, step: int | None) -> None:
        if step is not None:
            self._travel(step)

    def action_stop_reaching(self) -> None:
        """Escape: stop a goto on its way (the session stays where it stood)."""
        self._stop_reaching()

    def _travel(self, step: int) -> None:
        """Stand at ``step`` (clamped to 0 ... furthest) and show it; a run, or a goto on its
        way, is stopped first. A far step is shown at once as far as the scalar log goes, its
        arrays when the worker has replayed them."""
        self._stop_reaching(show=False)
        self._pause()
        reach = self.training.reach(step)
        if reach is None:
            self.present.everything(self.session.record)
            return
        self._reach_token += 1
        self.reaching = reach
        self.present.reaching(reach.target, 0.0)
        # The replay starts once the answer is painted: the worker would slow the paint down.
        self.call_after_refresh(self._replay, reach, self._reach_token)

    def _stop_reaching(self, show: bool = True) -> bool:
        """Stop the goto on its way, if one is; True when one was. Waits for the slice under way
        (the session is then where it stood, or at the target if that slice arrived)."""
        if self.reaching is None:
            return False
        with self.training.reading():  # no slice starts after this
            self._reach_token += 1
            self.reaching = None
        self.workers.cancel_group(self, "reach")
        if show:
            self.present.everything(self.session.record)
        return True

    @work(thread=True, exclusive=True, group="reach")
    def _replay(self, reach, token: int) -> None:
        """Replay ``reach`` in slices; its progress and its end come back as messages."""
        worker = get_current_worker()
        posted = time.monotonic()

        def progress(reach) -> None:
            nonlocal posted
            now = time.monotonic()
            if now - posted >= PROGRESS_EVERY:
                posted = now
                self.post_message(ReachProgress(token, reach.fraction))

        arrived = self.training.advance(reach, lambda: worker.is_cancelled or token != self._reach_token, progress)
        self.post_message(Reached(token, arrived))

    def on_reach_progress(self, message: ReachProgress) -> None:
        if message.token == self._reach_token and self.reaching is not None:
            self.present.reaching_progress(self.reaching.target, message.fraction)

    def on_reached(self, message: Reached) -> None:
        if message.token != self._reach_token:
            return  # stopped or superseded: whoever did has shown the session
        self.reaching = None
        self.present.everything(self.session.record)
