"""A step in four phases (``P``, issue 17): forward, loss, backward, update.

With phases on, ``space`` advances one phase instead of one step. The first phase takes the step
as always (one call of the engine, :meth:`~gradstep.tui.training.TrainingController.step`) and
keeps its record; the phases then uncover the record's own numbers in the order the step
computed them, and nothing is computed a second way:

1. forward: the graph's values fill in, layer by layer (node by node in the graph view); the
   dashboard still shows the parameters and state before the step;
2. loss: the record's loss, in the status line;
3. backward: the gradients fill in from the loss down: the layer list's norms and the gradient
   matrix show the record's ∂L/∂θ;
4. update: θ, V, S change: the dashboard shows the whole record.

``r`` in phase mode is the slow motion: a phase every :data:`SLOW` seconds, each filling in over
:data:`FILL_TICKS` ticks.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from gradstep.engine.training.session import Diverged
from gradstep.tui.format import num
from gradstep.tui.i18n import N_, _

__all__ = ["PHASES", "Phases", "PhaseKey", "SLOW", "FILL_TICKS", "TICK"]

PHASES = (N_("forward"), N_("loss"), N_("backward"), N_("update"))
"""The phases in order (English; translated where drawn)."""

NUMBERS = "①②③④"

SLOW = 1.6
"""Seconds between two phases in slow motion."""

TICK = 0.15
"""Seconds between two fillings-in of a phase (forward: one more layer of values; backward:
one more layer of gradients)."""

FILL_TICKS = 8
"""Ticks over which a phase fills in completely."""


class Phases:
    """Where the dashboard stands within a step, and the step's record.

    Attributes:
        on: Whether ``space`` advances a phase.
        index: The phase shown (0 forward ... 3 update), or None between steps.
        record: The record of the step being shown in phases.
        before: The record shown before it (None at step 0).
        fill: How much of the phase has filled in, 0 ... 1.
        slow: Whether the slow motion runs.
    """

    def __init__(self, screen) -> None:
        self.screen = screen
        self.on = False
        self.index: int | None = None
        self.record = None
        self.before = None
        self.fill = 1.0
        self.slow = False
        self._timers = []
        self._filling = None

    # -- what the views ask ----------------------------------------------------------------
    def phase(self, t: int | None = None) -> int | None:
        """The phase shown for step ``t`` (None: the step is shown whole)."""
        if not self.on or self.index is None or self.record is not self.screen.session.record:
            return None  # off, between steps, or the session has moved on (travel, reload)
        return self.index if t is None or t == self.record.step else None

    def hidden(self, graph):
        """For the graph of the step in phases, ``hidden(key) -> (value hidden, gradient
        hidden)``; None when everything shows. Leaves (parameters, data) are known before the
        forward pass; the other values fill in in topological order, the gradients in reverse."""
        phase = self.phase(graph.step)
        if phase is None or phase == 3:
            return None
        nodes = graph.nodes
        computed = [n.key for n in nodes if n.inputs]
        shown = int(round(self.fill * len(computed)))
        if phase == 0:
            values = set(computed[:shown])
            return lambda key: (bool(nodes[key].inputs) and key not in values, True)
        if phase == 1:
            return lambda key: (False, True)
        grads = {n.key for n in nodes if n.grad is not None}
        order = sorted(grads, reverse=True)  # from the loss down
        done = set(order[:int(round(self.fill * len(order)))])
        return lambda key: (False, key not in done)

    # -- stepping --------------------------------------------------------------------------
    def toggle(self) -> None:
        """Phases on or off (off shows the step being shown in phases whole)."""
        self.on = not self.on
        self.stop_slow()
        if self.index is not None and self.index < 3 and self.record is not None:
            self.screen.present.everything(self.record)
        self.index, self.fill = None, 1.0
        self.screen.present.status(self.screen.session.record)

    def advance(self) -> None:
        """The next phase; after the update (or between steps), the next step's forward pass."""
        screen = self.screen
        if self.index is None or self.index == 3 or self.record is not screen.session.record:
            self.before = screen.session.record
            try:
                self.record = screen.training.step()
            except Diverged as exc:
                self.stop_slow()
                self.index = None
                screen._diverged(exc.step, exc.message)
                return
            self.index = 0
        else:
            self.index += 1
        self.fill = 0.0 if self.index in (0, 2) else 1.0
        self.show()
        self._stop_filling()
        # No ``repeat=FILL_TICKS``: a late timer skips ticks, and the fill would stop short of
        # 1 on a busy machine. The timer runs until the phase has filled in, a tick a stage.
        self._filling = screen.set_interval(TICK, self._tick) if self.fill < 1.0 else None

    def _tick(self) -> None:
        if self.phase() is None:  # the session moved on meanwhile (n, travel, reload)
            self._stop_filling()
            return
        self.fill = min(1.0, self.fill + 1.0 / FILL_TICKS)
        if self.fill >= 1.0:
            self._stop_filling()
        self.show()

    def _stop_filling(self) -> None:
        if self._filling is not None:
            self._filling.stop()
            self._filling = None

    def toggle_slow(self) -> None:
        """``r`` in phase mode: the slow motion on or off."""
        if self.slow:
            self.stop_slow()
        else:
            self.slow = True
            self.advance()
            self._timers.append(self.screen.set_interval(SLOW, self.advance))
        self.screen.present.status(self.screen.session.record)

    def stop_slow(self) -> None:
        self.slow = False
        for timer in self._timers:
            timer.stop()
        self._timers = []

    # -- the dashboard ---------------------------------------------------------------------
    def show(self) -> None:
        """The dashboard as the phase leaves it: before the update, the step before's record
        with the phase's numbers over it; at the update, the whole record."""
        present, record = self.screen.present, self.record
        if self.phase() is None:
            return
        if self.index == 3:
            present.everything(record)
            return
        present.everything(self.before)
        if self.index == 2 and self.fill >= 1.0:  # the gradients: the record's own
            present.layers(record, sparklines=False)
            grid = self.screen.grids[self.screen.layer_index]
            for view in self.screen.query("#grad, #view-grad"):  # the gradient matrices only
                view.values = grid.values(record.grads) if present.shown(view) else None
        present.status(self.before)

    def adjust(self, status) -> None:
        """Write the phase into the status line (the presenter calls this last)."""
        index = self.phase()
        if not self.on:
            status.phase = None
            return
        if index is None:
            status.phase = Text(_("phases") + (" ▶" if self.slow else ""), style=Style(color="cyan"))
            return
        record = self.record
        status.step, status.loss_theta = record.step, record.step - 1
        status.loss = record.loss if index >= 1 else None
        status.loss_change = status.clip = None
        status.phase = self.text(index)

    def text(self, index: int) -> Text:
        """``② loss L = 0.6931``: the phase, its number and what it has filled in so far."""
        record = self.record
        text = Text()
        for i, name in enumerate(PHASES):
            style = Style(color="cyan", bold=True) if i == index else Style(dim=True)
            text.append(f"{NUMBERS[i]} {_(name)}" if i == index else NUMBERS[i], style=style)
            text.append(" ")
        layers = list(record.layer_grad_norms.items())
        if index == 0:  # a network's layers in turn; an objective is one expression of θ
            names = [name for name, _norm in layers] if self.screen.scenario.kind == "network" else ["f(θ)"]
            shown = int(round(self.fill * len(names)))
            text.append(" → ".join(["x"] + names[:shown] + (["L"] if shown == len(names) else [])))
        elif index == 1:
            text.append("L = " + num(record.loss), style=Style(bold=True))
        elif index == 2:
            shown = int(round(self.fill * len(layers)))
            text.append(" ← ".join(["L"] + [f"{name} ‖∇‖ {num(norm, 3)}" for name, norm in layers[::-1][:shown]]))
        else:
            text.append("θ ← θ + Δθ", style=Style(bold=True))
        if self.slow:
            text.append(" ▶", style=Style(color="cyan"))
        return text


class PhaseKey:
    """The dashboard's part: ``P`` turns phases on and off."""

    def action_phases(self) -> None:
        self._pause()
        self.phases.toggle()
