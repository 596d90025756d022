"""The graph of the loss at one step, as pure data for the graph view (issue 17).

:func:`loss_graph` rebuilds the graph behind a step's gradient exactly as the chain-rule report
does (``session.graph_at(*session.step_inputs(t))``: the parameters before the t-th update, the
t-th batch), and hands back each node with its value and gradient read off that graph, and its
inputs. An objective or a parametric model is drawn node by node (``a``, ``x1``, ``*``, ``+``,
``tanh``, ...); a network's graph is already one node per layer's operation (``x``, ``layer1.W``,
``layer1.b`` -> ``z1`` -> ``a1`` -> ... -> ``L``). Nothing here computes a quantity of the
model a second way: every ``value`` is a node's ``data``, every ``grad`` its ``grad``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstep.engine.analysis.graph_labels import ACTIVATION_OPS, node_labels
from gradstep.engine.analysis.local_derivatives import LOSS_OPS

__all__ = ["GraphNode", "LossGraph", "loss_graph", "graph_nodes"]

_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "neg": "-x"}


@dataclass(frozen=True)
class GraphNode:
    """One node of the loss's graph.

    Attributes:
        key: Its position in the graph's topological order (the loss is the last).
        op: The operation that made it (``""`` for a leaf).
        title: A short name for a box: a parameter's or constant's name, the operation's symbol,
            a network's ``z1`` / ``a1`` / ``L``.
        label: The sub-expression it computes (``tanh(a*x1 + b)``), as the chain rule names it.
        kind: ``param`` (a parameter), ``const`` (data or a constant) or ``op``.
        param: The parameter's name for a parameter, else None.
        value: The node's value: a float, or a read-only array.
        grad: dL/d(node): a float or a read-only array; None for data and constants.
        inputs: The keys of its operands, in operand order.
    """

    key: int
    op: str
    title: str
    label: str
    kind: str
    param: str | None
    value: object
    grad: object
    inputs: tuple[int, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.value))


@dataclass(frozen=True)
class LossGraph:
    """The nodes of one step's graph, the loss last.

    Attributes:
        nodes: Every node, in topological order (``nodes[k].key == k``).
        step: The step whose gradient the graph computes (None for a graph given directly).
        network: Whether the scenario is a network (one node per layer's operation).
    """

    nodes: tuple[GraphNode, ...]
    step: int | None
    network: bool

    @property
    def loss(self) -> GraphNode:
        return self.nodes[-1]

    def node_of(self, param: str) -> GraphNode | None:
        """The node of parameter ``param`` (None if the loss does not use it)."""
        return next((n for n in self.nodes if n.param == param), None)

    def consumers(self) -> dict[int, list[int]]:
        """Each node's key -> the keys of the nodes it is an operand of."""
        out: dict[int, list[int]] = {n.key: [] for n in self.nodes}
        for node in self.nodes:
            for k in node.inputs:
                if node.key not in out[k]:
                    out[k].append(node.key)
        return out

    def chain_path(self, key: int) -> frozenset[int]:
        """The nodes on the chain rule's paths from the loss down to node ``key``: it and every
        node that depends on it (each of them leads to the loss)."""
        consumers = self.consumers()
        seen, todo = {key}, [key]
        while todo:
            for c in consumers[todo.pop()]:
                if c not in seen:
                    seen.add(c)
                    todo.append(c)
        return frozenset(seen)


def loss_graph(session, step=None) -> LossGraph:
    """The graph behind the gradient of step ``step`` (by default the current record's; step 1's
    at step 0), each node with its value and gradient.

    Args:
        session: A :class:`~gradstep.engine.training.session.Session`; read it under the
            training controller's lock when another thread may step it.
        step: A step from 1 to the furthest step + 1.
    """
    t = max(session.t, 1) if step is None else int(step)
    theta, batch = session.step_inputs(t)
    loss, _ = session.graph_at(theta, batch)
    return graph_nodes(loss, t, network=session.scenario.kind == "network")


def graph_nodes(loss, step=None, network=False) -> LossGraph:
    """:class:`LossGraph` of a graph already back-propagated from ``loss``."""
    labels = node_labels(loss, network)
    order = loss.topological_order()
    keys = {node: k for k, node in enumerate(order)}
    nodes = []
    for k, node in enumerate(order):
        label = labels.get(node, node._op)
        if not node._op:
            kind = "param" if node.requires_grad else "const"
            title = label
        else:
            kind = "op"
            title = _title(node, label, network)
        if node is loss and not title.startswith("L"):
            title = f"L {title}"
        grad = node.grad if node.requires_grad else None
        if grad is None and node.requires_grad:
            grad = np.zeros_like(node.data)
        nodes.append(GraphNode(k, node._op, title, label, kind,
                               node.name if kind == "param" else None,
                               _frozen(node.data), _frozen(grad), tuple(keys[p] for p in node._prev)))
    return LossGraph(tuple(nodes), step, network)


def _title(node, label, network):
    op = node._op
    if network and op == "linear":
        return label  # z1, z2, ...
    if network and op in ACTIVATION_OPS and label.startswith("a"):
        return f"{label} {op}"  # a1 tanh
    if op in LOSS_OPS:
        return f"L {op}"
    if op == "pow":
        return f"**{node._ctx:g}" if len(node._prev) == 1 else "**"
    return _SYMBOLS.get(op, op)


def _frozen(value):
    """A float for a number, else a read-only view."""
    if value is None:
        return None
    if np.ndim(value) == 0:
        return float(value)
    view = np.asarray(value).view()
    view.flags.writeable = False
    return view
