"""The node of the autodiff graph, the tape, the leaves and the arithmetic the node's operators call.

A :class:`Node` is micrograd's ``Value`` holding an array: ``data``, ``grad``, a ``_backward``
closure, its parents ``_prev`` and the name of the operation that made it, ``_op``. The forward
pass builds the graph; :meth:`Node.backward` walks it in reverse topological order and each
closure adds its parents' share of the gradient (``+=`` semantics, never in place, so gradient
arrays may be shared safely). A broadcast in the forward pass is summed back to the operand's
shape in the backward pass.

Closures capture their parents and the arrays they need, never the node they belong to, so the
graph holds no reference cycles and is freed as soon as the last reference to the loss goes.

Gradient conventions at kinks follow PyTorch's autograd (``relu'(0) = 0``, ``abs'(0) = 0``,
``maximum`` splits a tie in half, ``clip`` passes the gradient at the bounds), so that every
number equals PyTorch's.
"""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from operator import attrgetter

import numpy as np

__all__ = [
    "Node", "tape", "constant", "parameter",
    "add", "sub", "mul", "div", "power", "neg", "matmul",
]


_counter = itertools.count()
_by_seq = attrgetter("_seq")
_recording = threading.local()
_recording.tape = None


@contextmanager
def tape():
    """Record, in creation order, every node this thread makes inside the block.

    A node is always made after its parents, so the tape is a topological order and
    ``loss.backward(order=tape)`` needs no graph walk: the training loop's hot path.
    """
    previous = getattr(_recording, "tape", None)
    nodes = []
    _recording.tape = nodes
    try:
        yield nodes
    finally:
        _recording.tape = previous


