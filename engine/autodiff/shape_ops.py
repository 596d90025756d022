"""Operations that reduce or change shape: ``linear`` (``x @ W + b``), ``sum``, ``mean``,
``reshape``, ``transpose``, and ``column_sums``, the bias gradient's kernel.

Part of :mod:`gradstep.engine.autodiff`; use them from there (``ad.sum``, ``ad.linear``).
"""

from __future__ import annotations

import numpy as np

from gradstep.engine.autodiff.node import _acc, _make, _unbroadcast

__all__ = ["column_sums", "linear", "sum", "mean", "reshape", "transpose"]


_ONES = {}


def column_sums(g):
    """``g.sum(axis=0)`` for a 2-D array, as ``ones @ g``: one BLAS call, about 2.5 times faster
    than NumPy's reduction on a batch of activations (the bias gradient of every dense layer)."""
    key = (g.shape[0], g.dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = np.ones(g.shape[0], dtype=g.dtype)
        ones.flags.writeable = False
        _ONES[key] = ones
    return ones @ g


def linear(x, W, b):
    """x @ W + b in one node: a dense layer's pre-activation ``z``."""
    xd, Wd, bd = x.data, W.data, b.data
    out = _make(xd @ Wd + bd, (x, W, b), "linear")
    if out.requires_grad:
        def _backward(g):
            if W.requires_grad:
                _acc(W, xd.T @ g)
            if b.requires_grad:
                _acc(b, column_sums(g))
            if x.requires_grad:
                _acc(x, g @ Wd.T)
        out._backward = _backward
    return out


# -- reductions and shapes -----------------------------------------------------------------
def _norm_axis(axis, ndim):
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(ax % ndim for ax in axes)) if ndim else None


def sum(a, axis=None, keepdims=False):  # noqa: A001 - mirrors numpy.sum
    """Sum over ``axis`` (all axes by default)."""
    ad = a.data
    axes = _norm_axis(axis, np.ndim(ad))
    out = _make(np.sum(ad, axis=axes, keepdims=keepdims), (a,), "sum", ctx=(axes, keepdims))
    if out.requires_grad:
        shape = np.shape(ad)

        def _backward(g):
            if axes is not None and not keepdims:
                g = np.expand_dims(g, axes)
            _acc(a, np.broadcast_to(g, shape))
        out._backward = _backward
    return out


def mean(a, axis=None, keepdims=False):
    """Mean over ``axis`` (all axes by default)."""
    ad = a.data
    axes = _norm_axis(axis, np.ndim(ad))
    shape = np.shape(ad)
    count = int(np.prod([shape[i] for i in axes])) if axes is not None else int(np.size(ad))
    out = _make(np.mean(ad, axis=axes, keepdims=keepdims), (a,), "mean", ctx=(axes, keepdims))
    if out.requires_grad:
        def _backward(g):
            if axes is not None and not keepdims:
                g = np.expand_dims(g, axes)
            _acc(a, np.broadcast_to(g / count, shape))
        out._backward = _backward
    return out


def reshape(a, shape):
    """``a`` with a new shape."""
    ad = a.data
    out = _make(np.reshape(ad, shape), (a,), "reshape", ctx=tuple(np.shape(ad)))
    if out.requires_grad:
        old = np.shape(ad)
        out._backward = lambda g: _acc(a, np.reshape(g, old))
    return out


def transpose(a, axes=None):
    """``a`` with its axes permuted (reversed by default)."""
    ad = a.data
    out = _make(np.transpose(ad, axes), (a,), "transpose", ctx=axes)
    if out.requires_grad:
        inverse = None if axes is None else tuple(np.argsort(axes))
        out._backward = lambda g: _acc(a, np.transpose(g, inverse))
    return out
