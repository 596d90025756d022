"""The chain rule for one parameter entry, read off the graph the engine records.

:func:`chain_report` rebuilds the graph behind a step's gradient (the parameters before the
update, the step's batch), back-propagates it, and walks it from the loss down to one scalar
entry ``p`` of one parameter:

- **Paths.** Every path from the loss to ``p`` is a list of factors, one per edge: the node, its
  operand, the local derivative of the node with respect to that operand
  (:func:`~gradstep.engine.analysis.local_derivatives.local_derivative`) and their numbers. The chain rule says
  dL/dp is the sum over paths of the product of the local derivatives along each path.

  On a graph of scalars the product along a path is a product of numbers. When nodes hold
  arrays (a 3x5 tensor, a fit over n data points, a network) some local derivatives are
  Jacobians, so each path is evaluated in forward mode instead: start from the one-hot tangent
  dp/dp, and push it up the path edge by edge (:func:`~gradstep.engine.analysis.local_derivatives.push_tangent`),
  so that after each factor it holds d(node)/dp *along this path* (``Factor.carried``). At the
  loss it is the path's product, a number. While the tangent stays on one entry (elementwise
  ops of unchanged shape, a reduction to a number, reshape, transpose) each factor also has
  one number, ``local_at_entry``, and their plain product is the path's product.

- **Layers** (networks only). For each layer k, from the last to the first: the error
  ``delta_k = dL/dz_k`` of the layer's ``linear`` node, which is that node's ``grad`` after
  back-propagation; how it is handed down, ``dL/da_{k-1} = delta_k @ W_k.T`` (the ``grad`` of the
  layer below's activation) and ``delta_{k-1} = dL/da_{k-1} * act'(z_{k-1})``; and
  ``dL/dW_k = a_{k-1}.T @ delta_k``, ``dL/db_k = sum over the batch of delta_k`` (the parameter
  nodes' ``grad``). For an entry ``W_k[i, j]`` the report writes out the sum over the batch
  ``sum_n a_{k-1}[n, i] * delta_k[n, j]``.

Every number is read from the graph (``data``, ``grad``) or is a local derivative of one of its
nodes; nothing is re-derived from the scenario's formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstep.engine.analysis.graph_labels import ACTIVATION_OPS, node_labels
from gradstep.engine.analysis.local_derivatives import LOSS_OPS, Local, local_derivative, push_tangent
from gradstep.engine.analysis.named_chain import NamedPath, named_paths

__all__ = ["Factor", "ChainPath", "LayerChain", "EntrySum", "ChainReport", "chain_report", "graph_chain",
           "MAX_PATHS"]

MAX_PATHS = 32
"""Most paths listed one by one; the total always covers them all."""


@dataclass(frozen=True)
class Factor:
    """One edge of a path: the derivative of a node with respect to one operand.

    Attributes:
        op: The node's operation (``tanh``, ``mul``, ``mse``, ...).
        symbol: What is differentiated, ``u`` (``v``) standing for the first (second) operand.
        formula: The local derivative as a formula.
        node: The node as text (``tanh(a*x1 + b)``; ``z2``, ``a1``, ``L`` in networks).
        operand: The operand as text.
        value: The node's value (a float, or a read-only array).
        operand_value: The operand's value.
        local: The local derivative's numbers (see :class:`~gradstep.engine.analysis.local_derivatives.Local`).
        kind: ``elementwise``, ``reduce`` or ``map``.
        carried: d(node)/dp along this path so far (forward mode), shaped like the node.
        entry: Index of the operand's entry that p reaches (None once p is spread over many).
        local_at_entry: The local derivative at ``entry`` as one number, or None.
    """

    op: str
    symbol: str
    formula: str
    node: str
    operand: str
    value: object
    operand_value: object
    local: object
    kind: str
    carried: object
    entry: tuple | None
    local_at_entry: float | None


@dataclass(frozen=True)
class ChainPath:
    """One path from the loss down to the parameter entry.

    Attributes:
        factors: The edges, from the loss down to the parameter.
        product: dL/dp along this path.
    """

    factors: tuple[Factor, ...]
    product: float

    @property
    def local_product(self):
        """The product of every factor's ``local_at_entry`` (equal to ``product``), or None
        when some factor's derivative is not one number."""
        values = [f.local_at_entry for f in self.factors]
        if any(v is None for v in values):
            return None
        return float(np.prod(values))


@dataclass(frozen=True)
class LayerChain:
    """Back-propagation through one dense layer ``a_k = act(z_k)``, ``z_k = a_{k-1} @ W_k + b_k``.

    Attributes:
        layer: k (1-based).
        activation: The activation's name (``identity`` when there is none).
        a_prev: a_{k-1}, the layer's input, (batch, inputs); the data batch for k = 1.
        z: z_k, (batch, units).
        a: a_k = act(z_k).
        W: W_k.
        dL_da: dL/da_k as the graph holds it: dL/dŷ for the last layer, else
            ``delta_{k+1} @ W_{k+1}.T``.
        act_prime: act'(z_k), the activation's local derivative (ones for identity).
        delta: dL/dz_k = dL_da * act_prime: the ``grad`` of the layer's ``linear`` node.
        dW: dL/dW_k = a_prev.T @ delta.
        db: dL/db_k = delta summed over the batch.
    """

    layer: int
    activation: str
    a_prev: np.ndarray
    z: np.ndarray
    a: np.ndarray
    W: np.ndarray
    dL_da: np.ndarray
    act_prime: np.ndarray
    delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray


