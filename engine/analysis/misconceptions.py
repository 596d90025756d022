"""The misconception lab: Adam as learners get it wrong, run beside Adam as it is.

The tutorial this project grew from (``../shared/seed``, in Portuguese) writes Adam's update of a
parameter ``a`` of ``f(a, b, c)`` as::

    a_otim = a - α V / (√S + ε)
    V = (β1 S + (1 - β1) ∂f/∂a) / (1 - β1^t)
    S = (β2 S + (1 - β2) ∂f/∂a²) / (1 - β2^t)

and says that Adam "also uses the second derivative of the loss". Three mistakes hide there,
and two more are common in code:

``tutorial``
    The formulas as written: ``V`` is computed from ``S`` (not from the previous ``V``), and the
    bias-corrected moments are what is carried to the next step (the correction sits inside the
    recursion). ``∂f/∂a²`` is read as the squared gradient, as Adam has it; the "second
    derivative" is not computed by anyone.
``no_bias_correction``
    Adam's recursions right, the correction ``1 / (1 - βᵗ)`` forgotten: ``V`` and ``S`` start
    near zero, so the early steps are off (with the defaults the first one is
    ``(1 - β1) / √(1 - β2) ≈ 3.16`` times as long as Adam's).
``no_zero_grad``
    Adam right, but ``optimizer.zero_grad()`` forgotten in the PyTorch loop: ``loss.backward()``
    adds each step's gradient to the last, so the optimizer is fed their running sum.

The engine trains with the correct formulas; these variants live here only, and run only in
the lab (:class:`Lab`), in lockstep with a correct run of the same scenario (same start, same
batches), so a learner sees where and how much each departs.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from gradstep.engine.analysis.surface import flat_position, pick_entries
from gradstep.engine.i18n import N_

__all__ = ["Lab", "Variant", "VARIANTS", "ADAM_FAMILY", "DEPARTURE"]

ADAM_FAMILY = ("adam", "adamw", "amsgrad")
"""The optimizers the lab takes (the variants are mistakes in Adam's formulas)."""

VARIANTS = {
    "tutorial": N_("the tutorial's formulas (V from S; corrected moments carried)"),
    "no_bias_correction": N_("Adam without bias correction"),
    "no_zero_grad": N_("a forgotten zero_grad (gradients accumulate)"),
}
"""Each variant's name and how the lab says it (translated where shown)."""

DEPARTURE = 1e-12
"""A variant departs from the correct run at the first step where a parameter differs by more
than this, relative to the largest parameter (at least 1): round-off is not a departure."""


@dataclass
class Variant:
    """One mistaken run.

    Attributes:
        name: A key of :data:`VARIANTS`.
        theta: Flat parameters now.
        V: The first moment now (what this variant carries; corrected for ``tutorial``).
        S: The second moment now.
        grad_sum: ``no_zero_grad``'s accumulated gradient (None for the others).
        losses: The loss before each step's update, step by step (the same convention as the
            engine's records).
        departed_at: The first step whose parameters differ from the correct run's, or None.
        diverged_at: The step whose loss or update was not finite (the variant stops), or None.
        path: The lab's two traced entries at step 0 and after each step, x and y in turn (8 bytes
            each: a long lab keeps 16 bytes a step per run).
    """

    name: str
    theta: np.ndarray
    V: np.ndarray
    S: np.ndarray
    grad_sum: np.ndarray | None = None
    losses: list = field(default_factory=list)
    departed_at: int | None = None
    diverged_at: int | None = None
    path: array = field(default_factory=lambda: array("d"))


def _decayed(kind, theta, g, hp):
    """The scenario's weight decay, as its optimizer applies it: ``(theta, g)``."""
    decay = hp.get("weight_decay", 0.0)
    if not decay:
        return theta, g
    if kind == "adamw":
        return theta * (1 - hp["lr"] * decay), g
    return theta, g + decay * theta


def tutorial_step(theta, g, V, S, t, hp):
    """The tutorial's Adam as written: ``(theta, V, S)`` after step ``t`` (V from the previous S,
    the corrected moments carried)."""
    beta1, beta2 = hp["beta1"], hp["beta2"]
    V_new = (beta1 * S + (1 - beta1) * g) / (1 - beta1 ** t)
    S_new = (beta2 * S + (1 - beta2) * g * g) / (1 - beta2 ** t)
    return theta - hp["lr"] * V_new / (np.sqrt(S_new) + hp["eps"]), V_new, S_new


def uncorrected_step(theta, g, V, S, t, hp):
    """Adam's recursions without the bias correction: ``(theta, V, S)`` after step ``t``."""
    beta1, beta2 = hp["beta1"], hp["beta2"]
    V_new = beta1 * V + (1 - beta1) * g
    S_new = beta2 * S + (1 - beta2) * g * g
    return theta - hp["lr"] * V_new / (np.sqrt(S_new) + hp["eps"]), V_new, S_new


class Lab:
    """A correct run of an Adam-family scenario and the three mistaken ones, in lockstep.

    Args:
        scenario: An Adam-family scenario (see :data:`ADAM_FAMILY`).

    Attributes:
        correct: The correct run: a session of its own on the same scenario, stepped by the
            lab (its records are the dashboard's, bit for bit).
        correct_losses: Its loss before each step's update, step by step.
        variants: ``{name: Variant}``.
        traced: The two entries every run's path is traced through, ``((name, index), (name,
            index))``, those the surface view shows by default; None with fewer than two entries.
        correct_path: The correct run's path through them (each variant has its own ``path``).

    Raises:
        ValueError: When the scenario's optimizer is not of the Adam family.
    """

    def __init__(self, scenario) -> None:
        from gradstep.engine.optim import Optimizer
        from gradstep.engine.training.session import Session

        kind = scenario.optimizer.kind
        if kind not in ADAM_FAMILY:
            raise ValueError(kind)
        self.correct = Session(scenario)
        self.correct_losses: list[float] = []
        self.kind = kind
        self.hp = dict(self.correct.hyper)
        self._adam = Optimizer(kind, **self.hp)
        theta = self.correct.theta
        zeros = np.zeros_like(theta)
        self.variants = {name: Variant(name, theta.copy(), zeros.copy(), zeros.copy(),
                                       zeros.copy() if name == "no_zero_grad" else None)
                         for name in VARIANTS}
        self._summed_state = self._adam.init(theta)  # the engine's Adam state of no_zero_grad
        layout = self.correct.layout
        self.traced = pick_entries(self.correct) if layout.size >= 2 else None
        self._flats = [] if self.traced is None else [flat_position(layout, e) for e in self.traced]
        self.correct_path = array("d", self._traced(theta))
        for variant in self.variants.values():
            variant.path.extend(self._traced(theta))

    def _traced(self, theta) -> tuple[float, ...]:
        return tuple(float(theta[i]) for i in self._flats)

    def paths(self) -> dict:
        """``{"correct" or a variant's name: array (k + 1, 2)}``: each run's path through the
        traced entries from step 0, for drawing over the loss surface (empty without them)."""
        if self.traced is None:
            return {}
        runs = {"correct": self.correct_path, **{n: v.path for n, v in self.variants.items()}}
        return {name: np.frombuffer(path, dtype=np.float64).reshape(-1, 2).copy() for name, path in runs.items()}

    @property
    def t(self) -> int:
        return self.correct.t

    def step(self):
        """One step of every run; returns the correct run's record.

        Raises:
            gradstep.engine.training.session.Diverged: When the correct run diverges (the
                variants stop where they are).
        """
        t = self.t + 1
        _, batch = self.correct.step_inputs(t)
        for variant in self.variants.values():
            if variant.diverged_at is None:
                self._advance(variant, t, batch)
        record = self.correct.step()
        self.correct_losses.append(float(record.loss))
        self.correct_path.extend(self._traced(record.theta))
        reference = self.correct.theta
        scale = max(1.0, float(np.max(np.abs(reference)))) if reference.size else 1.0
        for variant in self.variants.values():
            if (variant.departed_at is None and variant.diverged_at is None
                    and np.max(np.abs(variant.theta - reference), initial=0.0) > DEPARTURE * scale):
                variant.departed_at = t
        return record

    def _advance(self, variant, t, batch) -> None:
        with np.errstate(all="ignore"):
            loss, grad = self.correct.gradient_at(variant.theta, batch)
            grad = np.asarray(grad, dtype=variant.theta.dtype)
            if variant.name == "no_zero_grad":
                variant.grad_sum = variant.grad_sum + grad
                theta, self._summed_state = self._adam.update(variant.theta, variant.grad_sum,
                                                              self._summed_state)
                V, S = self._summed_state["V"], self._summed_state["S"]
            else:
                theta, g = _decayed(self.kind, variant.theta, grad, self.hp)
                rule = tutorial_step if variant.name == "tutorial" else uncorrected_step
                theta, V, S = rule(theta, g, variant.V, variant.S, t, self.hp)
        variant.losses.append(float(loss))
        if not (np.isfinite(loss) and np.all(np.isfinite(theta))):
            variant.diverged_at = t
            return
        variant.theta, variant.V, variant.S = theta, V, S
        variant.path.extend(self._traced(theta))
