"""Changes of course for the training controller: the optimizer, its hyperparameters, a value.

:class:`Course` is a part of :class:`~gradstep.tui.training.TrainingController` (its base, like
:class:`~gradstep.tui.travel.Travel`): it uses the controller's session, lock and history. Each
change is the session's (``set_optimizer``, ``set_hyper``, ``set_value``), made under the lock at
the step the session stands at; before the furthest step it starts a branch, as ``[`` / ``]`` do.
Each is marked in the dashboard's history like a learning-rate change (a line on the loss chart).
Nothing here touches a file: a served dashboard allows them all.
"""

from __future__ import annotations

import math

from gradstep.tui.i18n import _

__all__ = ["Course"]


class Course:
    """The optimizer picker's, the hyperparameter form's and the ``=`` dialog's changes (a base
    of the training controller). Each raises ValueError, with a sentence for the learner, when
    the engine refuses the change; nothing changed then."""

    def switch_optimizer(self, kind: str) -> tuple[str, str]:
        """Use optimizer ``kind`` from the next step on, from fresh state (as a new
        ``torch.optim`` object would start) and with the learning rate in force; its other
        hyperparameters are its defaults. Returns ``(old kind, new kind)``."""
        with self._lock:
            old = self.session.optimizer_kind
            self._mark(lambda session: session.set_optimizer(kind))
        return old, kind

    def set_hyper(self, **changes: float) -> None:
        """Change some hyperparameters of the optimizer in force, from the next step on (its
        state kept)."""
        with self._lock:
            self._mark(lambda session: session.set_hyper(**changes))

    def set_value(self, name: str, index: tuple[int, ...], value: float) -> None:
        """Set entry ``index`` of parameter ``name`` to ``value`` at the step the session stands
        at; the next step starts from it, the optimizer's state kept."""
        self.set_values([(name, index, value)])

    def set_values(self, values) -> None:
        """:meth:`set_value` for each ``(name, index, value)`` of ``values``, as one change (the
        surface view's start point sets two). Every value is checked before any is set."""
        with self._lock:
            layout = self.session.layout
            for name, index, value in values:
                layout.flat_index(name, index)
                if not math.isfinite(float(value)):
                    raise ValueError(_("a parameter must be a finite number, got {value}").format(value=value))

            def change(session):
                for name, index, value in values:
                    session.set_value(name, index, value)
            self._mark(change)
            if self.session.t == 0:  # the "before" of step 1
                self.history.initial = self.session.params

    def _mark(self, change) -> None:
        """Make ``change(session)`` (the lock held) and mark it where the learning-rate changes
        are marked: a branch forgets the marks after it."""
        session = self.session
        old = session.hyper["lr"]
        change(session)
        self.history.truncate(session.furthest)
        self.history.lr_changes.append((session.t, old, session.hyper["lr"]))
