"""Gradient check: the engine's gradient against central finite differences.

Each entry's numerical derivative is a Richardson-extrapolated central difference,
``(4 D(h/2) - D(h)) / 3`` with ``D(h) = (f(x + h) - f(x - h)) / 2h`` (error O(h^4)), always
in float64. An entry sitting on a kink (relu or abs at 0) has one-sided slopes that disagree
however small h gets; it is reported as a kink rather than counted as a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["GradCheck", "EntryCheck", "gradient_check", "relative_error"]

TOLERANCE = 1e-6
"""Largest relative error that passes, in float64."""


def relative_error(analytic, numeric):
    """``|a - n| / max(|a|, |n|, 1e-8)``; the floor keeps entries near zero from dominating."""
    return float(abs(analytic - numeric) / max(abs(analytic), abs(numeric), 1e-8))


@dataclass(frozen=True)
class EntryCheck:
    """One scalar entry of one parameter.

    Attributes:
        name: Parameter name.
        index: Index within the parameter (``()`` for scalars).
        analytic: The engine's gradient.
        numeric: The finite-difference estimate.
        error: Relative error between the two.
        kink: The loss has a kink here (one-sided slopes disagree).
    """

    name: str
    index: tuple
    analytic: float
    numeric: float
    error: float
    kink: bool


@dataclass(frozen=True)
class GradCheck:
    """The result for one scenario at one point.

    Attributes:
        entries: Every entry checked.
        total: How many entries the parameters have (more than ``len(entries)`` when sampled).
        loss: The loss at the point.
    """

    entries: tuple[EntryCheck, ...]
    total: int
    loss: float

    @property
    def worst(self):
        """The entry (not on a kink) with the largest relative error, or None."""
        smooth = [e for e in self.entries if not e.kink]
        return max(smooth, key=lambda e: e.error, default=None)

    @property
    def kinks(self):
        return tuple(e for e in self.entries if e.kink)

    @property
    def passed(self):
        worst = self.worst
        return worst is None or worst.error <= TOLERANCE


def gradient_check(session, theta=None, batch=None, max_entries=2000, seed=0):
    """Check ``session``'s gradient at flat parameters ``theta`` (its current ones by default).

    A float32 scenario is checked on a float64 copy of itself: finite differences need the
    precision. More than ``max_entries`` entries are checked on a seeded random sample.
    """
    from engine.session import Session

    if session.dtype != np.float64:
        session = Session(replace(session.scenario, dtype="float64"))
    theta = np.array(session.theta if theta is None else theta, dtype=np.float64)
    loss, grad = session.gradient_at(theta, batch)
    size = theta.size
    if size > max_entries:
        picks = np.sort(np.random.default_rng(seed).choice(size, max_entries, replace=False))
    else:
        picks = np.arange(size)

    def f(i, step):
        moved = theta.copy()
        moved[i] += step
        moved.flags.writeable = False
        return session.loss_at(moved, batch)

    names = session.layout.names
    entries = []
    with np.errstate(all="ignore"):
        for i in picks:
            h = 1e-4 * max(1.0, abs(theta[i]))
            f0 = loss
            fp, fm = f(i, h), f(i, -h)
            fp2, fm2 = f(i, h / 2), f(i, -h / 2)
            d1 = (fp - fm) / (2 * h)
            d2 = (fp2 - fm2) / h
            numeric = (4 * d2 - d1) / 3
            jump_h = abs((fp - f0) / h - (f0 - fm) / h)
            jump_h2 = abs((fp2 - f0) / (h / 2) - (f0 - fm2) / (h / 2))
            scale = max(abs(numeric), abs(grad[i]), 1e-8)
            kink = jump_h2 > 0.6 * jump_h and jump_h2 > 1e-3 * scale
            k = int(np.searchsorted(session.layout.offsets, i, side="right") - 1)
            local = i - int(session.layout.offsets[k])
            index = np.unravel_index(local, session.layout.shapes[k]) if session.layout.shapes[k] else ()
            entries.append(EntryCheck(names[k], tuple(int(j) for j in index), float(grad[i]), float(numeric),
                                      relative_error(grad[i], numeric), bool(kink)))
    return GradCheck(tuple(entries), size, loss)
