"""Gradient clipping before the optimizer's step, equal to ``torch.nn.utils``'s.

``[training] clip_norm`` scales the whole gradient (every parameter together) so that its
2-norm is at most ``clip_norm``, as ``clip_grad_norm_(params, clip_norm)`` does::

    total = ‖(‖g_1‖, ‖g_2‖, ...)‖;   g ← g · min(clip_norm / (total + 1e-6), 1)

(PyTorch's arithmetic: each parameter's norm, then the norm of the norms; the factor in the
gradient's dtype; the 1e-6 keeps the division finite). ``[training] clip_value`` clamps each
entry to ``[-clip_value, clip_value]``, as ``clip_grad_value_`` does. The optimizer gets the
clipped gradient (weight decay is added to it inside the optimizer's step, as in PyTorch); the
step's record keeps the raw one, its norm (``grad_norm``) and the clipped norm beside it.
"""

from __future__ import annotations

import numpy as np

from gradstep.engine.training.record import segment_norms

__all__ = ["gradient_clipper"]

EPS = 1e-6
"""What ``clip_grad_norm_`` adds to the norm before dividing by it."""


def gradient_clipper(training, layout):
    """``clip(grad) -> (clipped gradient, its 2-norm)`` for the scenario's ``[training]``, or
    None when it clips nothing.

    Args:
        training: The :class:`~gradstep.engine.scenario.TrainingSpec`.
        layout: The session's :class:`~gradstep.engine.training.record.ParamLayout`.
    """
    clip_norm = getattr(training, "clip_norm", None)
    clip_value = getattr(training, "clip_value", None)
    if layout.size == 0 or (clip_norm is None and clip_value is None):
        return None
    starts = layout.offsets[:-1][np.diff(layout.offsets) > 0]

    def total_norm(grad):
        norms = segment_norms(grad, starts)
        return segment_norms(norms, [0])[0]

    if clip_norm is not None:
        def clip(grad):
            coef = clip_norm / (total_norm(grad) + EPS)
            coef = min(coef, grad.dtype.type(1.0))
            clipped = grad * coef
            return clipped, float(total_norm(clipped))
    else:
        def clip(grad):
            clipped = np.clip(grad, -clip_value, clip_value)
            return clipped, float(total_norm(clipped))
    return clip
