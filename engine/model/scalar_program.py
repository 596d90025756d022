"""A fast path for objectives of scalar parameters: the expression run on Python floats.

An objective such as the tutorial's ``f(a, b, c) = (a - 1)**2 + 10*(b + 2)**2 + c**2`` has a
graph of 0-d values, where NumPy's per-call overhead (and making a node per operation) costs
far more than the arithmetic. :func:`scalar_program` turns a parsed expression into a straight
line of float operations and their local derivatives, run forward and then backward
(reverse-mode, the same chain rule the autodiff graph applies, with PyTorch's conventions at
kinks). The training loop uses it for objectives whose parameters and constants are all scalars (in
float32 on NumPy float32 scalars, for arithmetic only); everything else, and every view that
shows the graph, uses :mod:`gradstep.engine.autodiff`.

The results equal the graph's up to the last bit or two (``math`` and NumPy may round ``exp``
or ``log`` differently). Whenever a value is not finite, or ``math`` refuses (log of a negative
number, overflow), the caller falls back to the graph for that step, which produces NumPy's
inf or NaN and the explanation of where it went wrong.
"""

from __future__ import annotations

import math

import numpy as np

from gradstep.engine import autodiff as ad

__all__ = ["scalar_program", "ScalarProgram"]


def _sigmoid(x):
    z = math.exp(-abs(x))
    return 1.0 / (1.0 + z) if x >= 0 else z / (1.0 + z)


def _softplus(x):
    return x if x > 20.0 else math.log1p(math.exp(x))


def _sign(x):
    return (x > 0) - (x < 0)


# op -> (forward f(x), local derivative d(x, value)): the autodiff graph's own formulas
_UNARY = {
    ad.neg: (lambda x: -x, lambda x, v: -1.0),
    ad.exp: (math.exp, lambda x, v: v),
    ad.log: (math.log, lambda x, v: 1.0 / x),
    ad.sqrt: (math.sqrt, lambda x, v: 0.5 / v),
    ad.abs: (abs, lambda x, v: float(_sign(x))),
    ad.sin: (math.sin, lambda x, v: math.cos(x)),
    ad.cos: (math.cos, lambda x, v: -math.sin(x)),
    ad.tan: (math.tan, lambda x, v: 1.0 + v * v),
    ad.tanh: (math.tanh, lambda x, v: 1.0 - v * v),
    ad.sigmoid: (_sigmoid, lambda x, v: v * (1.0 - v)),
    ad.relu: (lambda x: x if x > 0 else 0.0, lambda x, v: 1.0 if x > 0 else 0.0),
    ad.softplus: (_softplus, lambda x, v: 1.0 if x > 20.0 else (lambda z: z / (z + 1.0))(math.exp(x))),
    ad.sum: (lambda x: x, lambda x, v: 1.0),
    ad.mean: (lambda x: x, lambda x, v: 1.0),
}


def _max_share(x, y):
    return 1.0 if x > y else 0.5 if x == y else 0.0


def _binary(fn, x, y):
    """``(value, d/dx, d/dy)`` of a two-operand op."""
    if fn is ad.add:
        return x + y, 1.0, 1.0
    if fn is ad.sub:
        return x - y, 1.0, -1.0
    if fn is ad.mul:
        return x * y, y, x
    if fn is ad.div:
        return x / y, None, None  # backward below, in the graph's order of operations
    if fn is ad.power:
        v = x ** y
        if isinstance(v, complex):
            raise ValueError("negative base to a fractional power")
        dx = 0.0 if y == 0 else y * x ** (y - 1)
        dy = 0.0 if (x == 0 and y >= 0) else v * math.log(x)
        return v, dx, dy
    if fn is ad.maximum:
        share = _max_share(x, y)
        return max(x, y), share, 1.0 - share
    if fn is ad.minimum:
        share = _max_share(y, x)
        return min(x, y), share, 1.0 - share
    raise KeyError(fn)


_BINARY_FNS = (ad.add, ad.sub, ad.mul, ad.div, ad.power, ad.maximum, ad.minimum)

# In float32 the values are NumPy float32 scalars, whose arithmetic rounds to float32 as the
# graph's does; ``math`` functions would compute in double, so only arithmetic is allowed.
_FLOAT32_UNARY = frozenset({ad.neg, ad.abs, ad.relu, ad.sum, ad.mean})
_FLOAT32_BINARY = frozenset({ad.add, ad.sub, ad.mul, ad.div, ad.maximum, ad.minimum})


