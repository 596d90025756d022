"""Histograms over time (``H``, issue 17): per layer, how its weights, gradients and updates are
distributed at each step kept, TensorBoard's histograms as counts in bins.

Nothing is recorded for them: they are read from what the session's history already holds
within its memory budget (:class:`~gradstep.engine.training.history.History`). Its ring of recent
records has every quantity of its steps; its keyframes, reaching back to step 0 at growing
intervals, have the parameters only. So the weights reach back to the start, sparsely, and the
gradients and updates only as far as the ring; :class:`Histograms` says which steps it has.

Bins are shared by every step of one quantity (equal widths between the least and the largest
finite value over those steps), so that a column of the heat map compares with the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["QUANTITIES", "Histograms", "groups", "bin_counts", "histograms", "kept_steps"]

QUANTITIES = ("theta", "grad", "delta")
"""What can be binned: the parameters after the step, the raw gradient, the update Δθ."""


@dataclass(frozen=True)
class Histograms:
    """One quantity of one group over the steps kept.

    Attributes:
        quantity: One of :data:`QUANTITIES`.
        group: The group's name (a layer, or ``θ`` for an objective's parameters together).
        steps: The steps, increasing (0: the initial parameters, for ``theta`` only).
        edges: ``bins + 1`` increasing bin edges; the last bin includes its right edge.
        counts: ``(len(steps), bins)`` integer counts; finite entries only.
        entries: How many entries a step has (the group's size).
    """

    quantity: str
    group: str
    steps: np.ndarray
    edges: np.ndarray
    counts: np.ndarray
    entries: int


def groups(layout) -> list[tuple[str, slice]]:
    """``[(name, slice of the flat vector)]``: each layer of a network (its weights and bias
    together); an objective's or a model's scalars as one group, ``θ``, since one scalar has no
    distribution."""
    if all(shape == () for shape in layout.shapes):
        return [("θ", slice(0, layout.size))]
    ends = list(layout.layer_offsets[1:]) + [layout.size]
    return [(name, slice(int(start), int(end)))
            for name, start, end in zip(layout.layer_names(), layout.layer_offsets, ends)]


def bin_counts(rows: list[np.ndarray], bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``(edges, counts)``: each array of ``rows`` counted in ``bins`` equal bins spanning the
    finite values of them all (one unit around a single value; the last bin closed)."""
    finite = [row[np.isfinite(row)] for row in rows]
    values = [row for row in finite if row.size]
    low = min((float(row.min()) for row in values), default=0.0)
    high = max((float(row.max()) for row in values), default=0.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    counts = np.zeros((len(rows), bins), dtype=np.int64)
    for i, row in enumerate(finite):
        where = np.clip(((row - low) / (high - low) * bins).astype(np.intp), 0, bins - 1)
        counts[i] = np.bincount(where, minlength=bins)
    return edges, counts


SCAN = 1024
"""How far back from the step shown the ring of records is looked through (it holds at most
:data:`~gradstep.engine.training.history.MAX_WINDOW` records, not always the latest ones after
time travel)."""


def kept_steps(history, furthest: int, quantity: str) -> list[int]:
    """The steps 1 ... ``furthest`` whose ``quantity`` the history holds: the ring's (every
    quantity) and, for ``theta``, the keyframes' too."""
    steps = {t for t in range(furthest, max(0, furthest - SCAN), -1) if history.cached(t) is not None}
    if quantity == "theta":
        steps.update(k for k in history.keyframe_steps if 1 <= k <= furthest)
    return sorted(steps)


def histograms(session, quantity: str, group: int, bins: int, most: int | None = None) -> Histograms:
    """``quantity`` of the ``group``-th of :func:`groups` over the steps the session's history
    holds up to the step it stands at, at most ``most`` of them (evenly spaced, the latest
    always in).

    Read under the training controller's lock: the history is shared with the training thread.
    """
    name, where = groups(session.layout)[group]
    steps = kept_steps(session.history, session.t, quantity)
    if quantity == "theta":
        steps = [0] + steps
    if most is not None and len(steps) > most:
        pick = np.unique(np.round(np.linspace(0, len(steps) - 1, most)).astype(np.intp))
        steps = [steps[i] for i in pick]
    rows = []
    for t in steps:
        if t == 0:
            rows.append(np.asarray(session.step_inputs(1)[0][where], dtype=np.float64))
            continue
        record = session.history.cached(t)
        rows.append(np.asarray(getattr(record, quantity)[where], dtype=np.float64) if record is not None
                    else np.asarray(session.history.theta_at(t)[where], dtype=np.float64))
    edges, counts = bin_counts(rows, bins)
    return Histograms(quantity, name, np.array(steps, dtype=np.int64), edges, counts, where.stop - where.start)
