"""Optimizers as pure functions over flat parameter vectors, equal to PyTorch's ``torch.optim``.

Every parameter of a model lives in one flat 1-D vector ``theta``; the gradient and each piece
of optimizer state (``V``, ``S``, ...) are flat vectors of the same length and dtype. An update
never modifies its inputs: it returns a new ``theta`` and a new state dict of new arrays, so a
caller may keep references to old ones (history, replay, "what if" branches).

State names are the tutorial's: ``V`` is the first moment (a velocity), ``S`` the second moment
(a running mean or sum of squared gradients), ``S_max`` AMSGrad's running maximum of ``S``.
Each update function's docstring maps them to PyTorch's state keys and writes the update out.
``t`` counts the updates made; an update makes step ``t = state["t"] + 1``.

The arithmetic follows PyTorch's single-tensor (CPU) code path operation by operation, with
hyperparameters kept as Python floats so that NumPy, like PyTorch, rounds them to the array's
dtype (float32 arithmetic stays float32). PyTorch's vectorised CPU kernels fuse some
multiply-adds, so results agree to within a few units in the last place, not always bit for bit.

Weight decay is L2 regularisation added to the gradient (``g <- g + weight_decay * theta``), as
PyTorch does for every optimizer here except ``adamw``, whose decay is decoupled (Loshchilov &
Hutter): ``theta <- theta (1 - lr weight_decay)`` before the Adam step.
"""

from __future__ import annotations

import math
from numbers import Real
from types import MappingProxyType
from typing import Mapping

import numpy as np

from gradstep.engine.i18n import _

__all__ = [
    "DEFAULTS", "OPTIMIZERS", "STATE_NAMES", "ADAM_FAMILY",
    "hyperparameters", "init_state", "update", "derived_state", "bias_corrections", "state_names", "effective_lr",
    "sgd_update", "momentum_update", "nesterov_update", "rmsprop_update", "adagrad_update",
    "adam_update", "adamw_update", "amsgrad_update",
    "Optimizer",
]


def _frozen(**values):
    return MappingProxyType(values)


_ADAM = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)

DEFAULTS: Mapping[str, Mapping[str, float]] = MappingProxyType({
    "sgd": _frozen(lr=1e-3, weight_decay=0.0),
    "momentum": _frozen(lr=1e-3, momentum=0.9, weight_decay=0.0),
    "nesterov": _frozen(lr=1e-3, momentum=0.9, weight_decay=0.0),
    "rmsprop": _frozen(lr=1e-2, rho=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0),
    "adagrad": _frozen(lr=1e-2, lr_decay=0.0, eps=1e-10, weight_decay=0.0),
    "adam": _frozen(**_ADAM),
    "adamw": _frozen(**{**_ADAM, "weight_decay": 1e-2}),
    "amsgrad": _frozen(**_ADAM),
})
"""Every optimizer's hyperparameters and their defaults (PyTorch's); the only place they live.

``momentum`` and ``nesterov`` are ``torch.optim.SGD`` with ``momentum=0.9`` (PyTorch's own
default is 0, i.e. plain SGD) and dampening 0; ``rho`` is RMSprop's ``alpha``; ``beta1`` and
``beta2`` are Adam's ``betas``; ``amsgrad`` is ``Adam(amsgrad=True)``. Adagrad's initial
accumulator is always 0.
"""

OPTIMIZERS: tuple[str, ...] = tuple(DEFAULTS)
"""The optimizer kinds, by the name a scenario file uses."""

ADAM_FAMILY = frozenset({"adam", "adamw", "amsgrad"})
"""Kinds that keep bias-corrected moments (``V_hat``, ``S_hat``)."""

