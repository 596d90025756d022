"""An optimizer race: one scenario trained in lockstep by several optimizers.

Every runner is its own :class:`~gradstep.engine.training.session.Session` on the same scenario with a different
optimizer (``dataclasses.replace(scenario, optimizer=spec, compare=())``): the same data, the
same initial weights and the same batches, so each runner's steps are bit for bit those of a
single run of that optimizer. :meth:`Race.step` steps every runner still going; a runner whose
loss or update stops being finite is marked diverged at that step and stays there while the
others go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from gradstep.engine import memory
from gradstep.engine.errors import locate_key
from gradstep.engine.i18n import _
from gradstep.engine.scenario import session_bytes
from gradstep.engine.training.session import Diverged, Session
from gradstep.engine.analysis.surface import entry_label

__all__ = ["Race", "Runner", "RunnerSummary"]


@dataclass(eq=False)
class Runner:
    """One optimizer in the race.

    Attributes:
        label: Its name in the race (the spec's label, else its kind, made unique).
        session: Its session.
        losses: The loss of each step taken (step t at index t - 1), as in the step records.
        path: The two traced entries' values, at step 0 and after each step, as ``(x, y)``.
        diverged_at: The step at which it diverged, or None.
        message: Why it diverged, for the learner, or None.
    """

    label: str
    session: Session
    losses: list = field(default_factory=list)
    path: list = field(default_factory=list)
    diverged_at: int | None = None
    message: str | None = None

    @property
    def kind(self):
        """The optimizer's kind (``adam``, ``sgd``, ...)."""
        return self.session.optimizer_kind

    @property
    def hyper(self):
        """Its hyperparameters (``lr`` and the optimizer's own)."""
        return self.session.hyper

    @property
    def diverged(self):
        return self.diverged_at is not None


@dataclass(frozen=True)
class RunnerSummary:
    """How one runner did.

    Attributes:
        label: The runner's label.
        kind: Its optimizer.
        steps: Steps it completed.
        reached: The first step whose loss is at or below the threshold, or None.
        final_loss: The loss of its last step (None before any step).
        best_loss: The lowest loss of any of its steps (None before any step).
        diverged_at: The step at which it diverged, or None.
    """

    label: str
    kind: str
    steps: int
    reached: int | None
    final_loss: float | None
    best_loss: float | None
    diverged_at: int | None


class Race:
    """Several optimizers on one scenario, stepped together.

    Args:
        scenario: The scenario (its own optimizer is ignored unless nothing else is given).
        specs: The optimizers (:class:`~gradstep.engine.scenario.OptimizerSpec`); by default the
            scenario's ``compare`` list, or its optimizer alone when the list is empty.
        history_options: Passed to each runner's session.

    Attributes:
        runners: The runners, in the order of ``specs``.
        t: Steps taken by the race (a diverged runner stops counting earlier).
        traced: The two entries whose path is traced, ``((name, index), (name, index))``: the
            first two scalar parameters, else the first two entries of the parameters.
    """

    def __init__(self, scenario, specs=None, history_options=None):
        specs = tuple(specs) if specs is not None else (tuple(scenario.compare) or (scenario.optimizer,))
        if not specs:
            raise ValueError("a race needs at least one optimizer")
        self.scenario = scenario
        _check_budget(scenario, len(specs))
        self.runners = tuple(Runner(label, Session(replace(scenario, optimizer=spec, compare=()), history_options))
                             for label, spec in zip(_labels(specs), specs))
        self.t = 0
        layout = self.runners[0].session.layout
        scalars = [layout.slices[k].start for k, shape in enumerate(layout.shapes) if shape == ()]
        flats = scalars[:2] if len(scalars) >= 2 else list(range(min(2, layout.size)))
        self._flats = flats
        self.traced = tuple(_entry(layout, i) for i in flats)
        for runner in self.runners:
            runner.path.append(self._traced_values(runner.session.theta))

    @property
    def finished(self):
        """Every runner has diverged."""
        return all(r.diverged for r in self.runners)

    def step(self):
        """Step every runner that has not diverged once; returns the race's step count."""
        for runner in self.runners:
            if runner.diverged:
                continue
            try:
                record = runner.session.step()
            except Diverged as exc:
                runner.diverged_at, runner.message = exc.step, exc.message
                continue
            runner.losses.append(record.loss)
            runner.path.append(self._traced_values(record.theta))
        self.t += 1
        return self.t

    def run(self, n):
        """Take ``n`` race steps (fewer when every runner has diverged)."""
        for _ in range(n):
            if self.finished:
                break
            self.step()
        return self.t

    def summary(self, threshold=None):
        """One :class:`RunnerSummary` per runner; ``reached`` is the first step whose loss
        (``record.loss``, the loss before that step's update) is at or below ``threshold``."""
        out = []
        for r in self.runners:
            losses = np.asarray(r.losses, dtype=np.float64)
            reached = None
            if threshold is not None and losses.size:
                hits = np.flatnonzero(losses <= threshold)
                reached = int(hits[0]) + 1 if hits.size else None
            out.append(RunnerSummary(r.label, r.kind, len(r.losses), reached,
                                     float(losses[-1]) if losses.size else None,
                                     float(losses.min()) if losses.size else None, r.diverged_at))
        return tuple(out)

    def trajectories(self):
        """``{label: array (k + 1, 2)}``: each runner's path through the two traced entries,
        from step 0, for drawing over a :mod:`~gradstep.engine.analysis.surface`."""
        return {r.label: np.array(r.path, dtype=np.float64).reshape(-1, 2) for r in self.runners}

    @property
    def traced_labels(self):
        """The traced entries as text (``x``, ``layer1.W[0, 1]``)."""
        return tuple(entry_label(*e) for e in self.traced)

    def _traced_values(self, theta):
        values = [float(theta[i]) for i in self._flats]
        return tuple(values + [float("nan")] * (2 - len(values)))


def _check_budget(scenario, count):
    """Every runner is a session of its own, with its own working arrays: refuse a race whose
    copies would not fit the memory budget, before making any of them."""
    each = session_bytes(scenario)
    what = (_("{count} copies of the training, one per optimizer in the race (each about "
              "{each}): race fewer optimizers, or use fewer data rows or a smaller model")
            .format(count=count, each=memory.human(each)))
    try:
        memory.check(count * each, what, key="compare")
    except memory.MemoryBudgetError as exc:
        line = None
        if scenario.path is not None:
            try:
                line = locate_key(Path(scenario.path).read_text(encoding="utf-8-sig"),
                                  ("compare", 0))
            except (OSError, ValueError):
                pass
        raise exc.located(file=scenario.path, line=line) from None


def _entry(layout, flat):
    k = int(np.searchsorted(layout.offsets, flat, side="right") - 1)
    shape = layout.shapes[k]
    index = tuple(int(i) for i in np.unravel_index(flat - int(layout.offsets[k]), shape)) if shape else ()
    return layout.names[k], index


def _labels(specs):
    """Each spec's label (or kind); repeated names get their learning rate, then a number."""
    names = [spec.label or spec.kind for spec in specs]
    names = [f"{n} (lr={s.lr:g})" if names.count(n) > 1 else n for n, s in zip(names, specs)]
    seen = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if names.count(n) == 1 else f"{n} #{seen[n]}")
    return out
