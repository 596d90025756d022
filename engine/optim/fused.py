"""The optimizers' updates as one kernel sequence per step: what the training loop runs.

:class:`FusedUpdate` is a drop-in for an entry's pure update (``update(theta, grad, state, hp)
-> (new_theta, new_state)``) that computes the same numbers bit for bit: every formula runs the
same NumPy operations in the same order as the pure functions of the family modules (which stay
the reference, and what the registry, the views and the tests call). What it saves is the
Python around them, which dominates on small networks, where one NumPy call costs more than its
arithmetic:

- temporaries (the squared gradient, the denominator, the step) are written with ``out=`` into
  scratch arrays kept between steps; only the arrays the step hands out (the new parameters and
  state, which a :class:`~gradstep.engine.training.record.StepRecord` keeps) are new;
- hyperparameters are 0-d arrays of the parameters' dtype, made once per set of hyperparameters
  (a Python float costs NumPy a conversion at every call; NumPy rounds it to the array's dtype
  either way, so the numbers are the same), and the factors that depend on ``t`` are written
  into 0-d arrays each step.

Like the pure updates it never writes into its inputs, so records and history snapshots may keep
references to them. The arrays a step hands out are views of one new block (``V``, then the
second moments, then the parameters), so that :meth:`FusedUpdate.step` checks that the new
parameters and second moments are finite in one pass over the end of it: ``isfinite().all()``,
or for a short block its dot product with zeros (NaN exactly when an entry is inf or NaN; a sum
would call finite values whose sum overflows diverged). Adam has a quicker path with the same
numbers for a few float64 parameters: Python floats (:mod:`~gradstep.engine.optim.fused_adam`).
"""

from __future__ import annotations

from math import copysign, isfinite

import numpy as np

from gradstep.engine.optim.adam_variants import mu_product_times, nadam_momentum, radam_rectification
from gradstep.engine.optim.fused_adam import SmallAdam
from gradstep.engine.optim.registry import entry

__all__ = ["FusedUpdate", "FUSED_KINDS", "stepper"]


def stepper(kind: str):
    """What a training loop steps optimizer ``kind`` with: a new :class:`FusedUpdate` (one per
    loop: it keeps scratch). Every optimizer of the registry has kernels here."""
    if kind not in FUSED_KINDS:
        entry(kind)  # the registry's message for an unknown name
    return FusedUpdate(kind)


_DOT_CHECK = 1 << 14
"""Blocks up to this many entries are checked by a dot product with zeros (0.3 µs at 50 entries
against 1.0 for ``isfinite().all()``), longer ones by ``isfinite`` (it reads one array, not two)."""


