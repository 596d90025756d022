"""Loss functions, each one fused node of the autodiff graph, equal to PyTorch's (mean reduction).

Each ``loss(pred, target)`` takes the model's output node and a plain target array and returns a
scalar node whose ``_op`` is the loss name; its local derivative dL/dpred is what the backward
closure applies. Targets of shape (n,) against predictions of shape (n, 1) (or the reverse) are
matched element for element: they never broadcast into an (n, n) matrix.

| name            | PyTorch                   | L (mean over the N elements or n rows)            |
| --------------- | ------------------------- | ------------------------------------------------- |
| ``mse``         | ``nn.MSELoss``            | mean((p - y)^2)                                   |
| ``mae``         | ``nn.L1Loss``             | mean(abs(p - y))                                  |
| ``huber``       | ``nn.HuberLoss(delta=1)`` | mean(0.5 d^2 if abs(d) < 1 else abs(d) - 0.5)     |
| ``bce_logits``  | ``nn.BCEWithLogitsLoss``  | mean((1 - y) p - log(sigmoid(p)))                 |
| ``cross_entropy`` | ``nn.CrossEntropyLoss`` | mean over rows of -log softmax(p)[label]          |
"""

from __future__ import annotations

import math

import numpy as np

from gradstep.engine.autodiff import Node

__all__ = ["LOSSES", "KERNELS", "mse", "mae", "huber", "bce_logits", "cross_entropy", "match_target"]


def match_target(pred_shape, target):
    """``target`` shaped like the prediction when they hold the same number of elements.

    Raises:
        ValueError: When the sizes differ.
    """
    if target.shape == pred_shape:
        return target
    if target.size != math.prod(pred_shape):
        raise ValueError(f"target of shape {target.shape} does not match prediction of shape {pred_shape}")
    return target.reshape(pred_shape)


def _loss_node(value, pred, op, local, target):
    """A scalar node for a loss whose gradient with respect to ``pred`` is ``local``."""
    out = Node(value, (pred,), op, pred.requires_grad, ctx=target)
    if pred.requires_grad:
        def _backward(g):
            contribution = local if g == 1 else local * g  # the loss is usually the root
            pred.grad = contribution if pred.grad is None else pred.grad + contribution
        out._backward = _backward
    return out


def mse_kernel(p, target):
    """Mean squared error, the tutorial's ``MSE = 1/n sum (y_i - yhat_i)^2``."""
    diff = p - match_target(p.shape, target)
    flat = diff.ravel()
    value = (flat @ flat) / flat.size
    diff *= 2.0 / diff.size  # the gradient in diff's own new array: (2 / n) diff, the same product
    return value, diff


def mae_kernel(p, target):
    """Mean absolute error (``L1Loss``); the derivative at a zero residual is 0, as in PyTorch."""
    diff = p - match_target(p.shape, target)
    return np.mean(np.abs(diff)), np.sign(diff) / diff.size


def huber_kernel(p, target, delta=1.0):
    """Huber loss: quadratic for residuals below ``delta``, linear beyond."""
    diff = p - match_target(p.shape, target)
    size = np.abs(diff)
    small = size < delta
    value = np.mean(np.where(small, 0.5 * diff * diff, delta * (size - 0.5 * delta)))
    local = np.clip(diff, -delta, delta) / diff.size
    return value.astype(p.dtype)[()], local


def bce_logits_kernel(p, target):
    """Binary cross-entropy on logits, computed stably: (1 - y) x - log(sigmoid(x))."""
    y = match_target(p.shape, target).astype(p.dtype, copy=False)
    log_sigmoid = np.minimum(p, 0) - np.log1p(np.exp(-np.abs(p)))
    value = np.mean((1 - y) * p - log_sigmoid)
    z = np.exp(-np.abs(p))
    sigmoid = np.where(p >= 0, 1 / (1 + z), z / (1 + z))
    return value, (sigmoid - y) / p.size


def cross_entropy_kernel(p, target):
    """Softmax cross-entropy over the last axis of (n, C) logits.

    ``target`` is either integer class labels of shape (n,) or class probabilities (one-hot)
    of shape (n, C).
    """
    n = p.shape[0]
    shifted = p - np.max(p, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    if np.issubdtype(target.dtype, np.integer):
        onehot = np.zeros_like(p)
        onehot[np.arange(n), target.reshape(n)] = 1
    else:
        onehot = target.astype(p.dtype, copy=False).reshape(p.shape)
    value = -np.sum(onehot * log_probs) / n
    local = (np.exp(log_probs) * np.sum(onehot, axis=1, keepdims=True) - onehot) / n
    return value.astype(p.dtype)[()], local


KERNELS = {
    "mse": mse_kernel,
    "mae": mae_kernel,
    "huber": huber_kernel,
    "bce_logits": bce_logits_kernel,
    "cross_entropy": cross_entropy_kernel,
}
"""Loss kernels by name: ``kernel(pred_array, target) -> (value, dL/dpred)``; the graph's loss
nodes and the fused network path of :mod:`gradstep.engine.model.dense_program` both use them."""


def _node_loss(name):
    kernel = KERNELS[name]

    def loss(pred, target):
        value, local = kernel(pred.data, target)
        return _loss_node(value, pred, name, local, target)
    loss.__name__ = name
    loss.__doc__ = kernel.__doc__
    return loss


mse = _node_loss("mse")
mae = _node_loss("mae")
huber = _node_loss("huber")
bce_logits = _node_loss("bce_logits")
cross_entropy = _node_loss("cross_entropy")


LOSSES = {
    "mse": mse,
    "mae": mae,
    "huber": huber,
    "bce_logits": bce_logits,
    "cross_entropy": cross_entropy,
}
"""Loss functions by the name a scenario file uses."""
