"""Where a training step gets its loss and gradient: one of three sources, chosen once.

Every source answers ``value_and_grad(theta, batch) -> (loss, flat gradient)`` and
``value(theta, batch) -> loss`` at the flat parameter vector ``theta``:

- :class:`GraphSource` builds the autodiff graph of the loss and back-propagates through it.
  Every scenario has one: the views (chain rule, loss surface, gradient check) and the
  divergence diagnosis read its graphs (:meth:`GraphSource.graph_at`).
- :class:`ScalarSource` runs a :class:`~gradstep.engine.model.scalar_program.ScalarProgram`, an
  objective of scalars as straight-line float code.
- :class:`DenseSource` runs a :class:`~gradstep.engine.model.dense_program.DenseProgram`, a
  dense network's forward and backward written out layer by layer.

The two fast sources hand a step to the graph when they cannot answer it: the scalar program
when ``math`` refuses (overflow, log of a negative number) or the loss is not finite, the dense
program when the loss is not finite. The graph then produces NumPy's own inf or NaN, and the
graph that the diagnosis reads says where it went wrong. A gradient that is not finite is passed
on as it is: the session catches it after the update.
"""

from __future__ import annotations

import math

import numpy as np

from gradstep.engine import autodiff as ad
from gradstep.engine.i18n import _
from gradstep.engine.model.losses import LOSSES
from gradstep.engine.model.nn import network_forward
from gradstep.engine.model.penalties import penalty

__all__ = ["GraphSource", "ScalarSource", "DenseSource", "gradient_source"]


def gradient_source(scenario, layout, dtype):
    """The source a session steps with, and the graph source behind it.

    Args:
        scenario: The :class:`~gradstep.engine.scenario.Scenario` being trained.
        layout: The parameters' :class:`~gradstep.engine.training.record.ParamLayout`.
        dtype: The session's NumPy dtype.

    Returns:
        ``(source, graph)``: a :class:`DenseSource` for a network, a :class:`ScalarSource` for
        an objective whose parameters and constants are all scalars (when the program covers
        its operations), else the :class:`GraphSource` itself; and the graph source.
    """
    graph = GraphSource(scenario, layout, dtype)
    if scenario.kind == "network":
        from gradstep.engine.model.dense_program import DenseProgram

        program = DenseProgram(scenario.model, scenario.loss, layout)
        return DenseSource(program, graph, penalty(scenario.l1, scenario.l2)), graph
    if scenario.kind == "objective" and all(shape == () for shape in layout.shapes):
        from gradstep.engine.model.scalar_program import scalar_program

        program = scalar_program(graph.expression, layout.names, scenario.model.constants, dtype)
        if program is not None:
            return ScalarSource(program, graph), graph
    return graph, graph


class GraphSource:
    """The loss as an autodiff graph, built afresh at each call.

    Args:
        scenario: The :class:`~gradstep.engine.scenario.Scenario` being trained.
        layout: The parameters' :class:`~gradstep.engine.training.record.ParamLayout`.
        dtype: The session's NumPy dtype.

    Attributes:
        dtype: The session's NumPy dtype.
        expression: The parsed :class:`~gradstep.engine.model.expr.Expression` of an objective or
            a parametric model; None for a network.
    """

    def __init__(self, scenario, layout, dtype):
        self.dtype = dtype
        self._kind = scenario.kind
        self._loss_name = scenario.loss
        self._cuts = tuple((name, sl, shape, 0 if shape == () else 1 if len(shape) == 1 else 2)
                           for name, sl, shape in zip(layout.names, layout.slices, layout.shapes))
        self._all_scalar = all(shape == () for shape in layout.shapes)
        self._input_names = tuple(scenario.data.input_names) if scenario.kind == "parametric" else ()
        self._model, self.expression = self._build_model(scenario, layout.names)
        self._loss_fn = LOSSES[scenario.loss] if scenario.loss else None
        self._penalty = penalty(scenario.l1, scenario.l2)  # [loss] l1, l2: terms of the loss

    def _build_model(self, sc, names):
        """``(model, expression)``: ``model(parameter nodes, inputs)`` builds the output's graph."""
        if sc.kind == "network":
            spec = sc.model
            return (lambda nodes, env: network_forward(spec, nodes, env)), None
        from gradstep.engine.model.expr import parse_expression

        constants = {k: ad.constant(v, self.dtype, name=k) for k, v in sc.model.constants.items()}
        known = [*names, *self._input_names, *constants]
        expression = parse_expression(sc.model.expression, known, dtype=self.dtype)

        def model(nodes, env):
            values = dict(constants)
            values.update(zip(names, nodes))
            if env is not None:
                values.update(env)
            return expression.build(values)
        return model, expression

    def inputs(self, x):
        """What the model reads for input rows ``x``: a node, or named input columns."""
        if self._kind == "network":
            return ad.constant(x, self.dtype)
        return {name: ad.constant(np.ascontiguousarray(x[:, j]), self.dtype, name=name)
                for j, name in enumerate(self._input_names)}

    def graph_at(self, theta, batch, backward=True):
        """A fresh graph of the loss: ``(loss node, parameter nodes)``.

        Args:
            theta: Flat parameters. When every parameter is a scalar, ``theta`` may carry
                trailing axes (a grid of points): each parameter node then holds that grid.
            batch: ``(inputs, targets)``, as :class:`~gradstep.engine.training.batches.Batches`
                gives them.
            backward: Back-propagate, filling each node's ``grad``.
        """
        with np.errstate(all="ignore"):
            with ad.tape() as order:
                nodes = self._param_nodes(theta, requires_grad=backward)
                out = self._model(nodes, batch[0])
                loss = out if self._loss_fn is None else self._loss_fn(out, batch[1])
                if self._penalty is not None:
                    loss = self._penalty.graph(loss, nodes, self._all_scalar)
            if backward:
                loss.backward(order=order)
        return loss, nodes

    def value_and_grad(self, theta, batch):
        """``(loss, flat gradient)`` at flat parameters ``theta`` on ``batch``, through the graph."""
        loss, nodes = self.graph_at(theta, batch)
        return float(loss.data), self._flat_grad(nodes)

    def value(self, theta, batch):
        """The loss at flat parameters ``theta`` on ``batch`` (no back-propagation)."""
        return float(self.graph_at(theta, batch, backward=False)[0].data)

    def output(self, theta, inputs):
        """The model's output (an array) at flat parameters ``theta`` for ``inputs`` as
        :meth:`inputs` makes them (a batch's first half), without back-propagation."""
        with np.errstate(all="ignore"):
            return np.asarray(self._model(self._param_nodes(theta, requires_grad=False), inputs).data)

    def predict(self, theta, x, probabilities=False):
        """The model's output for input rows ``x`` (see :meth:`Session.predict
        <gradstep.engine.training.session.Session.predict>`).

        Raises:
            ValueError: For an objective, which has no inputs.
        """
        if self._kind == "objective":
            raise ValueError(_("an objective has no inputs to predict from"))
        nodes = self._param_nodes(theta, requires_grad=False)
        with np.errstate(all="ignore"):
            out = self._model(nodes, self.inputs(np.asarray(x, dtype=self.dtype)))
            if probabilities and self._loss_name == "bce_logits":
                out = ad.sigmoid(out)
            elif probabilities and self._loss_name == "cross_entropy":
                out = ad.exp(ad.log_softmax(out, axis=-1))
        return np.asarray(out.data)

    def _param_nodes(self, theta, requires_grad=True):
        Node = ad.Node
        nodes = []
        for name, sl, shape, kind in self._cuts:
            if kind == 0:      # a scalar
                data = theta[sl.start]
            elif kind == 1:    # a vector: the slice already has its shape
                data = theta[sl]
            else:
                data = theta[sl].reshape(shape)
            nodes.append(Node(data, requires_grad=requires_grad, name=name))
        return nodes

    def _flat_grad(self, nodes):
        if self._all_scalar:
            return np.array([0.0 if n.grad is None else n.grad for n in nodes], dtype=self.dtype)
        flat = np.concatenate([n.grad.ravel() if n.grad is not None else np.zeros(np.size(n.data), self.dtype)
                               for n in nodes])
        return flat if flat.dtype == self.dtype else flat.astype(self.dtype)


