"""An optimizer with its hyperparameters: a thin, immutable holder over the registry's functions."""

from __future__ import annotations

import numpy as np

from gradstep.engine.optim.registry import (bias_corrections, derived_state, entry, hyperparameters,
                                            init_state, state_names)

__all__ = ["Optimizer"]


class Optimizer:
    """An optimizer kind with its hyperparameters: the thin, immutable holder of ``hp``.

    Attributes:
        kind: One of :data:`~gradstep.engine.optim.registry.OPTIMIZERS`.
        hp: Every hyperparameter (defaults filled in), read-only.
    """

    __slots__ = ("kind", "hp", "_update")

    def __init__(self, kind: str, lr: float | None = None, **hyper):
        self.kind = kind
        self.hp = hyperparameters(kind, lr, **hyper)
        self._update = entry(kind).update

    @property
    def lr(self) -> float:
        """The learning rate."""
        return self.hp["lr"]

    @property
    def state_names(self) -> tuple[str, ...]:
        """The state shown for this optimizer, in display order (see :func:`state_names`)."""
        return state_names(self.kind, self.hp)

    def init(self, theta: np.ndarray) -> dict:
        """The state before the first update (see :func:`init_state`)."""
        return init_state(self.kind, theta, self.hp)

    def update(self, theta: np.ndarray, grad: np.ndarray, state: dict):
        """One step: ``(new_theta, new_state)`` (see :func:`update`)."""
        return self._update(theta, grad, state, self.hp)

    def derived(self, state: dict) -> dict:
        """``V_hat``, ``S_hat`` for the Adam family (see :func:`derived_state`)."""
        return derived_state(self.kind, state, self.hp)

    def bias_corrections(self, state: dict) -> tuple[float, float] | None:
        """``(1 - beta1^t, 1 - beta2^t)`` for the Adam family, else None."""
        return bias_corrections(self.kind, state, self.hp)

    def with_lr(self, lr: float) -> Optimizer:
        """The same optimizer with another learning rate."""
        return Optimizer(self.kind, **{**self.hp, "lr": lr})

    def __eq__(self, other):
        if not isinstance(other, Optimizer):
            return NotImplemented
        return self.kind == other.kind and dict(self.hp) == dict(other.hp)

    def __hash__(self):
        return hash((self.kind, tuple(sorted(self.hp.items()))))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hp.items())
        return f"Optimizer({self.kind!r}, {args})"
