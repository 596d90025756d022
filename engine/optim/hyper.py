"""The hyperparameters optimizers share: how each is written on screen and the values PyTorch accepts.

Several optimizers take the same hyperparameter (``lr``, ``eps``, ``weight_decay``), so its
symbol and its range are stated once here; which optimizer takes which, and its default, is in
that optimizer's :class:`~gradstep.engine.optim.entry.OptimizerEntry`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

__all__ = ["Hyperparameter", "HYPERPARAMETERS", "HYPER_SYMBOLS"]


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter.

    Attributes:
        symbol: How it is written on screen (the tutorial's letter where it has one).
        low: The least value PyTorch's constructors accept.
        high: The largest.
        high_ok: Whether ``high`` itself is accepted.
        flag: A switch rather than a number: 0 (off) or 1 (on), and true or false in a scenario
            file (NAdam's and RAdam's ``decoupled_weight_decay``).
    """

    symbol: str
    low: float = 0.0
    high: float = math.inf
    high_ok: bool = True
    flag: bool = False


HYPERPARAMETERS: Mapping[str, Hyperparameter] = MappingProxyType({
    "lr": Hyperparameter("α"),
    "beta1": Hyperparameter("β1", 0.0, 1.0, False),
    "beta2": Hyperparameter("β2", 0.0, 1.0, False),
    "eps": Hyperparameter("ε"),
    "momentum": Hyperparameter("μ"),
    "rho": Hyperparameter("ρ"),
    "weight_decay": Hyperparameter("λ"),
    "lr_decay": Hyperparameter("lr_decay"),
    "momentum_decay": Hyperparameter("ψ"),
    "decoupled_weight_decay": Hyperparameter("decoupled", 0.0, 1.0, True, flag=True),
})
"""Every hyperparameter an optimizer of the registry takes, by the engine's name."""

HYPER_SYMBOLS: Mapping[str, str] = MappingProxyType({k: h.symbol for k, h in HYPERPARAMETERS.items()})
"""How each hyperparameter is written on screen (the tutorial's letters where it has them)."""
