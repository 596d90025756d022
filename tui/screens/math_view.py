"""What the views of the mathematics share: a screen over the dashboard's training.

A view (chain rule, gradient check, model fit, loss surface) is pushed over the dashboard and
reads the session of the dashboard's :class:`~gradstep.tui.training.TrainingController`; it never
steps it. The dashboard may be training in its worker thread meanwhile, so a view polls the
controller a few times a second and draws again when the session moved, and reads the session's
step, parameters and record through the controller (under its lock) so that it never sees half
of a step. ``space`` and ``r`` are handed to the dashboard's own actions, which step the session
exactly as they do on the dashboard.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen

from gradstep.tui.faults import ContainsErrors
from gradstep.tui.i18n import translate_bindings

__all__ = ["MathView"]

POLL = 0.25
"""How often a view looks at the session's step (seconds)."""


class MathView(ContainsErrors, Screen):
    """A full screen over the dashboard; escape or q goes back to it.

    Args:
        dashboard: The :class:`~gradstep.tui.screens.dashboard.DashboardScreen` whose session is shown.

    Attributes:
        dashboard: That dashboard (its actions step the session; its cursor picks an entry).
        training: Its :class:`~gradstep.tui.training.TrainingController`, which the view reads.
        session: The controller's session, for what does not move while it steps (layout,
            scenario) and evaluations at parameters handed in.
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
        self.training = dashboard.training
        self.session = self.training.session
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
        return self.training.position()

    def session_changed(self) -> None:
        """The session moved (or the view just opened): draw again."""

    # -- actions ---------------------------------------------------------------------------
    async def action_dashboard(self, action: str) -> None:
        """Run one of the dashboard's actions (``step(1)``, ``toggle_run``) on the dashboard."""
        await self.dashboard.run_action(action)
        self._poll()

    def action_close(self) -> None:
        self.app.pop_screen()