class Node:
    """One value in the computation graph.

    Attributes:
        data: The value, a NumPy array (a NumPy scalar for 0-d values).
        grad: d(root)/d(this node) after :meth:`backward` on a root, same shape as ``data``;
            ``None`` before, or when no gradient flows here.
        requires_grad: Whether gradients are computed for this node. Data and constants do not
            need them; parameters and everything computed from a parameter do.
        name: A label for display (parameter names such as ``layer1.W`` or ``a``).
        _backward: ``f(grad_of_this_node)`` adding to each parent's ``grad``; ``None`` for leaves.
        _prev: The parent nodes, in operand order.
        _op: The operation's name (``"mul"``, ``"tanh"``, ...); ``""`` for leaves.
        _ctx: What the operation needs to state its local derivative beyond the parents' data
            (an exponent, an axis, a slope); read by the chain-rule view.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_backward", "_prev", "_op", "_ctx",
                 "_seq", "__weakref__")

    def __init__(self, data, prev=(), op="", requires_grad=False, name=None, ctx=None):
        # Nodes are numbered as they are made: a node is always made after its parents, so
        # sorting by this number is a topological order (cheaper than a depth-first walk).
        self._seq = next(_counter)
        self.data = data
        self.grad = None
        self.requires_grad = requires_grad
        self.name = name
        self._backward = None
        self._prev = prev
        self._op = op
        self._ctx = ctx
        recording = getattr(_recording, "tape", None)
        if recording is not None:
            recording.append(self)

    # -- introspection ---------------------------------------------------------------------
    @property
    def shape(self):
        return np.shape(self.data)

    @property
    def dtype(self):
        return self.data.dtype

    def __repr__(self):
        label = self.name or self._op or "const"
        return f"Node({label}, shape={self.shape})"

    # -- graph -----------------------------------------------------------------------------
    def topological_order(self, only_grad=False):
        """Every node this one depends on, itself last, parents before children.

        Args:
            only_grad: Keep only the nodes that take part in back-propagation.
        """
        seen = {self}
        stack = [self]
        while stack:
            for parent in stack.pop()._prev:
                if parent not in seen and (parent.requires_grad or not only_grad):
                    seen.add(parent)
                    stack.append(parent)
        return sorted(seen, key=_by_seq)

    def backward(self, grad=None, order=None):
        """Fill ``grad`` of every node this one depends on with d(self)/d(node).

        Gradients left by an earlier backward pass are cleared first, so calling this on a
        fresh forward pass never accumulates stale values.

        Args:
            grad: The seed gradient, ones (of ``data``'s shape) by default.
            order: Nodes in a topological order covering the graph (a :func:`tape`), so the
                graph need not be walked; nodes outside this one's graph are harmless.
        """
        if order is None:
            order = self.topological_order(only_grad=True)
        for node in order:
            node.grad = None
        if grad is None:
            data = self.data
            grad = data.dtype.type(1) if data.ndim == 0 else np.ones_like(data)
        self.grad = grad
        for node in reversed(order):
            if node._backward is not None and node.grad is not None:
                node._backward(node.grad)

    # -- operators -------------------------------------------------------------------------
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __pow__(self, other):
        return power(self, other)

    def __rpow__(self, other):
        return power(other, self)

    def __neg__(self):
        return neg(self)

    def __matmul__(self, other):
        return matmul(self, other)


# -- leaves --------------------------------------------------------------------------------
def constant(value, dtype=np.float64, name=None):
    """A leaf that needs no gradient (data, targets, literal numbers)."""
    return Node(_as_data(value, dtype), name=name)


def parameter(value, dtype=np.float64, name=None):
    """A leaf whose gradient is wanted. ``value`` may be a view into a larger buffer."""
    data = value if isinstance(value, np.ndarray) and value.dtype == dtype else _as_data(value, dtype)
    return Node(data, requires_grad=True, name=name)


def _as_data(value, dtype):
    arr = np.asarray(value, dtype=dtype)
    return arr[()] if arr.ndim == 0 else arr


def _lift(x, like):
    """Wrap a plain number or array as a constant node of ``like``'s dtype."""
    if isinstance(x, Node):
        return x
    if isinstance(x, (int, float)):
        return Node(like.data.dtype.type(x) if like.data.ndim == 0 else np.asarray(x, like.data.dtype)[()])
    return Node(_as_data(x, like.data.dtype))


def _acc(node, g):
    node.grad = g if node.grad is None else node.grad + g


def _unbroadcast(g, shape):
    """Sum ``g`` back down to ``shape``, undoing NumPy broadcasting."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def _make(data, parents, op, ctx=None):
    if len(parents) == 2:
        needs = parents[0].requires_grad or parents[1].requires_grad
    else:
        needs = any(p.requires_grad for p in parents)
    return Node(data, parents, op, needs, ctx=ctx)


# -- arithmetic ----------------------------------------------------------------------------
def add(a, b):
    """a + b (broadcasting)."""
    if not isinstance(a, Node):
        a = _lift(a, b)
    b = _lift(b, a)
    out = _make(a.data + b.data, (a, b), "add")
    if out.requires_grad:
        sa, sb = a.data.shape, b.data.shape

        def _backward(g):
            if a.requires_grad:
                _acc(a, _unbroadcast(g, sa))
            if b.requires_grad:
                _acc(b, _unbroadcast(g, sb))
        out._backward = _backward
    return out


def sub(a, b):
    """a - b (broadcasting)."""
    if not isinstance(a, Node):
        a = _lift(a, b)
    b = _lift(b, a)
    out = _make(a.data - b.data, (a, b), "sub")
    if out.requires_grad:
        sa, sb = a.data.shape, b.data.shape

        def _backward(g):
            if a.requires_grad:
                _acc(a, _unbroadcast(g, sa))
            if b.requires_grad:
                _acc(b, _unbroadcast(-g, sb))
        out._backward = _backward
    return out


def mul(a, b):
    """a * b (broadcasting)."""
    if not isinstance(a, Node):
        a = _lift(a, b)
    b = _lift(b, a)
    ad, bd = a.data, b.data
    out = _make(ad * bd, (a, b), "mul")
    if out.requires_grad:
        def _backward(g):
            if a.requires_grad:
                _acc(a, _unbroadcast(g * bd, np.shape(ad)))
            if b.requires_grad:
                _acc(b, _unbroadcast(g * ad, np.shape(bd)))
        out._backward = _backward
    return out


def div(a, b):
    """a / b (broadcasting)."""
    if not isinstance(a, Node):
        a = _lift(a, b)
    b = _lift(b, a)
    ad, bd = a.data, b.data
    out = _make(ad / bd, (a, b), "div")
    if out.requires_grad:
        def _backward(g):
            if a.requires_grad:
                _acc(a, _unbroadcast(g / bd, np.shape(ad)))
            if b.requires_grad:
                # PyTorch's div_backward: -grad * self / (other * other)
                _acc(b, _unbroadcast(-g * ad / (bd * bd), np.shape(bd)))
        out._backward = _backward
    return out


def power(a, b):
    """a ** b. ``b`` may be a plain number (the common case) or a node."""
    if not isinstance(a, Node):
        a = _lift(a, b)
    if not isinstance(b, Node):
        return _power_scalar(a, float(b))
    ad, bd = a.data, b.data
    out = _make(ad ** bd, (a, b), "pow")
    if out.requires_grad:
        od = out.data

        def _backward(g):
            if a.requires_grad:
                ga = np.where(bd == 0, 0.0, g * bd * ad ** (bd - 1)).astype(ad.dtype)
                _acc(a, _unbroadcast(ga, np.shape(ad)))
            if b.requires_grad:
                # PyTorch: where(self == 0 & exponent >= 0, 0, grad * result * log(self))
                with np.errstate(divide="ignore", invalid="ignore"):
                    gb = g * od * np.log(ad)
                gb = np.where((ad == 0) & (bd >= 0), 0.0, gb).astype(bd.dtype)
                _acc(b, _unbroadcast(gb, np.shape(bd)))
        out._backward = _backward
    return out


def _power_scalar(a, k):
    ad = a.data
    if k == 2.0:
        od = ad * ad
    else:
        od = ad ** ad.dtype.type(k)
    out = _make(od, (a,), "pow", ctx=k)
    if out.requires_grad:
        def _backward(g):
            if k == 0.0:
                return _acc(a, g * 0)
            if k == 2.0:
                return _acc(a, g * 2.0 * ad)
            _acc(a, g * k * ad ** ad.dtype.type(k - 1.0))
        out._backward = _backward
    return out


def neg(a):
    """-a."""
    out = _make(-a.data, (a,), "neg")
    if out.requires_grad:
        out._backward = lambda g: _acc(a, -g)
    return out


def matmul(a, b):
    """a @ b for 1-D and 2-D operands."""
    if not isinstance(a, Node):
        a = _lift(a, b)
    b = _lift(b, a)
    ad, bd = a.data, b.data
    out = _make(ad @ bd, (a, b), "matmul")
    if out.requires_grad:
        def _backward(g):
            a2 = ad if ad.ndim == 2 else ad[None, :]
            b2 = bd if bd.ndim == 2 else bd[:, None]
            g2 = np.reshape(g, (a2.shape[0], b2.shape[1]))
            if a.requires_grad:
                _acc(a, (g2 @ b2.T).reshape(ad.shape))
            if b.requires_grad:
                _acc(b, (a2.T @ g2).reshape(bd.shape))
        out._backward = _backward
    return out