class FusedUpdate:
    """``update(theta, grad, state, hp) -> (new_theta, new_state)`` for optimizer ``kind``.

    One instance serves one session (its scratch arrays are reused from step to step, so two
    threads must not call one instance at once). It follows ``hp`` and the parameters' size and
    dtype: its constants and scratch are made again when they change.
    """

    __slots__ = ("kind", "_kernel", "_hp", "_key", "_c", "_kept", "_tmp", "_tmp2", "_tmp3", "_g", "_z1", "_z2",
                 "_n", "_cuts", "_small", "_zeros")

    def __init__(self, kind: str):
        self.kind = kind
        self._kernel = _KERNELS[kind]
        self._hp, self._small, self._key = None, None, ((), None)
        self._kept = {}

    def __call__(self, theta, grad, state, hp):
        return self.step(theta, grad, state, hp)[:2]

    def step(self, theta, grad, state, hp):
        """``(new_theta, new_state, finite)``: whether the new parameters and second moments are
        all finite (g² can overflow while the update stays finite). Run it with NumPy's errors
        ignored (the session's ``quiet``): the check makes NaN of inf on purpose."""
        key = self._key  # (shape, dtype): a dtype is usually the very object, else compared
        if hp is not self._hp or theta.shape != key[0] or (theta.dtype is not key[1] and theta.dtype != key[1]):
            self._prepare(theta, hp)
        if self._small is not None:
            out = self._small(theta, grad, state)
            if out is not None:  # finite: checked on its scalars
                return out[0], out[1], True
        new_theta, new_state, checked = self._kernel(self, theta, grad, state)
        if checked.size > _DOT_CHECK:
            return new_theta, new_state, bool(np.isfinite(checked).all())
        if self._zeros.size != checked.size:  # made once per kind of block (its size)
            self._zeros = np.zeros(checked.size, checked.dtype)
        return new_theta, new_state, isfinite(checked.dot(self._zeros))

    def _prepare(self, theta, hp):
        """Constants for ``hp`` (a new mapping: a schedule hands one each step, with a new α);
        scratch for the parameters' size and dtype when they change."""
        dtype = theta.dtype
        if theta.shape != self._key[0] or dtype != self._key[1]:
            self._key, self._n = (theta.shape, dtype), theta.size
            self._kept = {}
            self._tmp, self._tmp2, self._tmp3, self._g = (np.empty(theta.shape, dtype) for _ in range(4))
            self._z1, self._z2 = np.empty((), dtype), np.empty((), dtype)  # factors that change with t
            n = self._n
            self._cuts = tuple(slice(i * n, (i + 1) * n) for i in range(4))  # a block's arrays
            self._zeros = np.zeros(0, dtype)  # the finite check's, as long as the block's end
        self._hp = hp
        # Each hyperparameter, and the Python-float expressions of them the formulas use, as
        # 0-d arrays of the parameters' dtype: rounded as NumPy rounds a Python float operand.
        const = self._constant
        c = {k: const(k, v) for k, v in hp.items()}
        if "beta1" in hp:
            weight = 1 - hp["beta1"]
            c["lerp_small"] = abs(weight) < 0.5
            c["lerp_w"] = const("lerp_w", weight)
            # lerp's second formula: 1 - weight formed in the array's precision, as ATen does
            c["lerp_1mw"] = const("lerp_1mw", weight, lambda: float(dtype.type(1) - dtype.type(weight)))
        if "beta2" in hp:
            c["one_minus_rho"] = const("one_minus_rho", 1 - hp["beta2"])
        elif "rho" in hp:
            c["one_minus_rho"] = const("one_minus_rho", 1 - hp["rho"])
        if self.kind == "adamw" or hp.get("decoupled_weight_decay"):
            c["decay"] = const("decay", 1 - hp["lr"] * hp["weight_decay"])
        self._c = c
        self._small = SmallAdam(hp, c) if SmallAdam.serves(self.kind, hp, self._n, dtype) else None

    def _constant(self, name, value, formula=None):
        """The 0-d array of constant ``name`` for ``value`` (of ``formula()`` when given):
        the one made before while ``value`` stays the same float (a schedule changes α, not β,
        ε or the weight decay), else a new one."""
        kept = self._kept.get(name)
        if kept is not None and kept[0] == value and copysign(1.0, kept[0]) == copysign(1.0, value):
            return kept[1]
        array = np.array(value if formula is None else formula(), self._key[1])
        self._kept[name] = (value, array)
        return array

    def _block(self, count):
        """A new block of ``count`` arrays shaped like the parameters, and the arrays."""
        block = np.empty(count * self._n, self._key[1])
        cuts = self._cuts
        if count == 2:
            return block, (block[cuts[0]], block[cuts[1]])
        if count == 3:
            return block, (block[cuts[0]], block[cuts[1]], block[cuts[2]])
        return block, tuple(block[cut] for cut in cuts[:count])


def _l2(self, theta, grad):
    """``grad + weight_decay θ`` (``add_l2``) into scratch, or ``grad`` itself without decay."""
    wd = self._hp["weight_decay"]
    if wd == 0:
        return grad
    g = np.multiply(theta, self._c["weight_decay"], out=self._g)
    return np.add(grad, g, out=g)


def _ema_square(self, S, g, rho, out):
    """``ema_square``: ``sq = g (1 - rho); sq *= g; out = S rho; out += sq``."""
    tmp = self._tmp
    np.multiply(g, self._c["one_minus_rho"], out=tmp)
    np.multiply(tmp, g, out=tmp)
    np.multiply(S, rho, out=out)
    return np.add(out, tmp, out=out)


def _lerp(self, V, g, out):
    """``lerp(V, g, 1 - beta1)`` into ``out``, with its two formulas."""
    c = self._c
    np.subtract(g, V, out=out)
    if c["lerp_small"]:
        np.multiply(out, c["lerp_w"], out=out)
        return np.add(out, V, out=out)
    np.multiply(out, c["lerp_1mw"], out=out)
    return np.subtract(g, out, out=out)


def _adam(self, theta, grad, state, decoupled=False, amsgrad=False):
    hp, c, tmp = self._hp, self._c, self._tmp
    t = state["t"] + 1
    block, arrays = self._block(4 if amsgrad else 3)
    Vn, Sn, new_theta = arrays[0], arrays[1], arrays[-1]
    if decoupled:  # AdamW: theta (1 - lr wd) before the step, from the raw gradient
        g = grad
        if hp["weight_decay"] != 0:
            theta = np.multiply(theta, c["decay"], out=self._tmp2)
    else:
        g = _l2(self, theta, grad)
    _lerp(self, state["V"], g, Vn)
    _ema_square(self, state["S"], g, c["beta2"], Sn)
    corrected = hp.get("bias_correction", 1.0)  # off: divided by 1.0, exactly as the pure update
    bias_correction1 = 1 - hp["beta1"] ** t if corrected else 1.0
    bias_correction2 = 1 - hp["beta2"] ** t if corrected else 1.0
    step_size, root = self._z1, self._z2
    step_size.fill(hp["lr"] / bias_correction1)
    root.fill(bias_correction2 ** 0.5)
    new_state = {"t": t, "V": Vn, "S": Sn}
    if amsgrad:
        S_max = new_state["S_max"] = np.maximum(state["S_max"], Sn, out=arrays[2])
        np.sqrt(S_max, out=tmp)
    else:
        np.sqrt(Sn, out=tmp)
    np.divide(tmp, root, out=tmp)
    np.add(tmp, c["eps"], out=tmp)
    np.divide(Vn, tmp, out=tmp)
    np.multiply(tmp, step_size, out=tmp)
    np.subtract(theta, tmp, out=new_theta)
    return new_theta, new_state, block[self._n:]