STATE_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "sgd": (),
    "momentum": ("V",),
    "nesterov": ("V",),
    "rmsprop": ("S",),
    "adagrad": ("S",),
    "adam": ("V", "S", "V_hat", "S_hat"),
    "adamw": ("V", "S", "V_hat", "S_hat"),
    "amsgrad": ("V", "S", "S_max", "V_hat", "S_hat"),
})
"""Per kind, the state shown to the learner, in display order (stored and derived arrays).

RMSprop with ``momentum > 0`` also keeps a velocity ``V``, shown after ``S``: use
:func:`state_names`, which accounts for the hyperparameters.
"""

# Bounds PyTorch's constructors enforce: name -> (lowest, highest, highest allowed?).
_RANGES = {
    "lr": (0.0, math.inf, True),
    "weight_decay": (0.0, math.inf, True),
    "momentum": (0.0, math.inf, True),
    "rho": (0.0, math.inf, True),
    "eps": (0.0, math.inf, True),
    "lr_decay": (0.0, math.inf, True),
    "beta1": (0.0, 1.0, False),
    "beta2": (0.0, 1.0, False),
}


def _check_kind(kind):
    if kind not in DEFAULTS:
        raise ValueError(_("unknown optimizer {name} (expected one of {choices})")
                         .format(name=repr(kind), choices=", ".join(OPTIMIZERS)))


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
            not a finite real number, or one outside PyTorch's accepted range.
    """
    _check_kind(kind)
    defaults = DEFAULTS[kind]
    given = dict(given, lr=lr)
    hp = dict(defaults)
    for key, value in given.items():
        if key not in defaults:
            raise ValueError(_("unknown hyperparameter {key} for {kind} (expected one of {keys})")
                             .format(key=repr(key), kind=kind, keys=", ".join(defaults)))
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise ValueError(_("hyperparameter {key} of {kind} must be a finite number, got "
                               "{value}").format(key=key, kind=kind, value=repr(value)))
        low, high, high_ok = _RANGES[key]
        value = float(value)
        if value < low or value > high or (value == high and not high_ok):
            interval = f"[{low:g}, {high:g}{']' if high_ok else ')'}"
            raise ValueError(_("hyperparameter {key} of {kind} must lie in {interval}, got {value}")
                             .format(key=key, kind=kind, interval=interval, value=repr(value)))
        hp[key] = value
    if kind == "nesterov" and hp["momentum"] <= 0:
        raise ValueError(_("nesterov needs momentum > 0"))
    return MappingProxyType(hp)


def state_names(kind: str, hp: Mapping[str, float] | None = None) -> tuple[str, ...]:
    """:data:`STATE_NAMES` of ``kind``, with RMSprop's ``V`` when its momentum is positive."""
    _check_kind(kind)
    if kind == "rmsprop" and hp is not None and hp["momentum"] > 0:
        return ("S", "V")
    return STATE_NAMES[kind]


def init_state(kind: str, theta: np.ndarray, hp: Mapping[str, float] | None = None) -> dict:
    """The state before the first update: ``t = 0`` and zero arrays shaped like ``theta``.

    Args:
        kind: One of :data:`OPTIMIZERS`.
        theta: The flat parameter vector (its shape and dtype are used).
        hp: The hyperparameters; needed only to give RMSprop with momentum its ``V`` (without
            them, :func:`rmsprop_update` starts ``V`` at zero on its first use).
    """
    _check_kind(kind)
    state = {"t": 0}
    for name in state_names(kind, hp):
        if not name.endswith("_hat"):
            state[name] = np.zeros_like(theta)
    return state


# -- the update rules ------------------------------------------------------------------------
def _l2(grad, theta, weight_decay):
    # torch: grad = grad.add(param, alpha=weight_decay)
    return grad + weight_decay * theta if weight_decay != 0 else grad


def _lerp(start, end, weight):
    """``start + weight (end - start)`` computed as ``torch.lerp`` does (two formulas)."""
    if abs(weight) < 0.5:
        out = end - start
        out *= weight
        out += start
        return out
    # 1 - weight is formed in the array's precision, as in ATen's lerp.
    one_minus = float(start.dtype.type(1) - start.dtype.type(weight))
    out = end - start
    out *= one_minus
    return np.subtract(end, out, out=out)


