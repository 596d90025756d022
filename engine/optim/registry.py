"""Every optimizer by name (:data:`OPTIMIZERS`), and the functions the rest of gradstep asks.

The registry lists the entries the family modules write, in display order; everything else here
reads them: the tables :data:`DEFAULTS`, :data:`STATE_NAMES`, :data:`ADAM_FAMILY` and
:data:`OPTIMIZER_TITLES`, and the functions over an optimizer's name that the session, the
scenario reader and the interface call. Adding an optimizer is one entry in a family module and
one line in :data:`OPTIMIZERS` (plus its PyTorch fixtures under ``tests/reference``).

Every parameter of a model lives in one flat 1-D vector ``theta``; the gradient and each piece
of optimizer state (``V``, ``S``, ...) are flat vectors of the same length and dtype. An update
never modifies its inputs: it returns a new ``theta`` and a new state dict of new arrays, so a
caller may keep references to old ones (history, replay, "what if" branches). ``t`` counts the
updates made; an update makes step ``t = state["t"] + 1``.

The arithmetic follows PyTorch's single-tensor (CPU) code path operation by operation, with
hyperparameters kept as Python floats so that NumPy, like PyTorch, rounds them to the array's
dtype (float32 arithmetic stays float32). PyTorch's vectorised CPU kernels fuse some
multiply-adds, so results agree to within a few units in the last place, not always bit for bit.
"""

from __future__ import annotations

import math
from numbers import Real
from types import MappingProxyType
from typing import Mapping

import numpy as np

from gradstep.engine.i18n import _
from gradstep.engine.optim.adam import ADAM, ADAMW, AMSGRAD
from gradstep.engine.optim.adam_variants import ADAMAX, NADAM, RADAM
from gradstep.engine.optim.adaptive import ADADELTA, ADAGRAD, RMSPROP
from gradstep.engine.optim.entry import Numbers, OptimizerEntry, Scalar, WorkedLine
from gradstep.engine.optim.hyper import HYPERPARAMETERS
from gradstep.engine.optim.sgd import MOMENTUM, NESTEROV, SGD

__all__ = [
    "OPTIMIZERS", "DEFAULTS", "STATE_NAMES", "STATE_SYMBOLS", "ADAM_FAMILY", "OPTIMIZER_TITLES", "entry",
    "hyperparameters", "state_names", "init_state", "update", "bias_corrections", "derived_state",
    "effective_lr", "effective_lr_formula", "step_size_varies", "optimizer_title", "symbolic_lines", "worked_lines",
    "step_notes",
]

OPTIMIZERS: Mapping[str, OptimizerEntry] = MappingProxyType({
    e.name: e for e in (SGD, MOMENTUM, NESTEROV, RMSPROP, ADAGRAD, ADADELTA, ADAM, ADAMW, AMSGRAD,
                        ADAMAX, NADAM, RADAM)})
"""Every optimizer's entry by the name a scenario file uses, in display order."""

DEFAULTS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {name: e.defaults for name, e in OPTIMIZERS.items()})
"""Every optimizer's hyperparameters and their defaults (PyTorch's), read from the entries.

``momentum`` and ``nesterov`` are ``torch.optim.SGD`` with ``momentum=0.9`` (PyTorch's own
default is 0, i.e. plain SGD) and dampening 0; ``rho`` is RMSprop's ``alpha``; ``beta1`` and
``beta2`` are Adam's ``betas`` (and Adamax's, NAdam's, RAdam's); ``amsgrad`` is
``Adam(amsgrad=True)``; ``momentum_decay`` is NAdam's ψ; ``decoupled_weight_decay`` (NAdam, RAdam)
is 0 or 1 for PyTorch's False or True. Adagrad's initial accumulator is always 0.
"""

STATE_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: e.state_names for name, e in OPTIMIZERS.items()})
"""Per kind, the state shown to the learner, in display order (stored and derived arrays).

RMSprop with ``momentum > 0`` also keeps a velocity ``V``, shown after ``S``: use
:func:`state_names`, which accounts for the hyperparameters.
"""

STATE_SYMBOLS: Mapping[str, str] = MappingProxyType(
    {"V": "V", "S": "S", "S_max": "S_max", "V_hat": "V̂", "S_hat": "Ŝ", "U": "U", "D": "D"})
"""How each state array of any entry is written on screen (``V_hat`` is ``V̂``)."""