def _adamw(self, theta, grad, state):
    return _adam(self, theta, grad, state, decoupled=True)


def _amsgrad(self, theta, grad, state):
    return _adam(self, theta, grad, state, amsgrad=True)


def _sgd(self, theta, grad, state):
    g = _l2(self, theta, grad)
    step = np.multiply(g, self._c["lr"], out=self._tmp)
    new_theta = np.subtract(theta, step)
    return new_theta, {"t": state["t"] + 1}, new_theta


def _velocity(self, theta, grad, state, V):
    """``g`` (L2 added) and ``V = g.copy()`` at the first step, else ``V m + g``, into ``V``."""
    g = _l2(self, theta, grad)
    if state["t"] == 0:
        np.copyto(V, g)
        return g
    np.multiply(state["V"], self._c["momentum"], out=V)
    np.add(V, g, out=V)
    return g


def _momentum(self, theta, grad, state):
    _block, (V, new_theta) = self._block(2)
    _velocity(self, theta, grad, state, V)
    step = np.multiply(V, self._c["lr"], out=self._tmp)
    np.subtract(theta, step, out=new_theta)
    return new_theta, {"t": state["t"] + 1, "V": V}, new_theta


def _nesterov(self, theta, grad, state):
    _block, (V, new_theta) = self._block(2)
    g = _velocity(self, theta, grad, state, V)
    step = np.multiply(V, self._c["momentum"], out=self._tmp)  # g + m V
    np.add(g, step, out=step)
    np.multiply(step, self._c["lr"], out=step)
    np.subtract(theta, step, out=new_theta)
    return new_theta, {"t": state["t"] + 1, "V": V}, new_theta


def _rmsprop(self, theta, grad, state):
    c, tmp2 = self._c, self._tmp2
    momentum = self._hp["momentum"] > 0
    block, arrays = self._block(3 if momentum else 2)
    S, new_theta = arrays[-2], arrays[-1]
    g = _l2(self, theta, grad)
    _ema_square(self, state["S"], g, c["rho"], S)
    np.sqrt(S, out=tmp2)
    np.add(tmp2, c["eps"], out=tmp2)
    new_state = {"t": state["t"] + 1, "S": S}
    if momentum:
        V = state.get("V")
        step = arrays[0]
        if V is None:
            np.divide(g, tmp2, out=step)
        else:
            np.divide(g, tmp2, out=tmp2)
            np.multiply(V, c["momentum"], out=step)
            np.add(step, tmp2, out=step)
        new_state["V"] = step
    else:
        step = np.divide(g, tmp2, out=tmp2)
    lr_step = np.multiply(step, c["lr"], out=self._tmp)
    np.subtract(theta, lr_step, out=new_theta)
    return new_theta, new_state, block[self._n:] if momentum else block


def _adagrad(self, theta, grad, state):
    hp, tmp = self._hp, self._tmp
    t = state["t"] + 1
    block, (S, new_theta) = self._block(2)
    g = _l2(self, theta, grad)
    clr = self._z1
    clr.fill(hp["lr"] / (1 + (t - 1) * hp["lr_decay"]))
    np.multiply(g, g, out=S)
    np.add(S, state["S"], out=S)
    np.sqrt(S, out=tmp)
    np.add(tmp, self._c["eps"], out=tmp)
    np.divide(g, tmp, out=tmp)
    np.multiply(tmp, clr, out=tmp)
    np.subtract(theta, tmp, out=new_theta)
    return new_theta, {"t": t, "S": S}, block


