"""L1 and L2 terms of the loss (``[loss] l1``, ``l2``), over every parameter.

What is minimised is the data loss plus two terms, as PyTorch code adds them by hand::

    loss = data_loss + l1 · Σ|θ| + l2 · Σθ²

(``l1 * sum(p.abs().sum() for p in model.parameters()) + l2 * sum(p.pow(2).sum() ...)``): every
parameter, weights and biases alike. Their gradients are ``l1 · sign(θ)`` (0 at 0, as
PyTorch's) and ``2 l2 θ``. This is not weight decay: weight decay is the optimizer's
(``[optimizer] weight_decay`` adds ``λθ`` to the gradient, or shrinks θ for AdamW) and never
shows in the loss; these terms are part of the loss, so they are in the loss on the chart, in the
gradient the record shows, and in the graph the chain-rule view walks. For SGD, ``l2 = λ/2``
gives the same steps as ``weight_decay = λ``.
"""

from __future__ import annotations

import numpy as np

from gradstep.engine import autodiff as ad

__all__ = ["Penalty", "penalty"]


class Penalty:
    """The L1 and L2 terms of one scenario.

    Args:
        l1: The L1 term's coefficient (0: none).
        l2: The L2 term's coefficient (0: none).
    """

    def __init__(self, l1, l2):
        self.l1, self.l2 = float(l1), float(l2)

    def terms(self, theta):
        """``(l1 · Σ|θ|, l2 · Σθ²)`` at flat parameters ``theta``, as floats."""
        t1 = self.l1 * float(np.add.reduce(np.abs(theta))) if self.l1 else 0.0
        t2 = self.l2 * float(np.add.reduce(theta * theta)) if self.l2 else 0.0
        return t1, t2

    def add(self, theta, loss, grad):
        """``(loss + terms, grad + their gradient)`` for the data loss and flat gradient at
        ``theta``."""
        t1, t2 = self.terms(theta)
        if self.l1:
            grad = grad + self.l1 * np.sign(theta)
        if self.l2:
            grad = grad + (2 * self.l2) * theta
        return loss + t1 + t2, grad

    def value(self, theta, loss):
        """The data loss ``loss`` plus the terms at ``theta``."""
        t1, t2 = self.terms(theta)
        return loss + t1 + t2

    def graph(self, loss, nodes, scalars):
        """The loss node ``loss`` plus the terms, over the parameter ``nodes``, as graph nodes
        (the chain-rule view shows their paths). With ``scalars`` (every parameter a scalar,
        whose node may hold a grid of points) each node's term is taken entry by entry."""
        def total(node, square):
            term = node * node if square else ad.abs(node)
            return term if scalars else ad.sum(term)

        for coefficient, square in ((self.l1, False), (self.l2, True)):
            if coefficient:
                terms = [total(node, square) for node in nodes]
                summed = terms[0]
                for term in terms[1:]:
                    summed = summed + term
                loss = loss + coefficient * summed
        return loss


def penalty(l1, l2):
    """The :class:`Penalty` for ``[loss] l1`` and ``l2``, or None when both are 0."""
    return Penalty(l1, l2) if (l1 or l2) else None