def _ema_square(S, grad, rho):
    """``rho S + (1 - rho) g^2`` in ``S.mul_(rho).addcmul_(g, g, value=1 - rho)``'s order."""
    sq = grad * (1 - rho)
    sq *= grad
    out = S * rho
    out += sq
    return out


def sgd_update(theta, grad, state, hp):
    """Plain gradient descent (``torch.optim.SGD``, ``momentum=0``); keeps no state but ``t``.

    ``theta_t = theta_{t-1} - lr g_t``
    """
    g = _l2(grad, theta, hp["weight_decay"])
    return theta - hp["lr"] * g, {"t": state["t"] + 1}


def momentum_update(theta, grad, state, hp):
    """SGD with (heavy-ball) momentum: ``torch.optim.SGD(momentum=m, dampening=0)``.

    ``V`` is PyTorch's ``momentum_buffer``. PyTorch sets it to the first gradient, so::

        V_1 = g_1;  V_t = m V_{t-1} + g_t
        theta_t = theta_{t-1} - lr V_t
    """
    g = _l2(grad, theta, hp["weight_decay"])
    V = g.copy() if state["t"] == 0 else state["V"] * hp["momentum"] + g
    return theta - hp["lr"] * V, {"t": state["t"] + 1, "V": V}


def nesterov_update(theta, grad, state, hp):
    """SGD with Nesterov momentum: ``torch.optim.SGD(momentum=m, nesterov=True)``.

    ``V`` is PyTorch's ``momentum_buffer``; the step looks ahead along it (Sutskever et al.
    2013, in PyTorch's formulation)::

        V_1 = g_1;  V_t = m V_{t-1} + g_t
        theta_t = theta_{t-1} - lr (g_t + m V_t)
    """
    m = hp["momentum"]
    g = _l2(grad, theta, hp["weight_decay"])
    V = g.copy() if state["t"] == 0 else state["V"] * m + g
    step = g + m * V
    return theta - hp["lr"] * step, {"t": state["t"] + 1, "V": V}


def rmsprop_update(theta, grad, state, hp):
    """RMSprop (Hinton's lecture 6e; ``torch.optim.RMSprop(alpha=rho)``, not centred).

    ``S`` is PyTorch's ``square_avg``; ``V`` (only when ``momentum > 0``) its
    ``momentum_buffer``::

        S_t = rho S_{t-1} + (1 - rho) g_t^2
        theta_t = theta_{t-1} - lr g_t / (sqrt(S_t) + eps)            (momentum = 0)
        V_t = momentum V_{t-1} + g_t / (sqrt(S_t) + eps);  theta_t = theta_{t-1} - lr V_t
    """
    g = _l2(grad, theta, hp["weight_decay"])
    S = _ema_square(state["S"], g, hp["rho"])
    avg = np.sqrt(S)
    avg += hp["eps"]
    step = g / avg
    new_state = {"t": state["t"] + 1, "S": S}
    momentum = hp["momentum"]
    if momentum > 0:
        V = state.get("V")
        step = step if V is None else V * momentum + step
        new_state["V"] = step
    return theta - hp["lr"] * step, new_state


def adagrad_update(theta, grad, state, hp):
    """Adagrad (Duchi et al. 2011; ``torch.optim.Adagrad``, initial accumulator 0).

    ``S`` is PyTorch's ``sum``::

        S_t = S_{t-1} + g_t^2
        lr_t = lr / (1 + (t - 1) lr_decay)
        theta_t = theta_{t-1} - lr_t g_t / (sqrt(S_t) + eps)
    """
    t = state["t"] + 1
    g = _l2(grad, theta, hp["weight_decay"])
    clr = hp["lr"] / (1 + (t - 1) * hp["lr_decay"])
    S = g * g
    S += state["S"]
    std = np.sqrt(S)
    std += hp["eps"]
    step = g / std
    step *= clr
    return theta - step, {"t": t, "S": S}


