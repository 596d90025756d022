"""Elementwise functions, activations and softmax for the autodiff graph.

Re-exported by :mod:`gradstep.engine.autodiff`; use them from there (``ad.tanh``). ``KERNELS``
are the activations' forward and local-derivative kernels, which the dense program shares. Local
derivatives at kinks follow PyTorch: ``relu'(0) = 0``, ``abs'(0) = 0``, ``leaky_relu'(0)`` is
the slope, ``maximum`` and ``minimum`` split a tie in half, ``clip`` passes the gradient at its
bounds.
"""

from __future__ import annotations

import numpy as np

from gradstep.engine.autodiff.node import Node, _acc, _lift, _make, _unbroadcast

__all__ = [
    "exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "leaky_relu",
    "elu", "softplus", "identity", "maximum", "minimum", "clip", "log_softmax", "ACTIVATIONS",
    "KERNELS",
]


# -- elementwise functions -----------------------------------------------------------------
def _unary(a, op, value, local, ctx=None):
    """An elementwise op whose backward is ``g * local()``; ``local`` is evaluated lazily."""
    out = _make(value, (a,), op, ctx=ctx)
    if out.requires_grad:
        out._backward = lambda g: _acc(a, g * local())
    return out


def exp(a):
    od = np.exp(a.data)
    return _unary(a, "exp", od, lambda: od)


def log(a):
    ad = a.data
    return _unary(a, "log", np.log(ad), lambda: 1.0 / ad)


def sqrt(a):
    od = np.sqrt(a.data)
    return _unary(a, "sqrt", od, lambda: 0.5 / od)


def abs(a):  # noqa: A001 - mirrors numpy.abs
    ad = a.data
    return _unary(a, "abs", np.abs(ad), lambda: np.sign(ad))


def sin(a):
    ad = a.data
    return _unary(a, "sin", np.sin(ad), lambda: np.cos(ad))


def cos(a):
    ad = a.data
    return _unary(a, "cos", np.cos(ad), lambda: -np.sin(ad))


def tan(a):
    od = np.tan(a.data)
    return _unary(a, "tan", od, lambda: 1.0 + od * od)


def _scalarize(od):
    return od[()] if np.ndim(od) == 0 else od


def tanh_kernel(x):
    """``(tanh x, backward)``; ``backward(g) = g (1 - tanh^2 x)``. Kernels serve both the graph
    op and the fused network path of :mod:`gradstep.engine.model.dense_program`, so both compute alike."""
    od = np.tanh(x)
    if od.ndim == 0:  # a NumPy scalar or 0-d array (np.tanh never returns a Python float)
        return od, lambda g: g * (1.0 - od * od)

    def backward(g):
        # g * (1 - tanh^2), in one scratch array: a hidden layer's hot path
        local = od * od
        np.subtract(1.0, local, out=local)
        local *= g
        return local
    return od, backward


def sigmoid_kernel(x):
    # exp(-|x|) never overflows; both branches equal 1 / (1 + exp(-x)).
    z = np.exp(-np.abs(x))
    od = _scalarize(np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype))
    return od, lambda g: g * (od * (1.0 - od))


def relu_kernel(x):
    return np.maximum(x, 0), lambda g: g * (x > 0).astype(x.dtype)


def leaky_relu_kernel(x, slope=0.01):
    pos = x > 0
    od = _scalarize(np.where(pos, x, x * slope).astype(x.dtype))
    return od, lambda g: g * np.where(pos, 1.0, slope).astype(x.dtype)


def elu_kernel(x, alpha=1.0):
    pos = x > 0
    em1 = np.expm1(np.minimum(x, 0))
    od = _scalarize(np.where(pos, x, alpha * em1).astype(x.dtype))
    # PyTorch: x > 0 ? grad : grad * alpha * exp(x)
    return od, lambda g: g * np.where(pos, 1.0, alpha * (em1 + 1.0)).astype(x.dtype)


