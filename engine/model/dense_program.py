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
from gradstep.engine.model.losses import match_target

__all__ = ["DenseProgram"]


class DenseProgram:
    """Loss and flat gradient of a dense network, with no graph.

    Args:
        spec: The :class:`~gradstep.engine.scenario.NetworkSpec`.
        loss: The loss's name.
        layout: The session's :class:`~gradstep.engine.training.record.ParamLayout` (``layer1.W``, ``layer1.b``, ...).
    """

    fit_output = value_output = None
    """The network's output in the latest :meth:`value_and_grad` and :meth:`value` (arrays the
    program never writes into again), for the step's accuracy without a second forward pass."""

    def __init__(self, spec, loss, layout):
        self._activations = [None if layer.activation in ("identity", "linear") else ACTIVATION_KERNELS[layer.activation]
                             for layer in spec.layers]
        self._loss = LOSS_KERNELS[loss]
        self._loss_name = loss
        self._widest = max([spec.inputs] + [layer.units for layer in spec.layers])
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
        """The loss at flat parameters ``theta`` on inputs ``x`` and targets ``y``; the network's
        output stays in :attr:`value_output` (what a step's validation accuracy reads)."""
        a = x
        for (W, b), act in zip(self._weights(theta), self._activations):
            a = a @ W + b
            if act is not None:
                a = act(a)[0]
        self.value_output = a
        return self._loss(a, y)[0]

    def point_bytes(self, rows, itemsize):
        """Bytes :meth:`losses_along` holds per point on ``rows`` rows of data (a few arrays of
        the widest layer)."""
        return 4 * rows * self._widest * itemsize

    def losses_along(self, theta, changes, x, y):
        """The loss at P points that differ from ``theta`` in one or two entries, in one
        vectorised forward pass over the data.

        Args:
            theta: Flat parameters where the other entries stay.
            changes: ``[(flat position, values of shape (P,)), ...]``.
            x: Inputs, (n, inputs); ``y``: the targets.

        Returns:
            The P losses. Layers before the first changed entry are computed once; a layer with
            a changed entry recomputes only the columns it touches, for each point.
        """
        points = len(changes[0][1])
        dtype = theta.dtype
        # per layer: {column: (weights of that column per point (P, fan_in), bias per point (P,))}
        columns = [{} for _cut in self._cuts]
        for flat, values in changes:
            for k, (w, shape, b) in enumerate(self._cuts):
                if w.start <= flat < w.stop or b.start <= flat < b.stop:
                    W, bias = theta[w].reshape(shape), theta[b]
                    j = (flat - w.start) % shape[1] if flat < w.stop else flat - b.start
                    if j not in columns[k]:
                        columns[k][j] = (np.repeat(W[:, j][None, :], points, axis=0),
                                         np.full(points, bias[j], dtype))
                    wcol, bcol = columns[k][j]
                    if flat < w.stop:
                        wcol[:, (flat - w.start) // shape[1]] = values
                    else:
                        bcol[:] = values
        a = x
        for k, ((W, b), act) in enumerate(zip(self._weights(theta), self._activations)):
            if a.ndim == 2 and not columns[k]:  # before the first change: one pass for all
                z = a @ W + b
            else:
                if a.ndim == 2:
                    z = np.broadcast_to(a @ W + b, (points, len(a), W.shape[1])).copy()
                else:
                    z = (a.reshape(-1, a.shape[2]) @ W + b).reshape(points, a.shape[1], W.shape[1])
                for j, (wcol, bcol) in columns[k].items():
                    # column j of each point's z: its own weights and bias
                    cols = wcol @ a.T if a.ndim == 2 else np.matmul(a, wcol[:, :, None])[:, :, 0]
                    z[:, :, j] = cols + bcol[:, None]
            a = z if act is None else act(z)[0]
        if a.ndim == 2:  # no entry changed: every point is theta
            a = np.broadcast_to(a, (points,) + a.shape)
        return _point_losses(self._loss_name, a, y)

    def value_and_grad(self, theta, x, y):
        """``(loss, flat gradient)`` at flat parameters ``theta``.

        Each layer's gradients are written straight into their place in one new flat vector
        (the same BLAS calls as ``a.T @ delta`` and :func:`~gradstep.engine.autodiff.column_sums`,
        with ``out=``), not made apart and concatenated.
        """
        inputs, backwards, weights = [], [], []
        a = x
        for (w, shape, b), act in zip(self._cuts, self._activations):
            W = theta[w].reshape(shape)
            weights.append(W)
            inputs.append(a)
            a = a @ W
            a += theta[b]  # a @ W + b, without a second new array
            if act is not None:
                a, backward = act(a)
                backwards.append(backward)
            else:
                backwards.append(None)
        self.fit_output = a  # the output the step's loss came from: its accuracy reads it
        loss, delta = self._loss(a, y)
        dtype = theta.dtype
        same = delta.dtype is dtype or delta.dtype == dtype  # always, in a session
        grad = np.empty(theta.shape, dtype if same else np.result_type(theta, delta))
        ones = self._ones(delta)  # every layer's delta has the batch's rows
        for k in range(len(weights) - 1, -1, -1):
            if backwards[k] is not None:
                delta = backwards[k](delta)          # dL/dz_k
            w, shape, b = self._cuts[k]
            if same and (delta.dtype is dtype or delta.dtype == dtype):
                np.matmul(inputs[k].T, delta, out=grad[w].reshape(shape))
                np.matmul(ones, delta, out=grad[b])  # column_sums(delta)
            else:  # mixed dtypes (never in a session): as the graph does it
                grad[w] = (inputs[k].T @ delta).ravel()
                grad[b] = column_sums(delta)
            if k:
                delta = delta @ weights[k].T         # dL/da_{k-1}
        return loss, grad


def _point_losses(name, out, target):
    """Each point's loss: ``out`` holds P networks' outputs, shape (P, n, k); the kernels'
    formulas (:data:`gradstep.engine.model.losses.KERNELS`) reduced over all but the first axis."""
    n, k = out.shape[1:]
    if name == "cross_entropy":
        # over a short last axis, column by column is several times faster than a reduction
        top = out[:, :, 0]
        for c in range(1, k):
            top = np.maximum(top, out[:, :, c])
        total = np.exp(out[:, :, 0] - top)
        for c in range(1, k):
            total += np.exp(out[:, :, c] - top)
        log_total = np.log(total)
        if np.issubdtype(target.dtype, np.integer):
            picked = out[:, np.arange(n), target.reshape(n)] - top - log_total   # log p(class)
            return -np.sum(picked, axis=1) / n
        probs = target.astype(out.dtype, copy=False).reshape(n, k)
        log_probs = out - top[:, :, None] - log_total[:, :, None]
        return -np.sum(probs * log_probs, axis=(1, 2)) / n
    y = match_target((n, k), target)
    if name == "bce_logits":
        y = y.astype(out.dtype, copy=False)
        log_sigmoid = np.minimum(out, 0) - np.log1p(np.exp(-np.abs(out)))
        return np.mean((1 - y) * out - log_sigmoid, axis=(1, 2))
    diff = out - y
    if name == "mse":
        return np.mean(diff * diff, axis=(1, 2))
    if name == "mae":
        return np.mean(np.abs(diff), axis=(1, 2))
    if name == "huber":
        size = np.abs(diff)
        return np.mean(np.where(size < 1.0, 0.5 * diff * diff, size - 0.5), axis=(1, 2))
    raise KeyError(name)
