"""A fused path for dense networks: forward and backward written out layer by layer.

A dense network's graph has the same shape every step: ``z_k = a_{k-1} @ W_k + b_k``,
``a_k = act_k(z_k)``, then the loss. :class:`DenseProgram` runs exactly that, with the same
activation and loss kernels the autodiff graph's nodes use (:data:`gradstep.engine.autodiff.functions.KERNELS`,
:data:`gradstep.engine.model.losses.KERNELS`), but without making a node and a closure per operation and
walking them back: back-propagation is the textbook recursion

    delta_L = dL/dz_L;  dL/dW_k = a_{k-1}^T delta_k;  dL/db_k = sum over the batch of delta_k;
    delta_{k-1} = (delta_k @ W_k^T) * act'_{k-1}(z_{k-1}).

The training loop uses it for every network; the views that show the graph (chain rule,
gradient check) build the graph, and tests check that both give the same numbers.
"""

from __future__ import annotations

import numpy as np

from gradstep.engine.autodiff import column_sums
from gradstep.engine.autodiff.functions import KERNELS as ACTIVATION_KERNELS
from gradstep.engine.model.losses import KERNELS as LOSS_KERNELS

__all__ = ["DenseProgram"]


class DenseProgram:
    """Loss and flat gradient of a dense network, with no graph.

    Args:
        spec: The :class:`~gradstep.engine.scenario.NetworkSpec`.
        loss: The loss's name.
        layout: The session's :class:`~gradstep.engine.training.record.ParamLayout` (``layer1.W``, ``layer1.b``, ...).
    """

    def __init__(self, spec, loss, layout):
        self._activations = [None if layer.activation in ("identity", "linear") else ACTIVATION_KERNELS[layer.activation]
                             for layer in spec.layers]
        self._loss = LOSS_KERNELS[loss]
        self._cuts = [(layout.slices[2 * k], layout.shapes[2 * k], layout.slices[2 * k + 1])
                      for k in range(len(spec.layers))]
        self._ones_by_shape = {}

    def _ones(self, g):
        """The ones vector :func:`~gradstep.engine.autodiff.column_sums` sums ``g``'s rows with."""
        key = (g.shape[0], g.dtype)
        ones = self._ones_by_shape.get(key)
        if ones is None:
            if len(self._ones_by_shape) > 8:
                self._ones_by_shape.clear()
            ones = self._ones_by_shape[key] = np.ones(g.shape[0], dtype=g.dtype)
        return ones

    def _weights(self, theta):
        return [(theta[w].reshape(shape), theta[b]) for w, shape, b in self._cuts]

    def value(self, theta, x, y):
        """The loss at flat parameters ``theta`` on inputs ``x`` and targets ``y``."""
        a = x
        for (W, b), act in zip(self._weights(theta), self._activations):
            a = a @ W + b
            if act is not None:
                a = act(a)[0]
        return self._loss(a, y)[0]

    def value_and_grad(self, theta, x, y):
        """``(loss, flat gradient)`` at flat parameters ``theta``.

        Each layer's gradients are written straight into their place in one new flat vector
        (the same BLAS calls as ``a.T @ delta`` and :func:`~gradstep.engine.autodiff.column_sums`,
        with ``out=``), not made apart and concatenated.
        """
        weights = self._weights(theta)
        inputs, backwards = [], []
        a = x
        for (W, b), act in zip(weights, self._activations):
            inputs.append(a)
            a = a @ W + b
            if act is not None:
                a, backward = act(a)
                backwards.append(backward)
            else:
                backwards.append(None)
        loss, delta = self._loss(a, y)
        grad = np.empty(theta.shape, np.result_type(theta, delta))
        for k in range(len(weights) - 1, -1, -1):
            if backwards[k] is not None:
                delta = backwards[k](delta)          # dL/dz_k
            w, shape, b = self._cuts[k]
            if delta.dtype == grad.dtype:
                np.matmul(inputs[k].T, delta, out=grad[w].reshape(shape))
                np.matmul(self._ones(delta), delta, out=grad[b])  # column_sums(delta)
            else:  # mixed dtypes (never in a session): as the graph does it
                grad[w] = (inputs[k].T @ delta).ravel()
                grad[b] = column_sums(delta)
            if k:
                delta = delta @ weights[k][0].T      # dL/da_{k-1}
        return loss, grad
