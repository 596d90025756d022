"""Gradient check: the engine's gradient against central finite differences.

Each entry's numerical derivative is a Richardson-extrapolated central difference,
``(4 D(h/2) - D(h)) / 3`` with ``D(h) = (f(x + h) - f(x - h)) / 2h`` (error O(h^4)), always
in float64. Relative errors are taken against a floor at the differences' own rounding noise
(:func:`noise_floor`), so a tiny gradient is not failed for digits no difference quotient has.
An entry sitting on a kink (relu or abs at 0) has one-sided slopes that disagree
however small h gets; it is reported as a kink rather than counted as a mismatch. So is an entry
at the edge of the loss's domain (sqrt or log at 0), where the engine's slope is infinite or the
loss is not defined on one side.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["GradCheck", "EntryCheck", "gradient_check", "relative_error", "noise_floor"]

TOLERANCE = 1e-6
"""Largest relative error that passes, in float64."""


def relative_error(analytic, numeric, floor=1e-8):
    """``|a - n| / max(|a|, |n|, floor)``.

    The floor keeps entries near zero from dominating: finite differences cannot resolve a
    derivative below their own rounding noise, about ``eps * |f| / h``.
    """
    return float(abs(analytic - numeric) / max(abs(analytic), abs(numeric), floor))


def noise_floor(loss, h):
    """The smallest derivative a difference quotient with step ``h`` resolves at loss ``loss``,
    divided by :data:`TOLERANCE`: below it a relative error says nothing about the engine.

    Rounding in f(x + h) - f(x - h) is a few ulps of |f|, so the quotient carries an absolute
    error of roughly ``100 eps |f| / h`` (the Richardson combination amplifies it a little).
    """
    return max(1e-8, 100 * np.finfo(np.float64).eps * max(abs(loss), 1.0) / h / TOLERANCE)


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


def _check_entry(f, i, x, analytic, f0):
    """``(numeric, relative error, kink)`` for entry ``i`` at value ``x``.

    First a Richardson-extrapolated central difference with h = 1e-4 (scaled by |x|). When it
    disagrees with the engine, the stencil may straddle a kink (a relu unit of some sample
    switching within h): the check is repeated with h = 1e-6 and 1e-7. If those agree with the
    engine it passes; if the slopes still jump, the entry is on (or within 1e-7 of) a kink.
    """
    scale = max(1.0, abs(x))
    h = 1e-4 * scale
    fp, fm, fp2, fm2 = f(i, h), f(i, -h), f(i, h / 2), f(i, -h / 2)
    if not np.isfinite(analytic) or not np.all(np.isfinite((fp, fm, fp2, fm2))):
        # At the edge of the loss's domain (sqrt or log at 0): the slope is infinite or one
        # side is not defined. Not differentiable here, like a kink; nothing to compare.
        numeric = (fp - fm) / (2 * h)
        return numeric, float("nan"), True
    d1 = (fp - fm) / (2 * h)
    d2 = (fp2 - fm2) / h
    numeric = (4 * d2 - d1) / 3
    error = relative_error(analytic, numeric, noise_floor(f0, h))
    # Sitting on a corner: the one-sided slopes jump by the same amount however small the
    # step (for a smooth loss the jump halves with h).
    jump_h = abs((fp - f0) / h - (f0 - fm) / h)
    jump_h2 = abs((fp2 - f0) / (h / 2) - (f0 - fm2) / (h / 2))
    on_kink = jump_h2 > 0.6 * jump_h and jump_h2 > 1e-3 * max(abs(numeric), abs(analytic), 1e-8)
    if error <= TOLERANCE or on_kink:
        return numeric, error, bool(on_kink)
    for small in (1e-6 * scale, 1e-7 * scale):
        fp, fm = f(i, small), f(i, -small)
        numeric = (fp - fm) / (2 * small)
        error = relative_error(analytic, numeric, noise_floor(f0, small))
        if error <= TOLERANCE:
            return numeric, error, False
    # one-sided slopes that differ by more than rounding noise: the loss has a corner here
    right, left = (fp - f0) / small, (f0 - fm) / small
    kink = abs(right - left) > 1e3 * noise_floor(f0, small) * TOLERANCE
    return numeric, error, bool(kink)


def gradient_check(session, theta=None, batch=None, max_entries=2000, seed=0):
    """Check ``session``'s gradient at flat parameters ``theta`` (its current ones by default).

    A float32 scenario is checked on a float64 copy of itself: finite differences need the
    precision. More than ``max_entries`` entries are checked on a seeded random sample.
    """
    from gradstep.engine.training.session import Session

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
            numeric, error, kink = _check_entry(f, i, theta[i], grad[i], loss)
            k = int(np.searchsorted(session.layout.offsets, i, side="right") - 1)
            local = i - int(session.layout.offsets[k])
            index = np.unravel_index(local, session.layout.shapes[k]) if session.layout.shapes[k] else ()
            entries.append(EntryCheck(names[k], tuple(int(j) for j in index), float(grad[i]), float(numeric),
                                      error, kink))
    return GradCheck(tuple(entries), size, loss)
