"""Reverse-mode automatic differentiation over NumPy arrays: the room every gradient comes from.

A :class:`Node` is micrograd's ``Value`` holding an array (``data``, ``grad``, a ``_backward``
closure, ``_prev`` and ``_op``); :func:`tape` records nodes in creation order so that
``backward`` needs no graph walk. ``node`` holds the node, the tape, the leaves and the
arithmetic that the node's operators call; ``shape_ops`` the operations that reduce or change
shape (``linear``, ``sum``, ``mean``, ``reshape``, ``transpose``); ``functions`` the elementwise
functions and activations. Everything is used from here, as ``ad.tanh``, ``ad.Node``.
Gradient conventions at kinks follow PyTorch's autograd.
"""

from gradstep.engine.autodiff.functions import (
    ACTIVATIONS, KERNELS, abs, clip, cos, elu, exp, identity, leaky_relu, log, log_softmax, maximum,
    minimum, relu, sigmoid, sin, softplus, sqrt, tan, tanh,
)
from gradstep.engine.autodiff.node import (
    Node, add, constant, div, matmul, mul, neg, parameter, power, sub, tape,
)
from gradstep.engine.autodiff.shape_ops import column_sums, linear, mean, reshape, sum, transpose

__all__ = [
    "Node", "tape", "constant", "parameter",
    "add", "sub", "mul", "div", "power", "neg", "matmul", "linear", "column_sums",
    "sum", "mean", "reshape", "transpose",
    "exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid",
    "relu", "leaky_relu", "elu", "softplus", "identity",
    "maximum", "minimum", "clip", "log_softmax",
    "ACTIVATIONS", "KERNELS",
]
