"""The race's controller: an engine race stepped by the dashboard's run loop.

The race view owns one; it shares :class:`~gradstep.tui.training.Controller`'s lock, mode,
speed and loop with the dashboard's controller.
"""

from __future__ import annotations

from gradstep.tui.training import Controller

__all__ = ["RaceController"]


class RaceController(Controller):
    """Owns an engine race: the same lock, mode and run loop as a session's controller.

    Args:
        race: The :class:`~gradstep.engine.analysis.race.Race` to step.

    Attributes:
        race: The race. Read through it only what does not move while it steps (its
            ``runners`` and their optimizers, ``traced``); read the steps (``t``, losses,
            paths, ``summary``) within :meth:`reading`.
    """

    def __init__(self, race) -> None:
        super().__init__()
        self.race = race

    def _subject(self):
        return self.race

    def _advance(self):
        if self.race.finished:
            return None
        return self.race.step()

    def step(self) -> None:
        """One race step on the calling thread (every runner still going takes a step)."""
        with self._lock:
            self.race.step()
