"""Every hidden unit's output over the input space, for the neurons view (issue 17).

TensorFlow Playground draws each hidden neuron as a small map of its activation over the input
plane. :func:`hidden_units` evaluates the network's own graph (``session.graph_at`` without the
backward pass) at rows of inputs, a grid of the plane or of the line, and reads each hidden
layer's activation off it: the same nodes and kernels the training step uses, nothing written
out a second way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstep.engine import autodiff as ad
from gradstep.engine import memory
from gradstep.engine.analysis.graph_labels import ACTIVATION_OPS

__all__ = ["HiddenLayer", "hidden_units"]


@dataclass(frozen=True)
class HiddenLayer:
    """One hidden layer's outputs at the input rows.

    Attributes:
        layer: k (1-based).
        activation: The activation's name (``identity`` when there is none).
        values: a_k, shape (rows, units): column j is unit j's output at each input row.
    """

    layer: int
    activation: str
    values: np.ndarray


def hidden_units(session, inputs, theta=None) -> tuple[HiddenLayer, ...]:
    """Each hidden layer's activations at input rows ``inputs`` (shape (rows, inputs)).

    Args:
        session: A network's :class:`~gradstep.engine.training.session.Session` (read under the
            training controller's lock when another thread may step it).
        inputs: The input rows.
        theta: Flat parameters (the session's current ones by default).

    Raises:
        ValueError: For a scenario that is not a network.
        gradstep.engine.memory.MemoryBudgetError: When the activations would not fit the budget.
    """
    if session.scenario.kind != "network":
        raise ValueError("only a network has hidden units")
    _, (x, y) = session.step_inputs()
    x = np.asarray(getattr(x, "data", x))
    rows = np.asarray(inputs, dtype=x.dtype).reshape(-1, x.shape[1])
    widest = max(layer.units for layer in session.scenario.model.layers)
    memory.check(2 * memory.array_bytes((len(rows), widest), x.dtype.itemsize) * len(session.scenario.model.layers),
                 "hidden units")
    targets = np.zeros((len(rows),) + np.shape(y)[1:], dtype=np.asarray(y).dtype)
    loss, _ = session.graph_at(session.theta if theta is None else theta, (ad.constant(rows), targets),
                               backward=False)
    order = loss.topological_order()
    children = {}
    for node in order:
        for parent in node._prev:
            children.setdefault(parent, []).append(node)
    linears = [n for n in order if n._op == "linear"]
    layers = []
    for k, z in enumerate(linears[:-1], start=1):
        acts = [c for c in children.get(z, ()) if c._op in ACTIVATION_OPS]
        out = acts[0] if acts else z
        values = np.array(out.data)
        values.flags.writeable = False
        layers.append(HiddenLayer(k, out._op if acts else "identity", values))
    return tuple(layers)