@dataclass(frozen=True)
class EntrySum:
    """dL/dW_k[i, j] = sum_n a_{k-1}[n, i] * delta_k[n, j] (or dL/db_k[j] = sum_n delta_k[n, j]).

    Attributes:
        layer: k.
        inputs: a_{k-1}[:, i] for a weight, None for a bias.
        deltas: delta_k[:, j].
        terms: The summands, one per example of the batch.
        total: Their sum.
    """

    layer: int
    inputs: np.ndarray | None
    deltas: np.ndarray
    terms: np.ndarray
    total: float


@dataclass(frozen=True)
class ChainReport:
    """The chain rule for dL/dp, p one scalar entry of one parameter.

    Attributes:
        name: The parameter.
        index: The entry (``()`` for a scalar).
        step: The step whose gradient this is (None for a graph given directly).
        loss: The loss on that step's batch.
        gradient: The engine's dL/dp (the parameter node's ``grad``; equals ``record.grads``).
        total: The sum over every path (forward mode over the whole graph).
        paths: The paths, at most :data:`MAX_PATHS` of them.
        path_count: How many paths there are in all.
        output: The loss's local derivative dL/dŷ, or None for an objective.
        layers: Networks: one :class:`LayerChain` per layer, last layer first; else empty.
        entry: Networks: the batch sum for the chosen entry; else None.
        named: The paths grouped by the scenario's named nodes (``define``), loss first
            (:mod:`~gradstep.engine.analysis.named_chain`); empty when no node is named.
        named_count: How many grouped paths there are in all.
    """

    name: str
    index: tuple
    step: int | None
    loss: float
    gradient: float
    total: float
    paths: tuple[ChainPath, ...]
    path_count: int
    output: Local | None
    layers: tuple[LayerChain, ...]
    entry: EntrySum | None
    named: tuple[NamedPath, ...] = ()
    named_count: int = 0


def chain_report(session, name, index=(), step=None):
    """The chain rule for the gradient of parameter entry ``name[index]`` at step ``step``.

    Args:
        session: A :class:`~gradstep.engine.training.session.Session`.
        name: Parameter name (``a``, ``layer2.W``).
        index: The entry (``()`` or omitted for a scalar; an int for a vector).
        step: Whose gradient: by default the current record's (step 1's at step 0).

    Raises:
        KeyError: For an unknown parameter name.
        IndexError: For an entry outside the parameter.
    """
    if name not in session.layout.index:
        raise KeyError(f"no parameter named {name!r} (parameters: {', '.join(session.layout.names)})")
    t = max(session.t, 1) if step is None else int(step)
    theta, batch = session.step_inputs(t)
    loss, nodes = session.graph_at(theta, batch)
    param = nodes[session.layout.index[name]]
    return graph_chain(loss, param, index, step=t, network=session.scenario.kind == "network")


def graph_chain(loss, param, index=(), step=None, network=False):
    """The chain rule for d(loss)/d(param[index]) on a graph already back-propagated from
    ``loss``."""
    index = _entry_index(np.shape(param.data), index)
    labels = node_labels(loss, network)
    order = loss.topological_order(only_grad=True)
    reach = _reaching(order, param)
    locals_ = {}

    def local(node, k):
        key = (node, k)
        if key not in locals_:
            locals_[key] = local_derivative(node, k)
        return locals_[key]

    seed = np.zeros(np.shape(param.data), dtype=param.data.dtype)
    seed[index] = 1
    with np.errstate(all="ignore"):
        tangents = {param: seed}
        for node in order:
            if node in reach and node is not param:
                parts = [push_tangent(node, k, local(node, k), tangents[p])
                         for k, p in enumerate(node._prev) if p in reach]
                tangent = parts[0]
                for part in parts[1:]:
                    tangent = tangent + part
                tangents[node] = tangent
        total = float(tangents[loss]) if loss in reach else 0.0
        count, routes = _paths(loss, param, reach, order)
        paths = tuple(_path(route, param, seed, index, labels, local) for route in routes)
    grad = param.grad
    gradient = 0.0 if grad is None else float(np.asarray(grad)[index])
    output = local(loss, 0) if loss._op in LOSS_OPS else None
    layers, entry, named = (), None, ((), 0)
    if network:
        layers, entry = _network(loss, param, index)
    else:
        shown = (param.name or "p") + (f"[{', '.join(map(str, index))}]" if index else "")
        named = named_paths(loss, param, index, order, reach, labels, local, shown)
    return ChainReport(param.name or "p", index, step, float(loss.data), gradient, total, paths, count,
                       output, layers, entry, *named)