class ScalarProgram:
    """An expression over scalars as a straight line of float operations.

    Call :meth:`value_and_grad` with the parameters' values, in the session's order.
    """

    def __init__(self, leaves, names, program, result, params, constant_values, dtype=np.float64):
        self.dtype = np.dtype(dtype)
        self._leaves = leaves
        self._program = program
        self._result = result
        self._base = len(leaves) + len(names)
        # where each name's register comes from: a parameter's position, or a constant value
        self._sources = [(params.index(n), None) if n in params else (None, constant_values[n]) for n in names]
        self._param_slots = [len(leaves) + names.index(p) if p in names else None for p in params]
        # the usual objective names each parameter once, in order: its registers are the values
        self._values_in_order = list(names) == list(params)
        # backward, last operation first, each with the register its adjoint is read from
        self._backward = tuple((code, fn, a, b, self._base + i) for i, (code, fn, a, b) in enumerate(program))[::-1]
        self._plain_gradient = self.dtype == np.float64  # Python floats: tolist and back, no dtype to give

    def gradient(self, theta):
        """``(loss, flat gradient array)`` at the flat parameter vector ``theta``."""
        if self._plain_gradient:
            loss, grads = self.value_and_grad(theta.tolist())
            return loss, np.array(grads)  # Python floats make a float64 array
        loss, grads = self.value_and_grad(list(theta))
        return loss, np.array(grads, dtype=self.dtype)

    def value_and_grad(self, values):
        """``(loss, [d loss / d param, ...])`` at parameter values ``values`` (floats, in order).

        Raises:
            ArithmeticError, ValueError: Where ``math`` refuses (overflow, log of a negative
                number, a negative base to a fractional power); the caller then uses the graph.
        """
        regs = list(self._leaves)
        if self._values_in_order:
            regs += values
        else:
            for position, fixed in self._sources:
                regs.append(values[position] if position is not None else fixed)
        locals_ = []
        keep = locals_.append
        push = regs.append
        # The operations the tutorial's objectives are made of come first, written out.
        for code, fn, a, b in self._program:
            if code == _ADD:
                push(regs[a] + regs[b])
                keep(None)  # backward: g to both, as g * 1.0 is g exactly
            elif code == _SQUARE:
                x = regs[a]
                push(x * x)
                keep(2.0 * x)
            elif code == _MUL:
                x, y = regs[a], regs[b]
                push(x * y)
                keep((y, x))
            elif code == _SUB:
                push(regs[a] - regs[b])
                keep(None)  # backward: g and -g (x + g * -1.0 is x - g exactly)
            elif code == 0:
                x = regs[a]
                forward, local = _UNARY[fn]
                v = forward(x)
                push(v)
                keep(local(x, v))
            elif code == 1:
                x, y = regs[a], regs[b]
                if fn is ad.div:
                    push(x / y)
                    keep((x, y))
                else:
                    v, dx, dy = _binary(fn, x, y)
                    push(v)
                    keep((dx, dy))
            else:
                x, k = regs[a], b
                v = x ** k
                if isinstance(v, complex):
                    raise ValueError("negative base to a fractional power")
                push(v)
                keep(0.0 if k == 0.0 else k * x ** (k - 1.0))
        adj = [0.0] * len(regs)
        adj[self._result] = 1.0
        locals_.reverse()
        for (code, fn, a, b, out), local in zip(self._backward, locals_):
            g = adj[out]
            if code == _ADD:
                adj[a] += g
                adj[b] += g
            elif code == _SQUARE or code == 0 or code == 2:
                adj[a] += g * local
            elif code == _SUB:
                adj[a] += g
                adj[b] -= g
            elif fn is ad.div:  # as the graph does it: g / y and -g x / y^2
                x, y = local
                adj[a] += g / y
                adj[b] += -g * x / (y * y)
            else:
                adj[a] += g * local[0]
                adj[b] += g * local[1]
        return regs[self._result], [0.0 if slot is None else adj[slot] for slot in self._param_slots]


# Codes of the operations written out in ScalarProgram.value_and_grad (the parsed expression's
# own codes are 0 unary, 1 binary, 2 power by a constant).
_ADD, _SUB, _MUL, _SQUARE = 3, 4, 5, 6


def _specialised(code, fn, a, b):
    """The op with a code of its own when it is one of those written out."""
    if code == 1 and fn is ad.add:
        return _ADD, fn, a, b
    if code == 1 and fn is ad.sub:
        return _SUB, fn, a, b
    if code == 1 and fn is ad.mul:
        return _MUL, fn, a, b
    if code == 2 and b == 2.0:
        return _SQUARE, fn, a, b
    return code, fn, a, b


def scalar_program(expression, params, constants, dtype=np.float64):
    """A :class:`ScalarProgram` for ``expression``, or None when the fast path does not apply.

    It applies when every operation is one of the elementwise ones above and every constant
    the expression uses is a 0-d value.

    Args:
        expression: A parsed :class:`gradstep.engine.model.expr.Expression`.
        params: Parameter names, in the session's order.
        constants: ``{name: array}`` of named constants.
        dtype: float64 (Python floats) or float32 (NumPy float32 scalars, arithmetic only).
    """
    dtype = np.dtype(dtype)
    single = dtype == np.float32
    unary = _FLOAT32_UNARY if single else _UNARY
    binary = _FLOAT32_BINARY if single else _BINARY_FNS
    program = []
    for code, fn, a, b in expression._program:
        if (code == 0 and fn not in unary) or (code == 1 and fn not in binary):
            return None
        program.append(_specialised(code, fn, a, b))
    names = list(expression._names)
    for name in names:
        if name not in params and (name not in constants or np.ndim(constants[name]) != 0):
            return None
    scalar = dtype.type if single else float
    leaves = [scalar(leaf.data) for leaf in expression._leaves]
    fixed = {n: scalar(constants[n]) for n in names if n not in params}
    return ScalarProgram(leaves, names, tuple(program), expression._result, list(params), fixed, dtype)