def _adam_step(theta, g, state, hp, t, amsgrad):
    """The Adam step shared by the family, on an already decayed ``theta`` / regularised ``g``."""
    beta1 = hp["beta1"]
    beta2 = hp["beta2"]
    V = _lerp(state["V"], g, 1 - beta1)
    S = _ema_square(state["S"], g, beta2)
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    step_size = hp["lr"] / bias_correction1
    if amsgrad:
        S_max = np.maximum(state["S_max"], S)
        denom = np.sqrt(S_max)
    else:
        denom = np.sqrt(S)
    denom /= bias_correction2 ** 0.5
    denom += hp["eps"]
    step = np.divide(V, denom, out=denom)
    step *= step_size
    new_state = {"t": t, "V": V, "S": S}
    if amsgrad:
        new_state["S_max"] = S_max
    return theta - step, new_state


def adam_update(theta, grad, state, hp):
    """Adam (Kingma & Ba 2015; ``torch.optim.Adam``), L2 weight decay added to the gradient.

    ``V`` is PyTorch's ``exp_avg``, ``S`` its ``exp_avg_sq``::

        V_t = beta1 V_{t-1} + (1 - beta1) g_t
        S_t = beta2 S_{t-1} + (1 - beta2) g_t^2
        V_hat = V_t / (1 - beta1^t);  S_hat = S_t / (1 - beta2^t)
        theta_t = theta_{t-1} - lr V_hat / (sqrt(S_hat) + eps)

    computed as PyTorch does: ``denom = sqrt(S_t) / sqrt(1 - beta2^t) + eps`` and
    ``theta_t = theta_{t-1} - (lr / (1 - beta1^t)) V_t / denom``.
    """
    t = state["t"] + 1
    g = _l2(grad, theta, hp["weight_decay"])
    return _adam_step(theta, g, state, hp, t, False)


def amsgrad_update(theta, grad, state, hp):
    """AMSGrad (Reddi et al. 2018; ``torch.optim.Adam(amsgrad=True)``), L2 weight decay.

    ``V``, ``S`` as in :func:`adam_update`; ``S_max`` is PyTorch's ``max_exp_avg_sq``::

        S_max_t = max(S_max_{t-1}, S_t)
        theta_t = theta_{t-1} - lr V_hat / (sqrt(S_max_t / (1 - beta2^t)) + eps)
    """
    t = state["t"] + 1
    g = _l2(grad, theta, hp["weight_decay"])
    return _adam_step(theta, g, state, hp, t, True)


def adamw_update(theta, grad, state, hp):
    """AdamW (Loshchilov & Hutter 2019; ``torch.optim.AdamW``): Adam with decoupled decay.

    ``V`` is PyTorch's ``exp_avg``, ``S`` its ``exp_avg_sq``. The decay shrinks the parameters
    directly instead of entering the moments::

        theta' = theta_{t-1} (1 - lr weight_decay)
        V_t, S_t, V_hat, S_hat as in Adam, from the raw g_t
        theta_t = theta' - lr V_hat / (sqrt(S_hat) + eps)
    """
    t = state["t"] + 1
    weight_decay = hp["weight_decay"]
    if weight_decay != 0:
        theta = theta * (1 - hp["lr"] * weight_decay)
    return _adam_step(theta, grad, state, hp, t, False)


_UPDATES = {
    "sgd": sgd_update,
    "momentum": momentum_update,
    "nesterov": nesterov_update,
    "rmsprop": rmsprop_update,
    "adagrad": adagrad_update,
    "adam": adam_update,
    "adamw": adamw_update,
    "amsgrad": amsgrad_update,
}


