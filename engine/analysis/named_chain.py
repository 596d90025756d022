"""The chain rule grouped by the names of ``[objective] define``: ``dg/da = dg/dh1 · dh1/da``.

A scenario may name intermediate nodes (``h1 = tanh(a*x1 + b)``); the expression parser puts each
name on the node that computes it (``Node.name``). :func:`named_paths` reads a back-propagated
graph as the tutorial writes the chain rule: the loss (``g`` when it is itself a name, else
``L``), then the named nodes, down to one parameter entry. Each step down is one factor, the
derivative of the node above with respect to the node below, the other names held fixed (the
node-by-node local derivatives between the two, multiplied and added up by forward mode:
:func:`~gradstep.engine.analysis.local_derivatives.push_tangent`). ``so_far`` accumulates them from
the loss downwards, back-propagation's order: after the factor d(upper)/d(lower) it holds dL/d(lower)
along this path, and at the parameter the path's share of dL/dp. The sum over paths is dL/dp.

A factor between nodes holding arrays is a Jacobian; it is formed entry by entry, up to
:data:`MAX_ENTRIES` entries of the lower node, else the grouping is left out (the node-by-node
paths still show everything).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstep.engine.analysis.local_derivatives import push_tangent

__all__ = ["NamedFactor", "NamedPath", "named_paths", "MAX_ENTRIES", "MAX_NAMED_PATHS"]

MAX_ENTRIES = 64
"""Most entries of a named node the grouped chain differentiates with respect to."""

MAX_NAMED_PATHS = 32
"""Most grouped paths listed."""


@dataclass(frozen=True)
class NamedFactor:
    """One step down a grouped path: d(upper)/d(lower), the other names held fixed.

    Attributes:
        upper: The name of the node above (``g``, ``L``, ``h1``).
        lower: The name of the node below (``h1``, or the parameter entry ``a``, ``w[2]``).
        definition: What the lower node computes (``tanh(a*x1 + b)``), or None for the parameter.
        value: The lower node's value (a float or a read-only array).
        local: d(upper)/d(lower): a float when both are numbers, else the Jacobian as an array
            of shape upper.shape + lower.shape (lower the parameter entry: upper.shape).
        so_far: dL/d(lower) along this path (the loss's name for L): a float or an array.
    """

    upper: str
    lower: str
    definition: str | None
    value: object
    local: object
    so_far: object


@dataclass(frozen=True)
class NamedPath:
    """One path from the loss down to the parameter entry through named nodes.

    Attributes:
        top: The loss's name (``g``, ``L``).
        factors: One per step down, from the loss to the parameter.
        product: This path's share of dL/dp (the last factor's ``so_far``).
    """

    top: str
    factors: tuple[NamedFactor, ...]
    product: float


def named_paths(loss, param, index, order, reach, labels, local, entry):
    """The grouped paths, or ``((), 0)`` when the graph names no node on the way to ``param``
    (or a named node is too large to group by).

    Args:
        loss: The back-propagated loss node.
        param: The parameter node; ``index`` the entry.
        order: The graph's topological order; ``reach`` the nodes that depend on ``param``.
        labels: Each node as text (:func:`~gradstep.engine.analysis.graph_labels.node_labels`).
        local: ``local(node, k)``, the cached local derivative.
        entry: The parameter entry as text (``a``, ``w[2]``).

    Returns:
        ``(paths, count)``: at most :data:`MAX_NAMED_PATHS` paths and how many there are.
    """
    if loss not in reach:
        return (), 0
    named = {n for n in reach if n._op and n.name and n is not loss}
    if not named:
        return (), 0
    if any(np.size(n.data) > MAX_ENTRIES for n in named) or np.size(loss.data) != 1:
        return (), 0
    position = {node: k for k, node in enumerate(order)}
    below = {}
    for upper in (loss, *named):
        below[upper] = _below(upper, param, named, reach)
    count = _count(loss, param, below)
    top = loss.name or "L"
    routes, stack = [], [(loss, (loss,))]
    while stack and len(routes) < MAX_NAMED_PATHS:
        node, route = stack.pop()
        if node is param:
            routes.append(route)
            continue
        for lower in reversed(below[node]):
            stack.append((lower, route + (lower,)))
    paths = []
    for route in routes:
        factors, so_far = [], np.ones(np.shape(loss.data))
        for upper, lower in zip(route, route[1:]):
            jac = _jacobian(upper, lower, param, index, named, order, position, local)
            so_far = np.tensordot(so_far, jac, axes=np.ndim(upper.data))
            is_param = lower is param
            factors.append(NamedFactor(
                top if upper is loss else upper.name,
                entry if is_param else lower.name,
                None if is_param else labels.get(lower),
                _frozen(lower.data[index] if is_param else lower.data),
                _frozen(jac), _frozen(so_far)))
        paths.append(NamedPath(top, tuple(factors), float(so_far)))
    return tuple(paths), count


def _below(upper, param, named, reach):
    """The named nodes (and the parameter) ``upper`` reaches through unnamed nodes only."""
    found, seen, todo = [], set(), list(upper._prev)
    while todo:
        node = todo.pop(0)
        if node in seen or node not in reach:
            continue
        seen.add(node)
        if node is param or node in named:
            found.append(node)
        else:
            todo.extend(node._prev)
    found.sort(key=lambda n: n._seq, reverse=True)  # the operand computed last first: h1 before a
    return found


def _count(loss, param, below):
    memo = {param: 1}

    def count(node):
        if node not in memo:
            memo[node] = sum(count(lower) for lower in below[node])
        return memo[node]
    return count(loss)


def _jacobian(upper, lower, param, index, named, order, position, local):
    """d(upper)/d(lower), the other named nodes held fixed: shape upper + lower (upper alone
    for the parameter's entry)."""
    if lower is param:
        seed = np.zeros(np.shape(param.data))
        seed[index] = 1
        return _push(upper, lower, seed, named, order, position, local)
    shape = np.shape(lower.data)
    columns = []
    for k in np.ndindex(*shape):
        seed = np.zeros(shape)
        seed[k] = 1
        columns.append(_push(upper, lower, seed, named, order, position, local))
    jac = np.stack([np.asarray(c, dtype=float) for c in columns], axis=-1)
    return jac.reshape(np.shape(upper.data) + shape)


def _push(upper, lower, seed, named, order, position, local):
    """Forward mode from ``lower`` (tangent ``seed``) up to ``upper`` through unnamed nodes."""
    tangents = {lower: seed}
    with np.errstate(all="ignore"):
        for node in order[position[lower] + 1:position[upper] + 1]:
            if node in named and node is not upper:
                continue
            parts = [push_tangent(node, k, local(node, k), tangents[p])
                     for k, p in enumerate(node._prev) if p in tangents]
            if parts:
                total = parts[0]
                for part in parts[1:]:
                    total = total + part
                tangents[node] = total
    return np.asarray(tangents.get(upper, np.zeros(np.shape(upper.data))), dtype=float)


def _frozen(value):
    if np.ndim(value) == 0:
        return float(value)
    view = np.asarray(value).view()
    view.flags.writeable = False
    return view
