"""The optimizers' equations as the interface writes them: the registry's lines in our number formats.

Each optimizer's equations live in its entry of :mod:`gradstep.engine.optim` (the symbolic lines
and the worked lines with a step's numbers substituted); this module only hands them the
interface's number formats (:mod:`gradstep.tui.format`). :func:`worked_lines` writes one scalar's
update for step t with the numbers of the step records of t - 1 and t substituted into each
equation; the value after ``=`` at the end of each line is the record's own (never recomputed),
so a learner can check every line with a calculator and find the engine's result.
:data:`TUTORIAL_CORRECTIONS` holds the misreadings the tutorial invites.
"""

from __future__ import annotations

from gradstep.engine import optim
from gradstep.engine.optim import Numbers, Scalar
from gradstep.tui.format import num, short
from gradstep.tui.i18n import N_

__all__ = ["worked_lines", "TUTORIAL_CORRECTIONS", "NUMBERS"]

NUMBERS = Numbers(num=num, short=short)
"""How the worked lines write numbers: a record's values with :func:`~gradstep.tui.format.num`,
hyperparameters with :func:`~gradstep.tui.format.short`."""


def worked_lines(kind: str, s: Scalar) -> list[tuple[str, str | None]]:
    """The update of scalar ``s`` at step ``s.t`` by optimizer ``kind``, numbers substituted.

    Returns:
        ``(equation, result)`` pairs: the equation in symbols with the numbers put in, and the
        record's value it equals (None for a line that only explains).
    """
    return optim.worked_lines(kind, s, NUMBERS)


TUTORIAL_CORRECTIONS = [
    (N_("V uses only g:"),
     N_("the tutorial's formula for V has S inside the recursion. Correct (Kingma & Ba 2015, "
        "torch.optim.Adam): V = β1·V + (1−β1)·g.")),
    (N_("S is not a second derivative:"),
     N_("Adam never uses second derivatives. S is the running mean of the squared first "
        "derivative: S = β2·S + (1−β2)·g².")),
    (N_("Bias correction stays outside the recursion:"),
     N_("the raw V and S are carried to the next step; only the update uses the corrected copies "
        "V̂ = V/(1−β1ᵗ), Ŝ = S/(1−β2ᵗ).")),
    (N_("g(h1(a, b), h2(c, d)) is not convolutional:"),
     N_("it is a fully connected two-layer network; back-propagation runs last layer to first with "
        "the chain rule, ∂g/∂a = ∂g/∂h1 · ∂h1/∂a.")),
]
"""Where the tutorial this project grew from is wrong, and what is right (shown in help; English,
translated with ``_()`` where shown)."""
