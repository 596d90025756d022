"""Naming where a number first went wrong: the operation, and the parameter or layer near it.

When a step's loss, gradient or optimizer state becomes NaN or infinite, the session asks this
module for a sentence a learner can act on, e.g. ``log of a negative value in log(b)`` or
``overflow in exp in layer2``. It reads the autodiff graph the step built: the first node, in
the order the forward pass made them, whose value is not finite although its inputs are.
"""

from __future__ import annotations

import math

import numpy as np

from gradstep.engine.i18n import _

__all__ = ["step_failure", "validation_failure", "explain_forward", "explain_backward", "explain_state", "describe"]

_FUNCTIONS = {"exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
              "leaky_relu", "elu", "softplus", "sum", "mean", "log_softmax", "clip"}
_LOSSES = {"mse", "mae", "huber", "bce_logits", "cross_entropy"}
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@"}


def _finite(x):
    with np.errstate(all="ignore"):
        return bool(np.isfinite(np.sum(x))) if np.size(x) else True


def describe(node, depth=3):
    """A short text for the subexpression ``node`` computes, e.g. ``log(b)`` or
    ``10 * (b + 2)**2``: parentheses only where an operand is itself an operation."""
    return _describe(node, depth)[0]


def _describe(node, depth):
    """``(text, compound)``: compound when the text must be parenthesised as an operand."""
    if node.name and not node._op:
        return node.name, False
    if node._op == "":
        value = node.data
        return (f"{float(value):g}" if np.ndim(value) == 0 else f"array{list(np.shape(value))}"), False
    if depth == 0:
        return "…", False
    args = [_describe(p, depth - 1) for p in node._prev]
    operands = [f"({text})" if compound else text for text, compound in args]
    if node._op == "pow" and len(args) == 1:
        return f"{operands[0]}**{node._ctx:g}", False  # ** binds tighter than any infix
    if node._op in _INFIX and len(args) == 2:
        return f"{operands[0]} {_INFIX[node._op]} {operands[1]}", True
    if node._op == "neg":
        return f"-{operands[0]}", True
    if node._op == "linear":
        return "x @ W + b", True
    return f"{node._op}({', '.join(text for text, _compound in args)})", False


def _layer_of(node, order):
    """``layerK`` for a network node: the count of dense (linear) nodes made up to it."""
    count = 0
    for n in order:
        if n._op == "linear":
            count += 1
        if n is node:
            return f"layer{count}" if count else None
    return None


def _what(node):
    op = node._op
    parents = [p.data for p in node._prev]
    with np.errstate(all="ignore"):
        if op == "log":
            x = parents[0]
            if np.any(x == 0) and not np.any(x < 0):
                return _("log of zero")
            return _("log of a negative value")
        if op == "sqrt":
            return _("square root of a negative value")
        if op == "div":
            return _("division by zero") if np.any(parents[1] == 0) else _("overflow in division")
        if op == "pow":
            base = parents[0]
            if np.any(base < 0) and (len(parents) == 1 and float(node._ctx) != round(float(node._ctx))):
                return _("a negative number to a fractional power")
            if np.any(base == 0):
                return _("zero to a negative power")
            return _("overflow in a power")
        if op in _LOSSES:
            return _("overflow in the {loss} loss").format(loss=op)
        if op in ("tan",):
            return _("tan of a value near an odd multiple of pi/2")
        return _("overflow in {op}").format(op=op)


def explain_forward(loss_node, network=False):
    """Why the forward pass gave a non-finite value, or None if every value is finite."""
    order = loss_node.topological_order()
    for node in order:
        if node._prev and not _finite(node.data) and all(_finite(p.data) for p in node._prev):
            if node._op in _LOSSES:
                return _what(node)
            where = _layer_of(node, order) if network else describe(node)
            if not where:
                return _what(node)
            return _("{problem} in {where}").format(problem=_what(node), where=where)
    bad_inputs = [n for n in order if not n._prev and not _finite(n.data)]
    if bad_inputs:
        return _("{name} is not finite").format(name=describe(bad_inputs[0]))
    return None


def explain_backward(loss_node, param_nodes):
    """Which parameters' gradients are not finite, and the operation where that started."""
    bad = [n.name for n in param_nodes if n.grad is not None and not _finite(n.grad)]
    if not bad:
        return None
    order = loss_node.topological_order(only_grad=True)
    source = None
    for node in reversed(order):  # back-propagation order: the first node whose gradient went bad
        if node.grad is not None and not _finite(node.grad):
            source = node
            break
    names = ", ".join(bad)
    if source is not None and source._op:
        return (_("the gradient of {names} became infinite or NaN (overflow in back-propagation "
                  "through {op})").format(names=names, op=source._op))
    return _("the gradient of {names} became infinite or NaN").format(names=names)


def explain_state(kind, layout, theta, state):
    """Which parameter's value or optimizer state stopped being finite after the update."""
    for label, flat in (("value", theta), *((k, v) for k, v in state.items() if isinstance(v, np.ndarray))):
        if not _finite(flat):
            with np.errstate(all="ignore"):
                bad = ~np.isfinite(flat)
            index = int(np.argmax(bad))
            k = int(np.searchsorted(layout.offsets, index, side="right") - 1)
            name = layout.names[k]
            if label == "value":
                return _("the update made {name} infinite or NaN").format(name=name)
            return (_("the {optimizer} state {state} of {name} overflowed")
                    .format(optimizer=kind, state=label, name=name))
    return None


def step_failure(graph, network, loss, theta, batch, grad, update):
    """Why a step went wrong, in a phrase: in the forward pass (``loss`` not finite), in
    back-propagation (``grad``) or in the update (``update``: the optimizer's kind, the layout,
    the new θ and state). ``graph`` builds the step's graph again to be read: the fast gradient
    sources have none."""
    if not math.isfinite(loss):
        loss_node, _nodes = graph.graph_at(theta, batch)
        return explain_forward(loss_node, network) or _("the loss became {loss}").format(loss=loss)
    if not math.isfinite(np.add.reduce(grad)):
        loss_node, nodes = graph.graph_at(theta, batch)
        return explain_backward(loss_node, nodes) or _("a gradient became infinite or NaN")
    return explain_state(*update) or _("the update overflowed")


def validation_failure(graph, network, theta, val):
    """Why the validation loss at ``theta`` is not finite (the training loss is), in a phrase."""
    loss_node, _nodes = graph.graph_at(theta, val, backward=False)
    return explain_forward(loss_node, network) or _("it became {loss}").format(loss=float(loss_node.data))