def softplus_kernel(x, beta=1.0, threshold=20.0):
    bx = x * beta
    linear_part = bx > threshold
    with np.errstate(over="ignore"):
        z = np.exp(np.minimum(bx, threshold))
    od = _scalarize(np.where(linear_part, x, np.log1p(z) / beta).astype(x.dtype))
    return od, lambda g: g * np.where(linear_part, 1.0, z / (z + 1.0)).astype(x.dtype)


def _activation(a, op, kernel, ctx=None):
    od, backward = kernel(a.data)
    out = _make(od, (a,), op, ctx=ctx)
    if out.requires_grad:
        out._backward = lambda g: _acc(a, backward(g))
    return out


def tanh(a):
    return _activation(a, "tanh", tanh_kernel)


def sigmoid(a):
    return _activation(a, "sigmoid", sigmoid_kernel)


def relu(a):
    return _activation(a, "relu", relu_kernel)


def leaky_relu(a, slope=0.01):
    return _activation(a, "leaky_relu", lambda x: leaky_relu_kernel(x, slope), ctx=slope)


def elu(a, alpha=1.0):
    return _activation(a, "elu", lambda x: elu_kernel(x, alpha), ctx=alpha)


def softplus(a, beta=1.0, threshold=20.0):
    """PyTorch's softplus: log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    return _activation(a, "softplus", lambda x: softplus_kernel(x, beta, threshold), ctx=(beta, threshold))


KERNELS = {
    "tanh": tanh_kernel, "sigmoid": sigmoid_kernel, "relu": relu_kernel,
    "leaky_relu": leaky_relu_kernel, "elu": elu_kernel, "softplus": softplus_kernel,
}
"""Activation kernels by name: ``kernel(x) -> (value, backward)`` with ``backward(g)`` the
gradient with respect to ``x``. Identity has none."""


def identity(a):
    """The identity activation (``linear`` in scenario files): no node is added."""
    return a


def maximum(a, b):
    """Elementwise maximum; a tie sends half the gradient to each side, like PyTorch."""
    return _extremum(a, b, "maximum", np.maximum, np.greater)


def minimum(a, b):
    """Elementwise minimum; a tie sends half the gradient to each side, like PyTorch."""
    return _extremum(a, b, "minimum", np.minimum, np.less)


def _extremum(a, b, op, fn, wins):
    if not isinstance(a, Node):
        a = _lift(a, b)
    b = _lift(b, a)
    ad, bd = a.data, b.data
    out = _make(fn(ad, bd), (a, b), op)
    if out.requires_grad:
        def _backward(g):
            share = np.where(wins(ad, bd), 1.0, np.where(ad == bd, 0.5, 0.0)).astype(np.result_type(ad, bd))
            if a.requires_grad:
                _acc(a, _unbroadcast(g * share, np.shape(ad)))
            if b.requires_grad:
                _acc(b, _unbroadcast(g * (1.0 - share), np.shape(bd)))
        out._backward = _backward
    return out


def clip(a, low=None, high=None):
    """Clamp ``a`` into [low, high]; the gradient passes where low <= a <= high (PyTorch)."""
    ad = a.data
    od = np.clip(ad, low, high)
    inside = np.ones(np.shape(ad), dtype=bool)
    if low is not None:
        inside &= ad >= low
    if high is not None:
        inside &= ad <= high
    return _unary(a, "clip", od, lambda: inside.astype(ad.dtype), ctx=(low, high))


def log_softmax(a, axis=-1):
    """log(softmax(a)) along ``axis``, computed stably."""
    ad = a.data
    shifted = ad - np.max(ad, axis=axis, keepdims=True)
    od = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    out = _make(od, (a,), "log_softmax", ctx=axis)
    if out.requires_grad:
        def _backward(g):
            _acc(a, g - np.exp(od) * np.sum(g, axis=axis, keepdims=True))
        out._backward = _backward
    return out


ACTIVATIONS = {
    "identity": identity,
    "linear": identity,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "softplus": softplus,
}
"""Activation functions by the name a scenario file uses."""
