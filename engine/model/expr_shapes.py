"""The shapes an expression makes, found from its parsed program before anything is computed.

``P * Q`` with ``P`` of shape (1, N) and ``Q`` of shape (N, 1) broadcasts to N x N: a file of a
few bytes can ask for gigabytes. :func:`expression_footprint` follows the program of a parsed
:class:`~gradstep.engine.model.expr.Expression` with shapes only (``numpy.broadcast_shapes``
allocates nothing) and adds up what building and back-propagating its graph keeps: every
operation's result and its gradient, each of the operation's broadcast shape. The scenario
reader compares that with the memory budget (:mod:`gradstep.engine.memory`) before the
expression is evaluated for the first time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstep.engine import autodiff as ad
from gradstep.engine.memory import array_bytes
from gradstep.engine.model.expr import _CALL1, _CALL2

__all__ = ["Footprint", "expression_footprint"]

_REDUCE = (ad.sum, ad.mean)

# Each operation's result and its gradient live as long as the graph does.
_COPIES = 2


@dataclass(frozen=True)
class Footprint:
    """What an expression's graph holds.

    Attributes:
        nbytes: Bytes of every operation's result and gradient, at the given item size.
        largest: The shape of the largest result.
        column: The 1-based column of the operation that makes it.
        names: The non-scalar names it is made from, in order of first use (what to shrink).
        complete: False when the shapes stop broadcasting at some operation: the footprint is
            then that of the operations before it.
    """

    nbytes: int
    largest: tuple
    column: int | None
    names: tuple
    complete: bool = True


def expression_footprint(expression, shapes, itemsize=8):
    """The :class:`Footprint` of ``expression`` with each name of the shape in ``shapes``.

    When two shapes do not broadcast, the footprint counts the operations before that one (which
    evaluating the expression makes before it reports the failure, at its column) and
    :attr:`Footprint.complete` is False.
    """
    regs = [((), ()) for _leaf in expression._leaves]            # (shape, names it comes from)
    for name in expression._names:
        shape = tuple(int(n) for n in shapes[name])
        regs.append((shape, (name,) if shape else ()))
    total, largest, column, names = 0, (), None, ()
    for (code, fn, a, b), col in zip(expression._program, expression._cols):
        shape, origin = regs[a]
        if code == _CALL2:
            other, origin_b = regs[b]
            try:
                shape = tuple(np.broadcast_shapes(shape, other))
            except ValueError:
                return Footprint(total, largest, column, names, complete=False)
            origin = origin + tuple(n for n in origin_b if n not in origin)
        elif code == _CALL1 and fn in _REDUCE:
            shape = ()
        regs.append((shape, origin))
        nbytes = array_bytes(shape, itemsize)
        total += _COPIES * nbytes
        if column is None or nbytes > array_bytes(largest, itemsize):
            largest, column, names = shape, col, origin
    return Footprint(total, largest, column, names, complete=True)
