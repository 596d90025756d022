"""What a scenario's training keeps in memory, in words the learner can act on.

The scenario reader asks these before it makes anything large (the expression's first
evaluation, the generated data, a network's activations) and raises
:class:`~gradstep.engine.memory.MemoryBudgetError` through :func:`gradstep.engine.memory.check`
when the answer is over the budget; the race asks :func:`session_bytes` for each of its copies.
Each ``*_need`` function returns ``(bytes, what)``: ``what`` names the array and what to shrink.
"""

from __future__ import annotations

import numpy as np

from gradstep.engine.i18n import _
from gradstep.engine.model.expr import parse_expression
from gradstep.engine.model.expr_shapes import expression_footprint
from gradstep.engine.model.nn import activation_bytes

__all__ = ["expression_need", "network_need", "data_need", "session_bytes", "shape_text"]


def shape_text(shape) -> str:
    """``(20000, 20000)`` -> ``20,000 x 20,000``; ``()`` -> ``a single number``."""
    if not shape:
        return _("a single number")
    return " x ".join(f"{int(n):,}" for n in shape)


def expression_need(expression, shapes, itemsize, inputs=()):
    """``(bytes, what)`` of the graph of ``expression`` with names of ``shapes``, or None when it
    makes nothing but single numbers. When its shapes stop broadcasting, the operations before
    that one are counted (evaluating it makes them before saying where it fails).

    Args:
        expression: A parsed :class:`~gradstep.engine.model.expr.Expression`.
        shapes: ``{name: shape}`` of every name it uses.
        itemsize: Bytes per number (8 for float64).
        inputs: The names that are data columns (one value per row).
    """
    footprint = expression_footprint(expression, shapes, itemsize)
    if footprint.column is None:
        return None
    own = [n for n in footprint.names if n not in inputs]
    rows = any(n in inputs for n in footprint.names)
    listed = ", ".join(own)
    if own and rows:
        shrink = _("make {names} smaller or use fewer data rows").format(names=listed)
    elif rows:
        shrink = _("use fewer data rows")
    else:
        shrink = _("make {names} smaller").format(names=listed or "?")
    what = (_("the arrays of the expression and their gradients (the largest is {shape}, at "
              "column {column}): {shrink}")
            .format(shape=shape_text(footprint.largest), column=footprint.column, shrink=shrink))
    return footprint.nbytes, what


def network_need(spec, rows, itemsize):
    """``(bytes, what)`` of a network's activations and gradients over ``rows`` rows."""
    units = spec.inputs + sum(layer.units for layer in spec.layers)
    what = (_("the activations and gradients of {rows} data rows through {units} units (the "
              "inputs and every layer's units): use fewer data rows or fewer units")
            .format(rows=f"{int(rows):,}", units=f"{units:,}"))
    return activation_bytes(spec, rows, itemsize), what


def data_need(rows, columns, itemsize=8):
    """``(bytes, what)`` of a data set of ``rows`` x ``columns`` numbers."""
    what = (_("a data set of {rows} rows x {columns} columns: use fewer rows")
            .format(rows=f"{int(rows):,}", columns=f"{int(columns):,}"))
    return int(rows) * int(columns) * int(itemsize), what


def session_bytes(scenario) -> int:
    """About how many bytes one session of ``scenario`` keeps for its arrays: the model's
    working arrays over the whole data set (the views evaluate it on every row), the data,
    and the parameters with their gradient, optimizer state and update."""
    itemsize = np.dtype(scenario.dtype).itemsize
    data = scenario.data
    rows = 0
    nbytes = 0
    if data is not None:
        rows = len(data.x) + (0 if data.x_val is None else len(data.x_val))
        nbytes += sum(a.nbytes for a in (data.x, data.y, data.x_val, data.y_val) if a is not None)
    if scenario.kind == "network":
        spec = scenario.model
        nbytes += activation_bytes(spec, rows, itemsize)
        fan_in, count = spec.inputs, 0
        for layer in spec.layers:
            count += (fan_in + 1) * layer.units
            fan_in = layer.units
    else:
        model = scenario.model
        inputs = tuple(data.input_names) if data is not None else ()
        shapes = {k: np.shape(v) for k, v in model.params.items()}
        shapes.update({k: np.shape(v) for k, v in model.constants.items()})
        shapes.update({name: (len(data.x),) for name in inputs})
        expression = parse_expression(model.expression, shapes, dtype=scenario.dtype,
                                      define=tuple(model.define.items()))
        need = expression_need(expression, shapes, itemsize, inputs)
        nbytes += need[0] if need else 0
        count = sum(int(np.size(v)) for v in model.params.values())
    # theta, its gradient, the update and up to four state vectors (V, S, V_hat, S_hat)
    return nbytes + 7 * count * itemsize