ADAM_FAMILY = frozenset(name for name, e in OPTIMIZERS.items() if e.bias_corrected)
"""Kinds that keep bias-corrected moments (``V_hat``, ``S_hat``)."""

OPTIMIZER_TITLES: Mapping[str, str] = MappingProxyType({name: e.title for name, e in OPTIMIZERS.items()})
"""Each optimizer's name on screen (English: translate with :func:`optimizer_title`)."""


def entry(kind: str) -> OptimizerEntry:
    """The entry of optimizer ``kind``.

    Raises:
        ValueError: For a name not in :data:`OPTIMIZERS`.
    """
    try:
        return OPTIMIZERS[kind]
    except KeyError:
        raise ValueError(_("unknown optimizer {name} (expected one of {choices})")
                         .format(name=repr(kind), choices=", ".join(OPTIMIZERS))) from None


def hyperparameters(kind: str, lr: float | None = None, **given) -> Mapping[str, float]:
    """The full set of hyperparameters for ``kind``: ``given`` values over PyTorch's defaults.

    Args:
        kind: One of :data:`OPTIMIZERS`.
        lr: Learning rate; None for the default.
        **given: Other hyperparameters by the engine's names (``momentum``, ``rho``, ``beta1``,
            ``beta2``, ``eps``, ``weight_decay``, ``lr_decay``); None means the default.

    Returns:
        A read-only mapping of every hyperparameter of ``kind`` to a Python float.

    Raises:
        ValueError: For an unknown kind, a hyperparameter ``kind`` does not have, a value that is
            not a finite real number, one outside PyTorch's accepted range, or a combination
            the optimizer refuses.
    """
    optimizer = entry(kind)
    defaults = optimizer.defaults
    given = dict(given, lr=lr)
    hp = dict(defaults)
    for key, value in given.items():
        if key not in defaults:
            raise ValueError(_("unknown hyperparameter {key} for {kind} (expected one of {keys})")
                             .format(key=repr(key), kind=kind, keys=", ".join(defaults)))
        if value is None:
            continue
        bounds = HYPERPARAMETERS[key]
        if bounds.flag and value in (True, False):  # True, False, 1, 0, 1.0, 0.0
            hp[key] = float(value)
            continue
        if bounds.flag:
            raise ValueError(_("hyperparameter {key} of {kind} is a switch: true or false (1 or 0), "
                               "got {value}").format(key=key, kind=kind, value=repr(value)))
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise ValueError(_("hyperparameter {key} of {kind} must be a finite number, got "
                               "{value}").format(key=key, kind=kind, value=repr(value)))
        low, high, high_ok = bounds.low, bounds.high, bounds.high_ok
        value = float(value)
        if value < low or value > high or (value == high and not high_ok):
            interval = f"[{low:g}, {high:g}{']' if high_ok else ')'}"
            raise ValueError(_("hyperparameter {key} of {kind} must lie in {interval}, got {value}")
                             .format(key=key, kind=kind, interval=interval, value=repr(value)))
        hp[key] = value
    if optimizer.validate is not None:
        optimizer.validate(hp)
    return MappingProxyType(hp)


def state_names(kind: str, hp: Mapping[str, float] | None = None) -> tuple[str, ...]:
    """:data:`STATE_NAMES` of ``kind``, with RMSprop's ``V`` when its momentum is positive."""
    return entry(kind).names(hp)


def init_state(kind: str, theta: np.ndarray, hp: Mapping[str, float] | None = None) -> dict:
    """The state before the first update: ``t = 0`` and zero arrays shaped like ``theta``.

    Args:
        kind: One of :data:`OPTIMIZERS`.
        theta: The flat parameter vector (its shape and dtype are used).
        hp: The hyperparameters; needed only to give RMSprop with momentum its ``V`` (without
            them, RMSprop's update starts ``V`` at zero on its first use).
    """
    optimizer = entry(kind)
    state = {"t": 0, **optimizer.scalar_state}
    for name in optimizer.names(hp):
        if not name.endswith("_hat"):
            state[name] = np.zeros_like(theta)
    return state


def update(kind: str, theta: np.ndarray, grad: np.ndarray, state: dict, hp: Mapping[str, float]):
    """One step of optimizer ``kind``: ``(new_theta, new_state)``; ``new_state["t"] = t + 1``.

    Args:
        kind: One of :data:`OPTIMIZERS`.
        theta: Flat parameter vector (not modified).
        grad: Raw gradient of the loss at ``theta``, same shape and dtype (not modified).
        state: The state from :func:`init_state` or the previous update (not modified).
        hp: From :func:`hyperparameters`.
    """
    return entry(kind).update(theta, grad, state, hp)


