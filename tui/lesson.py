"""A lesson running beside the dashboard: which page is shown, and whether its check holds.

The app owns one :class:`LessonRun` while a lesson is open (``gradstep learn``, or ``L`` on
the dashboard). A few times a second the app reads the dashboard's state (:func:`state_of`:
the step, the loss at it, the learning rate, the screen open, whether the run diverged) and
asks the run whether the page's ``[page.until]`` holds; once it does, the page shows a check
mark and the lesson moves on by itself a moment later. ``>`` and ``<`` turn pages by hand.
"""

from __future__ import annotations

from gradstep.engine.scenario.lesson import Lesson, Page
from gradstep.tui.format import num, short
from gradstep.tui.i18n import _
from gradstep.tui.views import view_names

__all__ = ["LessonRun", "state_of", "view_name", "waiting_for", "HOLD_TICKS"]

HOLD_TICKS = 4
"""Ticks (a quarter of a second each) the check mark stays before the next page."""


def view_name(screen) -> str:
    """The lesson vocabulary's name of ``screen``: ``dashboard``, ``chain``, ... or ``other``
    (a dialog, the help)."""
    return view_names().get(type(screen).__name__, "other")


def state_of(app) -> dict | None:
    """What a page's check reads, from ``app``'s dashboard; None while there is none."""
    dashboard = app._dashboard()
    if dashboard is None:
        return None
    with dashboard.training.reading() as session:
        t = session.t
        loss = float(session.record.loss) if t and session.record is not None else None
        lr = float(session.hyper["lr"])
    return {"step": t, "loss": loss, "lr": lr, "view": view_name(app.screen),
            "diverged": dashboard.mode == "diverged"}


def waiting_for(page: Page, state: dict) -> list[str]:
    """Each condition of ``page`` not yet met, in words, with where the session stands."""
    until = page.until
    if until is None:
        return []
    loss = "—" if state["loss"] is None else num(state["loss"])
    words = {
        "step": lambda: _("step ≥ {n} (now {t})").format(n=until.step, t=state["step"]),
        "loss_below": lambda: _("loss < {x} (now {now})").format(x=num(until.loss_below), now=loss),
        "loss_above": lambda: _("loss > {x} (now {now})").format(x=num(until.loss_above), now=loss),
        "lr_below": lambda: _("α < {x} (now {now})").format(x=short(until.lr_below), now=short(state["lr"])),
        "lr_above": lambda: _("α > {x} (now {now})").format(x=short(until.lr_above), now=short(state["lr"])),
        "view": lambda: _("the {view} screen open").format(view=until.view),
        "diverged": lambda: _("the run diverged") if until.diverged else _("the run not diverged"),
    }
    return [words[name]() for name in until.unmet(**state)]


class LessonRun:
    """A lesson open in the app.

    Args:
        lesson: The :class:`~gradstep.engine.scenario.lesson.Lesson`.

    Attributes:
        lesson: The lesson.
        index: The page shown (0-based).
        held: Ticks since the page's check first held (0: not yet).
        shown: Whether the pane is shown (``L`` hides and shows it).
    """

    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.index = 0
        self.held = 0
        self.shown = True

    @property
    def page(self) -> Page:
        return self.lesson.pages[self.index]

    @property
    def last(self) -> bool:
        return self.index == len(self.lesson.pages) - 1

    def turn(self, by: int) -> bool:
        """Go ``by`` pages on (or back); True when the page changed."""
        index = min(max(self.index + by, 0), len(self.lesson.pages) - 1)
        if index == self.index:
            return False
        self.index, self.held = index, 0
        return True

    def tick(self, state: dict | None) -> bool:
        """Look at the dashboard's ``state``; True when the lesson should turn the page now (the
        check has held for :data:`HOLD_TICKS` ticks)."""
        until = self.page.until
        if state is None or until is None:
            return False
        if self.held or until.holds(**state):
            self.held += 1
        return self.held > HOLD_TICKS and not self.last