def update(kind: str, theta: np.ndarray, grad: np.ndarray, state: dict, hp: Mapping[str, float]):
    """One step of optimizer ``kind``: ``(new_theta, new_state)``; ``new_state["t"] = t + 1``.

    Args:
        kind: One of :data:`OPTIMIZERS`.
        theta: Flat parameter vector (not modified).
        grad: Raw gradient of the loss at ``theta``, same shape and dtype (not modified).
        state: The state from :func:`init_state` or the previous update (not modified).
        hp: From :func:`hyperparameters`.
    """
    try:
        fn = _UPDATES[kind]
    except KeyError:
        _check_kind(kind)
        raise
    return fn(theta, grad, state, hp)


# -- display ---------------------------------------------------------------------------------
def bias_corrections(kind: str, state: dict, hp: Mapping[str, float]) -> tuple[float, float] | None:
    """``(1 - beta1^t, 1 - beta2^t)`` for the Adam family at the state's ``t``, else None."""
    if kind not in ADAM_FAMILY:
        _check_kind(kind)
        return None
    t = state["t"]
    return 1 - hp["beta1"] ** t, 1 - hp["beta2"] ** t


def derived_state(kind: str, state: dict, hp: Mapping[str, float]) -> dict:
    """Display-only arrays computed from the state (the update itself never needs them).

    For the Adam family, the bias-corrected moments ``V_hat = V / (1 - beta1^t)`` and
    ``S_hat = S / (1 - beta2^t)`` (AMSGrad: ``S_hat = S_max / (1 - beta2^t)``, the second
    moment its step uses); before the first step (``t = 0``) they are zero. ``{}`` for others.
    """
    corrections = bias_corrections(kind, state, hp)
    if corrections is None:
        return {}
    S = state["S_max"] if kind == "amsgrad" else state["S"]
    if state["t"] == 0:
        return {"V_hat": np.zeros_like(state["V"]), "S_hat": np.zeros_like(S)}
    bc1, bc2 = corrections
    return {"V_hat": state["V"] / bc1, "S_hat": S / bc2}


def effective_lr(kind: str, state: dict, hp: Mapping[str, float], size: int, dtype=np.float64) -> np.ndarray:
    """The step size each parameter effectively gets, for display.

    The number the optimizer multiplies its direction by, per parameter:

    - sgd, momentum, nesterov: ``lr`` for every parameter (the direction is g or V);
    - rmsprop: ``lr / (sqrt(S) + eps)`` (direction g, or V with momentum);
    - adagrad: ``clr / (sqrt(S) + eps)`` with ``clr = lr / (1 + (t - 1) lr_decay)``;
    - adam, adamw, amsgrad: ``lr / (sqrt(S_hat) + eps)``, the direction being ``V_hat``
      (AdamW's decoupled decay ``lr * weight_decay * theta`` comes on top).

    Args:
        size: Number of parameters (for the optimizers whose step size is one number).
        dtype: Their dtype.
    """
    lr = hp["lr"]
    if kind in ("sgd", "momentum", "nesterov"):
        return np.full(size, lr, dtype=dtype)
    if kind == "rmsprop":
        return lr / (np.sqrt(state["S"]) + hp["eps"])
    if kind == "adagrad":
        clr = lr / (1 + (max(state["t"], 1) - 1) * hp.get("lr_decay", 0.0))
        return clr / (np.sqrt(state["S"]) + hp["eps"])
    if kind in ADAM_FAMILY:
        S_hat = derived_state(kind, state, hp)["S_hat"]
        return lr / (np.sqrt(S_hat) + hp["eps"])
    _check_kind(kind)
    raise ValueError(kind)


class Optimizer:
    """An optimizer kind with its hyperparameters: the thin, immutable holder of ``hp``.

    Attributes:
        kind: One of :data:`OPTIMIZERS`.
        hp: Every hyperparameter (defaults filled in), read-only.
    """

    __slots__ = ("kind", "hp", "_update")

    def __init__(self, kind: str, lr: float | None = None, **hyper):
        self.kind = kind
        self.hp = hyperparameters(kind, lr, **hyper)
        self._update = _UPDATES[kind]

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
