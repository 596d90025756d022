"""Adam's quick path: on Python floats for a few parameters.

One NumPy call costs about 0.35 µs whatever its size, so the fused Adam kernel
(:mod:`gradstep.engine.optim.fused`), thirteen calls, takes about 5.7 µs for the three
parameters of f(a, b, c), where the arithmetic is nanoseconds. :class:`SmallAdam` runs the same
formulas entry by entry on Python floats, in the kernel's order of operations, and builds the
new block (``V``, ``S``, ``θ``) from one list with one ``np.array`` call: about 2.7 µs for three
parameters.

The numbers are the kernel's bit for bit: every operation is one of + − × ÷ √, which IEEE 754
rounds correctly, in Python floats as in NumPy float64 (``math.sqrt`` is correctly rounded like
``np.sqrt``), and the constants are the kernel's float64 values. Float32 does not pay: NumPy's
float32 scalars cost about 35 ns an operation and a correctly rounded float32 square root
0.2 µs, so three parameters took 6.0 µs against the kernel's 5.7 (measured), and rounding
Python floats to float32 after each operation costs more still.

Whenever Python refuses (a division by zero raises where NumPy gives inf) or a result is not
finite, :meth:`SmallAdam.__call__` answers None and the kernel takes the step: a divergence is
always NumPy's own infs and NaNs, diagnosed as before.
"""

from __future__ import annotations

from math import isfinite, sqrt

import numpy as np

__all__ = ["SmallAdam", "SMALL"]

SMALL = 12
"""The most parameters :class:`SmallAdam` serves: past it the Python loop costs more than the
kernel's calls. Measured (CPU µs for one update, against the kernel's): 3 parameters 2.7 against
5.6; 8, 3.9 against 5.7; 12, 4.9 against 5.7; 16, 6.0 against 5.8."""


class SmallAdam:
    """Adam (L2 weight decay, either lerp formula, bias correction on or off) for ``hp`` on at
    most :data:`SMALL` float64 parameters.

    Args:
        hp: The hyperparameters the step uses.
        constants: The fused kernel's 0-d float64 constants for ``hp`` (``FusedUpdate._c``).
    """

    __slots__ = ("_lr", "_beta1", "_beta2", "_corrected", "_w", "_small", "_beta2c", "_omr", "_eps", "_wd",
                 "_last")

    def __init__(self, hp, constants):
        self._lr, self._beta1, self._beta2 = hp["lr"], hp["beta1"], hp["beta2"]
        self._corrected = hp.get("bias_correction", 1.0)  # off: divided by 1.0, as the kernel
        self._small = constants["lerp_small"]
        self._w = float(constants["lerp_w"] if self._small else constants["lerp_1mw"])
        self._beta2c = float(constants["beta2"])
        self._omr = float(constants["one_minus_rho"])
        self._eps = float(constants["eps"])
        self._wd = float(constants["weight_decay"]) if hp["weight_decay"] != 0 else None
        # the arrays the latest step handed out (θ, V, S) and their values as lists: the next
        # step's inputs, usually (arrays nothing writes into again, so the lists stay true)
        self._last = (None, None, None, None, None, None)

    @staticmethod
    def serves(kind, hp, size, dtype):
        """Whether :class:`SmallAdam` can take the steps of optimizer ``kind`` with ``hp`` on
        ``size`` parameters of ``dtype``."""
        return kind == "adam" and 0 < size <= SMALL and dtype == np.float64 and not hp.get("decoupled_weight_decay")

    def __call__(self, theta, grad, state):
        """``(new_theta, new_state)`` as the kernel's, or None: let the kernel step."""
        t = state["t"] + 1
        corrected = self._corrected
        bias_correction1 = 1 - self._beta1 ** t if corrected else 1.0
        bias_correction2 = 1 - self._beta2 ** t if corrected else 1.0
        step_size = self._lr / bias_correction1  # what the kernel fills its 0-d arrays with
        root = bias_correction2 ** 0.5
        last_theta, last_V, last_S, th, V, S = self._last
        V_in, S_in = state["V"], state["S"]
        if theta is not last_theta:
            th = theta.tolist()
        if V_in is not last_V:
            V = V_in.tolist()
        if S_in is not last_S:
            S = S_in.tolist()
        g = grad.tolist()
        w, small, beta2, omr, eps, wd = self._w, self._small, self._beta2c, self._omr, self._eps, self._wd
        Vn, Sn, out = [], [], []
        try:
            for x, gi, v, s in zip(th, g, V, S):
                if wd is not None:
                    gi = gi + x * wd                        # _l2: grad + theta wd
                d = gi - v                                  # _lerp
                v = d * w + v if small else gi - d * w
                s = s * beta2 + gi * omr * gi               # _ema_square: S rho + (g (1 - rho)) g
                Vn.append(v)
                Sn.append(s)
                out.append(x - v / (sqrt(s) / root + eps) * step_size)
        except (ArithmeticError, ValueError):  # Python refuses where NumPy gives inf or NaN
            return None
        values = Vn + Sn + out
        if not isfinite(sum(values)):  # inf or NaN (or a sum that overflows): the kernel checks
            return None
        n = len(out)
        block = np.array(values)
        new_theta, V_out, S_out = block[2 * n:], block[:n], block[n:2 * n]
        self._last = (new_theta, V_out, S_out, out, Vn, Sn)
        return new_theta, {"t": t, "V": V_out, "S": S_out}

