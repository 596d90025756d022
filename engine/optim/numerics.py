"""Arithmetic several optimizers share, written in the order PyTorch's kernels compute it.

Hyperparameters stay Python floats so that NumPy, like PyTorch, rounds them to the array's
dtype (float32 arithmetic stays float32). Every function returns a new array and never writes
into its inputs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["add_l2", "lerp", "ema_square"]


def add_l2(grad: np.ndarray, theta: np.ndarray, weight_decay: float) -> np.ndarray:
    """``g + weight_decay θ``, PyTorch's L2 weight decay (``grad.add(param, alpha=wd)``).

    Returns ``grad`` itself when ``weight_decay`` is 0 (the caller never writes into it).
    """
    return grad + weight_decay * theta if weight_decay != 0 else grad


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
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


def ema_square(S: np.ndarray, grad: np.ndarray, rho: float) -> np.ndarray:
    """``rho S + (1 - rho) g^2`` in ``S.mul_(rho).addcmul_(g, g, value=1 - rho)``'s order."""
    sq = grad * (1 - rho)
    sq *= grad
    out = S * rho
    out += sq
    return out