class ScalarSource:
    """An objective of scalars run as straight-line float code, the graph where it refuses.

    Args:
        program: The objective's :class:`~gradstep.engine.model.scalar_program.ScalarProgram`.
        graph: The scenario's :class:`GraphSource`.

    Attributes:
        program: The :class:`~gradstep.engine.model.scalar_program.ScalarProgram`.
    """

    def __init__(self, program, graph):
        self.program = program
        self._gradient = program.gradient
        self._graph = graph
        self._graph_value_and_grad = graph.value_and_grad

    def value_and_grad(self, theta, batch):
        """``(loss, flat gradient)``; the graph's when ``math`` refuses or the loss is not finite."""
        try:
            loss, grad = self._gradient(theta)
            loss = float(loss)
        except (ArithmeticError, ValueError):
            return self._graph_value_and_grad(theta, batch)
        if math.isfinite(loss):
            return loss, grad
        return self._graph_value_and_grad(theta, batch)  # NumPy's inf or NaN, and where

    def value(self, theta, batch):
        """The loss at flat parameters ``theta``, through the graph (an objective has no
        validation split, so no step asks for it)."""
        return self._graph.value(theta, batch)


class DenseSource:
    """A dense network's fused forward and backward, the graph where the loss is not finite.

    Args:
        program: The network's :class:`~gradstep.engine.model.dense_program.DenseProgram`.
        graph: The scenario's :class:`GraphSource`.
        penalty: The loss's L1 and L2 terms (:class:`~gradstep.engine.model.penalties.Penalty`),
            added to the program's data loss, or None.

    Attributes:
        program: The :class:`~gradstep.engine.model.dense_program.DenseProgram`; None with L1
            or L2 terms, whose points of the loss surface are then the graph's (the program's
            vectorised pass knows the data loss only).
    """

    def __init__(self, program, graph, penalty=None):
        self.program = program if penalty is None else None
        self.fast = program  # always the program (its latest outputs give the step's accuracy)
        self._value_and_grad = program.value_and_grad
        self._value = program.value
        self._graph_value_and_grad = graph.value_and_grad
        self._penalty = penalty

    def value_and_grad(self, theta, batch):
        """``(loss, flat gradient)``; the graph's when the loss is not finite."""
        loss, grad = self._value_and_grad(theta, batch[0].data, batch[1])
        loss = float(loss)
        if self._penalty is not None:
            loss, grad = self._penalty.add(theta, loss, grad)
        if math.isfinite(loss):
            return loss, grad
        return self._graph_value_and_grad(theta, batch)  # the graph says where it went wrong

    def value(self, theta, batch):
        """The loss at flat parameters ``theta`` on ``batch``."""
        loss = float(self._value(theta, batch[0].data, batch[1]))
        return loss if self._penalty is None else self._penalty.value(theta, loss)
