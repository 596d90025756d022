"""What the views of the mathematics share: a screen over the dashboard's session.

A view (chain rule, gradient check, model fit, loss surface) is pushed over the dashboard and
reads the dashboard's :class:`~gradstep.engine.training.session.Session`; it never steps it. The dashboard may be
training in its worker thread meanwhile, so a view polls the session's step a few times a
second and draws again when it changed, and reads the session's parameters under the
dashboard's engine lock so that it never sees half of a step. ``space`` and ``r`` are handed to
the dashboard's own actions, which step the session exactly as they do on the dashboard.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from textual.binding import Binding
from textual.screen import Screen

from gradstep.tui.i18n import translate_bindings

__all__ = ["MathView", "Snapshot", "selected_entry"]

POLL = 0.25
"""How often a view looks at the session's step (seconds)."""


@dataclass(frozen=True)
class Snapshot:
    """The session at one moment, read under the engine lock.

    Attributes:
        t: The step the session stands at.
        theta: The flat parameters at step t (after t updates).
        record: The record of step t (None at t = 0).
        mode: The dashboard's mode (``paused``, ``running``, ``diverged``).
    """

    t: int
    theta: np.ndarray
    record: object
    mode: str


def selected_entry(dashboard):
    """``(name, index)`` of the scalar under the dashboard's cursor; the first entry of the
    first parameter when the dashboard does not say."""
    try:
        cell = dashboard.grids[dashboard.layer_index].cell(*dashboard.cursor)
        if cell is not None:
            return cell.param, tuple(cell.index)
    except (AttributeError, IndexError, TypeError):
        pass
    layout = dashboard.session.layout
    shape = layout.shapes[0]
    return layout.names[0], tuple(0 for _dim in shape)


class MathView(Screen):
    """A full screen over the dashboard; escape or q goes back to it.

    Args:
        dashboard: The :class:`~gradstep.tui.screens.dashboard.DashboardScreen` whose session is shown.
    """

    BINDINGS = [
        Binding("escape", "close", "back"),
        Binding("q", "close", "back", show=False),
    ]

    STEPS_BINDINGS = [
        Binding("space", "dashboard('step(1)')", "step"),
        Binding("r", "dashboard('toggle_run')", "run/pause"),
    ]
    """Bindings a view adds when it should follow training as the learner steps."""

    def __init__(self, dashboard) -> None:
        super().__init__()
        translate_bindings(self)  # the subclass's bindings too: Screen.__init__ merged them
        self.dashboard = dashboard
        self.session = dashboard.session
        self.scenario = self.session.scenario
        self._seen = None

    def on_mount(self) -> None:
        self.set_interval(POLL, self._poll)

    def on_screen_resume(self) -> None:
        self.call_after_refresh(self._poll)

    def _poll(self) -> None:
        key = self.poll_key()
        if key != self._seen:
            self._seen = key
            self.session_changed()

    def poll_key(self):
        """What, when it changes, means the view is out of date."""
        return self.session.t, id(self.session.record)

    def session_changed(self) -> None:
        """The session moved (or the view just opened): draw again."""

    # -- reading the session ---------------------------------------------------------------
    @property
    def engine_lock(self):
        """The dashboard's lock around stepping (a no-op when it has none)."""
        lock = getattr(self.dashboard, "_engine", None)
        return lock if hasattr(lock, "__enter__") else nullcontext()

    def snapshot(self) -> Snapshot:
        with self.engine_lock:
            session = self.session
            return Snapshot(session.t, session.theta, session.record,
                            getattr(self.dashboard, "mode", "paused"))

    def step_inputs(self):
        """``(t, theta, batch)``: what step t's gradient is computed from (step 1's at t = 0),
        read under the lock (a step no longer kept is replayed by the session)."""
        with self.engine_lock:
            t = max(self.session.t, 1)
            theta, batch = self.session.step_inputs(t)
            return t, theta, batch

    # -- actions ---------------------------------------------------------------------------
    async def action_dashboard(self, action: str) -> None:
        """Run one of the dashboard's actions (``step(1)``, ``toggle_run``) on the dashboard."""
        name = action.split("(", 1)[0]
        if hasattr(self.dashboard, f"action_{name}"):
            await self.dashboard.run_action(action)
            self._poll()

    def action_close(self) -> None:
        self.app.pop_screen()