def _adadelta(self, theta, grad, state):
    c, tmp2, delta = self._c, self._tmp2, self._tmp3
    block, (S, D, new_theta) = self._block(3)
    g = _l2(self, theta, grad)
    _ema_square(self, state["S"], g, c["rho"], S)
    np.add(S, c["eps"], out=tmp2)  # std
    np.sqrt(tmp2, out=tmp2)
    np.add(state["D"], c["eps"], out=delta)
    np.sqrt(delta, out=delta)
    np.divide(delta, tmp2, out=delta)
    np.multiply(delta, g, out=delta)
    _ema_square(self, state["D"], delta, c["rho"], D)
    np.multiply(delta, c["lr"], out=tmp2)
    np.subtract(theta, tmp2, out=new_theta)
    return new_theta, {"t": state["t"] + 1, "S": S, "D": D}, block


def _adamax(self, theta, grad, state):
    hp, c, tmp = self._hp, self._c, self._tmp
    t = state["t"] + 1
    block, (Vn, Un, new_theta) = self._block(3)
    g = _l2(self, theta, grad)
    _lerp(self, state["V"], g, Vn)
    np.abs(g, out=tmp)
    np.add(tmp, c["eps"], out=tmp)
    np.multiply(state["U"], c["beta2"], out=Un)
    np.maximum(Un, tmp, out=Un)
    clr = self._z1
    clr.fill(hp["lr"] / (1 - hp["beta1"] ** t))
    np.multiply(Vn, clr, out=tmp)
    np.divide(tmp, Un, out=tmp)
    np.subtract(theta, tmp, out=new_theta)
    return new_theta, {"t": t, "V": Vn, "U": Un}, block[self._n:]


def _decayed(self, theta, grad):
    """NAdam's and RAdam's ``(θ, g)`` after weight decay, decoupled or L2 (``_decay``)."""
    if self._hp["weight_decay"] == 0:
        return theta, grad
    if self._hp["decoupled_weight_decay"]:
        return np.multiply(theta, self._c["decay"], out=self._tmp2), grad
    return theta, _l2(self, theta, grad)


def _nadam(self, theta, grad, state):
    hp, c, tmp, denom = self._hp, self._c, self._tmp, self._tmp3
    t = state["t"] + 1
    lr = hp["lr"]
    block, (Vn, Sn, new_theta) = self._block(3)
    theta, g = _decayed(self, theta, grad)
    mu = nadam_momentum(t, hp)
    mu_next = nadam_momentum(t + 1, hp)
    product = mu_product_times(state["mu_product"], mu, self._key[1])
    _lerp(self, state["V"], g, Vn)
    _ema_square(self, state["S"], g, c["beta2"], Sn)
    factor = self._z1
    factor.fill(1 - hp["beta2"] ** t)
    np.divide(Sn, factor, out=denom)
    np.sqrt(denom, out=denom)
    np.add(denom, c["eps"], out=denom)
    factor.fill(-lr * (1.0 - mu) / (1.0 - product))
    np.multiply(g, factor, out=tmp)
    np.divide(tmp, denom, out=tmp)
    np.add(theta, tmp, out=new_theta)
    factor.fill((-lr * mu_next) / (1.0 - product * mu_next))
    np.multiply(Vn, factor, out=tmp)
    np.divide(tmp, denom, out=tmp)
    np.add(new_theta, tmp, out=new_theta)
    return new_theta, {"t": t, "V": Vn, "S": Sn, "mu_product": product}, block[self._n:]


def _radam(self, theta, grad, state):
    hp, c, tmp, adaptive = self._hp, self._c, self._tmp, self._tmp3
    t = state["t"] + 1
    block, (Vn, Sn, new_theta) = self._block(3)
    theta, g = _decayed(self, theta, grad)
    _lerp(self, state["V"], g, Vn)
    _ema_square(self, state["S"], g, c["beta2"], Sn)
    factor = self._z1
    factor.fill(1 - hp["beta1"] ** t)
    np.divide(Vn, factor, out=tmp)
    np.multiply(tmp, c["lr"], out=tmp)
    _rho, rect = radam_rectification(t, hp)
    if rect is not None:
        np.sqrt(Sn, out=adaptive)
        np.add(adaptive, c["eps"], out=adaptive)
        factor.fill((1 - hp["beta2"] ** t) ** 0.5)
        np.divide(factor, adaptive, out=adaptive)
        np.multiply(tmp, adaptive, out=tmp)
        factor.fill(rect)
        np.multiply(tmp, factor, out=tmp)
    np.subtract(theta, tmp, out=new_theta)
    return new_theta, {"t": t, "V": Vn, "S": Sn}, block[self._n:]


_KERNELS = {"sgd": _sgd, "momentum": _momentum, "nesterov": _nesterov, "rmsprop": _rmsprop,
            "adagrad": _adagrad, "adam": _adam, "adamw": _adamw, "amsgrad": _amsgrad,
            "adadelta": _adadelta, "adamax": _adamax, "nadam": _nadam, "radam": _radam}

FUSED_KINDS = frozenset(_KERNELS)
"""The optimizers :class:`FusedUpdate` has kernels for (every one of the registry's)."""