# -- paths ---------------------------------------------------------------------------------
def _reaching(order, param):
    """The nodes that depend on ``param`` (itself included)."""
    reach = {param}
    for node in order:
        if node is not param and any(p in reach for p in node._prev):
            reach.add(node)
    return reach


def _paths(loss, param, reach, order):
    """How many paths lead from ``loss`` to ``param``, and the first :data:`MAX_PATHS` of them,
    each a list of ``(node, operand index)`` edges from the loss down."""
    if loss not in reach:
        return 0, []
    count = {param: 1}
    for node in order:
        if node in reach and node is not param:
            count[node] = sum(count[p] for p in node._prev if p in reach)
    routes = []
    stack = [(loss, ())]
    while stack and len(routes) < MAX_PATHS:
        node, edges = stack.pop()
        if node is param:
            routes.append(edges)
            continue
        for k in reversed(range(len(node._prev))):  # first operand's paths first
            if node._prev[k] in reach:
                stack.append((node._prev[k], edges + ((node, k),)))
    return count[loss], routes


def _path(route, param, seed, index, labels, local):
    """Evaluate one path in forward mode, from the parameter up to the loss."""
    tangent, entry = seed, index
    factors = []
    for node, k in reversed(route):
        operand = node._prev[k]
        loc = local(node, k)
        tangent = push_tangent(node, k, loc, tangent)
        at = _local_at(loc, node, operand, entry)
        factors.append(Factor(node._op, loc.symbol, loc.formula, labels.get(node, node._op),
                              labels.get(operand, "p"), _frozen(node.data), _frozen(operand.data),
                              _frozen(loc.value), loc.kind, _frozen(tangent), entry, at))
        entry = _follow(node, operand, entry)
    factors.reverse()
    return ChainPath(tuple(factors), float(tangent))


def _local_at(loc, node, operand, entry):
    if entry is None:
        return None
    if loc.kind == "elementwise":
        if np.shape(node.data) != np.shape(operand.data):
            return None
        return float(np.broadcast_to(loc.value, np.shape(node.data))[entry])
    if loc.kind == "reduce":
        return float(np.broadcast_to(loc.value, np.shape(operand.data))[entry])
    if node._op in ("reshape", "transpose"):
        return 1.0
    return None


def _follow(node, operand, entry):
    """Where the entry ``entry`` of ``operand`` lands in ``node``, or None if it spreads."""
    if entry is None:
        return None
    shape, pshape = np.shape(node.data), np.shape(operand.data)
    op = node._op
    if op in LOSS_OPS or op in ("sum", "mean"):
        return () if shape == () else None
    if op == "reshape":
        flat = np.ravel_multi_index(entry, pshape) if pshape else 0
        return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()
    if op == "transpose":
        axes = node._ctx if node._ctx is not None else tuple(reversed(range(len(pshape))))
        return tuple(entry[a] for a in axes)
    if op in ("matmul", "linear", "log_softmax"):
        return None
    return entry if shape == pshape else None


# -- networks ------------------------------------------------------------------------------
def _network(loss, param, index):
    order = loss.topological_order()
    children = {}
    for node in order:
        for parent in node._prev:
            children.setdefault(parent, []).append(node)
    layers, entry = [], None
    for k, z in enumerate((n for n in order if n._op == "linear"), start=1):
        x, W, b = z._prev
        acts = [c for c in children.get(z, ()) if c._op in ACTIVATION_OPS]
        a = acts[0] if acts else z
        act_prime = local_derivative(a, 0).value if acts else np.ones_like(z.data)
        layer = LayerChain(k, a._op if acts else "identity", _frozen(x.data), _frozen(z.data), _frozen(a.data),
                           _frozen(W.data), _frozen(a.grad), _frozen(act_prime), _frozen(z.grad),
                           _frozen(W.grad), _frozen(b.grad))
        layers.append(layer)
        if param is W:
            i, j = index
            terms = layer.a_prev[:, i] * layer.delta[:, j]
            entry = EntrySum(k, _frozen(layer.a_prev[:, i]), _frozen(layer.delta[:, j]), _frozen(terms),
                             float(np.sum(terms)))
        elif param is b:
            (j,) = index
            deltas = layer.delta[:, j]
            entry = EntrySum(k, None, _frozen(deltas), _frozen(deltas), float(np.sum(deltas)))
    return tuple(reversed(layers)), entry


# -- helpers -------------------------------------------------------------------------------
def _entry_index(shape, index):
    if index is None:
        index = ()
    elif isinstance(index, (int, np.integer)):
        index = (int(index),)
    index = tuple(int(i) for i in index)
    if len(index) != len(shape) or not all(-n <= i < n for i, n in zip(index, shape)):
        raise IndexError(f"entry {index} is outside a parameter of shape {shape}")
    return tuple(i % n for i, n in zip(index, shape))


def _frozen(value):
    """A float for a number, else a read-only view (the graph's arrays are never written again,
    but an input batch may be the session's own data array)."""
    if value is None:
        return None
    if np.ndim(value) == 0:
        return float(value)
    view = np.asarray(value).view()
    view.flags.writeable = False
    return view