def bias_corrections(kind: str, state: dict, hp: Mapping[str, float]) -> tuple[float, float] | None:
    """``(1 - beta1^t, 1 - beta2^t)`` for the Adam family at the state's ``t``, else None."""
    return entry(kind).bias_corrections(state, hp)


def derived_state(kind: str, state: dict, hp: Mapping[str, float]) -> dict:
    """Display-only arrays computed from the state (the update itself never needs them).

    For the Adam family, the bias-corrected moments ``V_hat = V / (1 - beta1^t)`` and
    ``S_hat = S / (1 - beta2^t)`` (AMSGrad: ``S_hat = S_max / (1 - beta2^t)``, the second
    moment its step uses); before the first step (``t = 0``) they are zero. ``{}`` for others.
    """
    return entry(kind).derived(state, hp)


def step_notes(kind: str, state: dict, hp: Mapping[str, float]) -> list[tuple[str, "float | None"]]:
    """The step-wide numbers of optimizer ``kind`` at the state's step, ``[(label, value)]``
    (Adamax's ``1−β1ᵗ``, NAdam's ``μₜ`` and ``Πₜ``, RAdam's ``ρₜ`` and ``rₜ``); ``[]`` for others."""
    return entry(kind).step_notes(state, hp)


def effective_lr(kind: str, state: dict, hp: Mapping[str, float], size: int, dtype=np.float64) -> np.ndarray:
    """The step size each parameter effectively gets, for display.

    The number the optimizer multiplies its direction by, per parameter:

    - sgd, momentum, nesterov: ``lr`` for every parameter (the direction is g, V or g + μ V);
    - rmsprop: ``lr / (sqrt(S) + eps)``, the direction being g (with momentum, the velocity
      carried from the step before, ``lr * momentum * V``, comes on top);
    - adagrad: ``clr / (sqrt(S) + eps)`` with ``clr = lr / (1 + (t - 1) lr_decay)``;
    - adam, adamw, amsgrad: ``lr / (sqrt(S_hat) + eps)``, the direction being ``V_hat``
      (AdamW's decoupled decay ``lr * weight_decay * theta`` comes on top);
    - adadelta: ``lr``, the direction being its step ``δ = sqrt(D + eps) / sqrt(S + eps) g``;
    - adamax: ``lr / ((1 - beta1^t) U)``, the direction ``V``;
    - nadam: ``lr / (sqrt(S_hat) + eps)``, the direction Dozat's Nesterov-corrected momentum;
    - radam: ``lr r_t sqrt(1 - beta2^t) / (sqrt(S) + eps)`` once rectified, else ``lr``; the
      direction ``V_hat``.

    Args:
        size: Number of parameters (for the optimizers whose step size is one number).
        dtype: Their dtype.
    """
    return entry(kind).step_size(state, hp, size, dtype)


def effective_lr_formula(kind: str, hyper: Mapping[str, float]) -> str:
    """What the effective step size α_eff is for optimizer ``kind`` (see :func:`effective_lr`),
    in the tutorial's symbols: the number its direction (g, V or V̂) is multiplied by."""
    return entry(kind).step_size_text(hyper)


def step_size_varies(kind: str) -> bool:
    """Whether optimizer ``kind``'s effective step size can differ from one parameter to another
    (RMSprop, Adagrad, the Adam family); for SGD and momentum it is α everywhere."""
    return not entry(kind).same_step_for_all


def optimizer_title(kind: str) -> str:
    """The name of optimizer ``kind`` in the installed language (``kind`` itself when unknown)."""
    found = OPTIMIZERS.get(kind)
    return kind if found is None else found.shown_title()


def symbolic_lines(kind: str) -> list[str]:
    """The equations of optimizer ``kind`` for step t, in the tutorial's symbols."""
    return entry(kind).symbolic_lines()


def worked_lines(kind: str, s: Scalar, numbers: Numbers) -> list[WorkedLine]:
    """The update of scalar ``s`` at step ``s.t`` by optimizer ``kind``, numbers put in by
    ``numbers`` (see :meth:`OptimizerEntry.worked_lines`)."""
    return entry(kind).worked_lines(s, numbers)
