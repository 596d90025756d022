"""The training loop: the one object the dashboard and the command line drive.

A :class:`Session` keeps every parameter in one flat vector ``theta`` and steps it with the pure
optimizer functions of :mod:`gradstep.engine.optim`. Each :meth:`Session.step` builds the autodiff graph
of the loss at the current parameters, back-propagates, updates, and returns a frozen
:class:`~gradstep.engine.training.record.StepRecord`. Because updates return new arrays, a record can keep the
arrays themselves: nothing ever writes into them again.
"""

from __future__ import annotations

import math
import time

import numpy as np

from gradstep.engine import autodiff as ad
from gradstep.engine import optim
from gradstep.engine.model.losses import LOSSES
from gradstep.engine.training.history import History, Schedule
from gradstep.engine.i18n import _
from gradstep.engine.model.nn import network_forward, network_parameters
from gradstep.engine.training.record import ParamLayout, StepRecord
from gradstep.engine.training.travel import TimeTravel

__all__ = ["Session", "Diverged"]


class Diverged(ArithmeticError):
    """The loss became NaN or infinite; the session stays at the last good step.

    Attributes:
        step: The step at which the loss went bad.
        loss: The bad value.
        message: A sentence for the learner.
    """

    def __init__(self, step, loss, message):
        super().__init__(message)
        self.step = step
        self.loss = loss
        self.message = message


class Session(TimeTravel):
    """Trains one scenario, one step at a time.

    Args:
        scenario: What to train.
        history_options: Keyword arguments for :class:`~gradstep.engine.training.history.History` (memory
            budgets, keyframe spacing), mostly for tests.

    Attributes:
        scenario: The :class:`~gradstep.engine.scenario.Scenario` being trained.
        history: Where the session has been (:class:`~gradstep.engine.training.history.History`).
        layout: The parameters' names, shapes and places in the flat vector.
        t: Steps taken so far.
        record: The :class:`StepRecord` of step ``t`` (None at t = 0).
    """

    def __init__(self, scenario, history_options=None):
        self.scenario = scenario
        self._history_options = dict(history_options or {})
        self.dtype = np.dtype(scenario.dtype)
        init_rng = np.random.default_rng(scenario.seed)
        if scenario.kind == "network":
            named = network_parameters(scenario.model, init_rng, self.dtype)
        else:
            named = [(k, np.asarray(v, dtype=self.dtype)) for k, v in scenario.model.params.items()]
        self.layout = ParamLayout([n for n, _value in named], [np.shape(v) for _name, v in named])
        self._theta0 = np.concatenate([np.ravel(v) for _name, v in named]) if named else np.zeros(0, self.dtype)
        self._theta0.flags.writeable = False
        self._scalar = tuple(shape == () for shape in self.layout.shapes)
        self._fast = None  # a ScalarProgram for float64 objectives of scalars (see step)
        self._dense = None  # a DenseProgram for networks (see step)
        self._cuts = tuple((name, sl, shape, 0 if shape == () else 1 if len(shape) == 1 else 2)
                           for name, sl, shape in zip(self.layout.names, self.layout.slices, self.layout.shapes))
        self._model = self._build_model()
        self._loss_fn = LOSSES[scenario.loss] if scenario.loss else None
        self._prepare_data()
        spec = scenario.optimizer
        self._initial_kind = spec.kind
        self._initial_hyper = optim.hyperparameters(spec.kind, spec.lr, **dict(spec.hyper))
        self._all_scalar = all(self._scalar)
        self.reset()

    # -- public ----------------------------------------------------------------------------
    @property
    def optimizer_kind(self):
        """The optimizer's name (``adam``, ``sgd``, ...)."""
        return self._opt_kind

    @property
    def hyper(self):
        """The hyperparameters now in force (``lr`` and the optimizer's own)."""
        return self._hyper

    @property
    def theta(self):
        """The flat parameter vector now (read-only)."""
        return self._theta

    @property
    def params(self):
        """``{name: array}``: the parameters now."""
        return self.layout.views(self._theta)

    def reset(self):
        """Back to step 0 with a clean slate: the history and any hyperparameter changes are
        forgotten."""
        self._opt_kind, self._hyper = self._initial_kind, self._initial_hyper
        self._schedule = Schedule(self._opt_kind, self._hyper)
        has_val = self._val is not None
        self.history = History(len(self.layout.layer_offsets), has_val, **self._history_options)
        self._restore(0, None)

    def loss_at(self, theta, batch=None):
        """The loss at flat parameters ``theta`` on ``batch`` (the full training set by default)."""
        return float(self.graph_at(theta, batch, backward=False)[0].data)

    def predict(self, x, theta=None, probabilities=False):
        """The model's output ŷ for input rows ``x`` at flat parameters ``theta`` (the current
        ones by default), for the model-fit view.

        Args:
            x: Inputs, shape (n, inputs).
            theta: Flat parameters.
            probabilities: For ``bce_logits`` and ``cross_entropy``, give σ(ŷ) and softmax(ŷ)
                (class probabilities) instead of the logits ŷ.

        Raises:
            ValueError: For an objective, which has no inputs.
        """
        if self.scenario.kind == "objective":
            raise ValueError(_("an objective has no inputs to predict from"))
        theta = self._theta if theta is None else theta
        nodes = self._param_nodes(theta, requires_grad=False)
        with np.errstate(all="ignore"):
            out = self._model(nodes, self._inputs(np.asarray(x, dtype=self.dtype)))
            if probabilities and self.scenario.loss == "bce_logits":
                out = ad.sigmoid(out)
            elif probabilities and self.scenario.loss == "cross_entropy":
                out = ad.exp(ad.log_softmax(out, axis=-1))
        return np.asarray(out.data)

    def gradient_at(self, theta, batch=None):
        """``(loss, flat gradient)`` at flat parameters ``theta``."""
        loss, nodes = self.graph_at(theta, batch)
        return float(loss.data), self._flat_grad(nodes)

    def graph_at(self, theta=None, batch=None, backward=True):
        """A fresh graph of the loss: ``(loss node, parameter nodes)``, for the chain-rule view
        and the loss surface, which walk its ``_prev``, ``_op`` and ``grad``.

        Args:
            theta: Flat parameters (the current ones by default). When every parameter is a
                scalar, ``theta`` may carry trailing axes (a grid of points): each parameter
                node then holds that grid.
            batch: ``(inputs, targets)`` as :meth:`step_inputs` gives them (the full training
                set by default).
            backward: Back-propagate, filling each node's ``grad``.
        """
        theta = self._theta if theta is None else theta
        xb, yb = self._full if batch is None else batch
        with np.errstate(all="ignore"):
            with ad.tape() as order:
                nodes = self._param_nodes(theta, requires_grad=backward)
                loss = self._loss_graph(nodes, xb, yb)
            if backward:
                loss.backward(order=order)
        return loss, nodes

    def step_inputs(self, t=None):
        """``(theta, batch)`` that step ``t``'s gradient is computed from: the parameters before
        the t-th update and the t-th batch, so ``graph_at(*step_inputs(t))`` rebuilds the graph
        behind ``record.grads`` of step t.

        Args:
            t: A step from 1 to :attr:`furthest` + 1; by default the current step ``t`` (step 1
                at step 0, whose gradient the first step will record).
        """
        t = max(self.t, 1) if t is None else int(t)
        if not 1 <= t <= self.history.furthest + 1:
            raise ValueError(_("step {step} is outside the history ({first} to {last})")
                             .format(step=t, first=1, last=self.history.furthest + 1))
        if t == self.t + 1:
            theta = self._theta
        elif t == 1:
            theta = self._theta0
        else:
            record = self.history.cached(t - 1)
            if record is None:
                here = self.t
                record = self.goto(t - 1)
                self.goto(here)
            theta = record.theta
        return theta, self._batch_of_step(t)

    def step(self):
        """Take one training step and return its record.

        Raises:
            Diverged: When the loss, a gradient, a parameter or the optimizer's state would
                become NaN or infinite; the message names the operation and the parameter or
                layer. Nothing changes: the session stays at step ``t``.
        """
        started = time.perf_counter()
        theta = self._theta
        batch, position = self._next_batch()
        t = self.t + 1
        with np.errstate(all="ignore"):
            loss = grad = None
            if self._fast is not None:
                try:
                    loss, grad = self._fast.gradient(theta)
                    loss = float(loss)
                except (ArithmeticError, ValueError):
                    loss = None
                if loss is not None and not math.isfinite(loss):
                    loss = None  # let the graph produce NumPy's inf or NaN and say where
            elif self._dense is not None:
                loss, grad = self._dense.value_and_grad(theta, batch[0].data, batch[1])
                loss = float(loss)
                if not math.isfinite(loss):
                    loss = None  # let the graph say where it went wrong
                # (a gradient that is not finite reaches delta, checked after the update)
            nodes = None
            if loss is None:
                loss_node, nodes = self.graph_at(theta, batch)
                loss = float(loss_node.data)
                grad = self._flat_grad(nodes)
                if not math.isfinite(loss):
                    self._diverged(t, loss, loss_node, nodes)
            new_theta, new_state = optim.update(self._opt_kind, theta, grad, self._state, self._hyper)
            delta = new_theta - theta
            # A NaN or infinite gradient reaches the update (and so delta); a second moment can
            # overflow on its own (g**2) while the update stays finite, so it is checked too.
            total = np.add.reduce
            check = total(delta)
            for name in self._overflow_checked:
                check += total(new_state[name])
            if not math.isfinite(check):
                if not math.isfinite(total(grad)):
                    if nodes is None:
                        loss_node, nodes = self.graph_at(theta, batch)
                    self._diverged(t, loss, loss_node, nodes)
                self._diverged(t, loss, None, nodes, new_theta, new_state)
            val_loss = None if self._val is None else self._val_loss(theta)
            if val_loss is not None and not math.isfinite(val_loss):
                self._diverged_validation(t, loss, theta)
        record = StepRecord.make(step=t, loss=loss, val_loss=val_loss, optimizer=self._opt_kind,
                                 hyper=self._hyper, layout=self.layout, theta=new_theta, grad=grad,
                                 delta=delta, opt_state=new_state, batch=position)
        self._theta, self._state, self.t, self.record = new_theta, new_state, t, record
        self._commit_batch(position)
        if t > self.history.furthest:
            self.history.add(record, self.layout.layer_norms(grad), time.perf_counter() - started)
        else:
            self.history.add(record, (), time.perf_counter() - started)
            if self._schedule.at(t)[0] == t:
                self._apply_schedule(t)
        return record

    def _diverged(self, t, loss, loss_node, nodes, new_theta=None, new_state=None):
        """Raise :class:`Diverged` naming the operation and parameter where it happened."""
        from gradstep.engine.training import diagnose

        network = self.scenario.kind == "network"
        if loss_node is not None and not math.isfinite(loss):
            why = (diagnose.explain_forward(loss_node, network)
                   or _("the loss became {loss}").format(loss=loss))
        elif loss_node is not None:
            why = (diagnose.explain_backward(loss_node, nodes)
                   or _("a gradient became infinite or NaN"))
        else:
            why = (diagnose.explain_state(self._opt_kind, self.layout, new_theta, new_state)
                   or _("the update overflowed"))
        raise Diverged(t, loss, _("diverged at step {step}: {why}; try a lower learning rate")
                       .format(step=t, why=why))

    def _diverged_validation(self, t, loss, theta):
        """Raise :class:`Diverged` for a validation loss that is not finite (the training loss is)."""
        from gradstep.engine.training import diagnose

        loss_node, _nodes = self.graph_at(theta, self._val, backward=False)
        why = (diagnose.explain_forward(loss_node, self.scenario.kind == "network")
               or _("it became {loss}").format(loss=float(loss_node.data)))
        # No learning-rate hint: the training loss is finite, so the validation data may be at fault.
        raise Diverged(t, loss, _("diverged at step {step}: the validation loss: {why}")
                       .format(step=t, why=why))

    def run(self, n):
        """Take ``n`` steps; return the last record (None when ``n`` is 0)."""
        record = None
        for _step in range(n):
            record = self.step()
        return record

    # -- model -----------------------------------------------------------------------------
    def _build_model(self):
        sc = self.scenario
        if sc.kind == "network":
            from gradstep.engine.model.dense_program import DenseProgram

            spec = sc.model
            self._dense = DenseProgram(spec, sc.loss, self.layout)
            return lambda nodes, env: network_forward(spec, nodes, env)
        from gradstep.engine.model.expr import parse_expression

        inputs = tuple(sc.data.input_names) if sc.kind == "parametric" else ()
        constants = {k: ad.constant(v, self.dtype, name=k) for k, v in sc.model.constants.items()}
        known = [*self.layout.names, *inputs, *constants]
        expression = parse_expression(sc.model.expression, known, dtype=self.dtype)
        names = self.layout.names
        if sc.kind == "objective" and all(self._scalar):
            from gradstep.engine.model.scalar_program import scalar_program

            self._fast = scalar_program(expression, names, sc.model.constants, self.dtype)

        def model(nodes, env):
            values = dict(constants)
            values.update(zip(names, nodes))
            if env is not None:
                values.update(env)
            return expression.build(values)
        return model

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

    def _loss_graph(self, nodes, xb, yb):
        out = self._model(nodes, xb)
        if self._loss_fn is None:
            return out
        return self._loss_fn(out, yb)

    # -- data ------------------------------------------------------------------------------
    def _inputs(self, x):
        """What the model reads for input rows ``x``: a node, or named input columns."""
        if self.scenario.kind == "network":
            return ad.constant(x, self.dtype)
        names = self.scenario.data.input_names
        return {name: ad.constant(np.ascontiguousarray(x[:, j]), self.dtype, name=name)
                for j, name in enumerate(names)}

    def _prepare_data(self):
        data = self.scenario.data
        self._val = None
        if data is None:
            self._x = self._y = None
            self._full = (None, None)
            self._n = 0
            return
        cast = (lambda y: y) if self.scenario.loss == "cross_entropy" and np.issubdtype(
            np.asarray(data.y).dtype, np.integer) else (lambda y: np.asarray(y, dtype=self.dtype))
        self._x = np.asarray(data.x, dtype=self.dtype)
        self._y = cast(data.y)
        self._n = len(self._x)
        self._full = (self._inputs(self._x), self._y)
        if data.x_val is not None and len(data.x_val):
            self._val = (self._inputs(np.asarray(data.x_val, dtype=self.dtype)), cast(data.y_val))

    def _val_loss(self, theta):
        if self._dense is not None:
            return float(self._dense.value(theta, self._val[0].data, self._val[1]))
        return self.loss_at(theta, self._val)

    def _next_batch(self):
        """The batch for the next step and its ``(batch, epoch)`` position, without advancing."""
        size = self.scenario.training.batch_size
        if self._n == 0 or size <= 0 or size >= self._n:
            return self._full, (0, self.t)
        if self._order is None:
            self._order = self._epoch_order(self._epoch)
        rows = self._order[self._batch * size:(self._batch + 1) * size]
        return (self._inputs(self._x[rows]), self._y[rows]), (self._batch, self._epoch)

    def _epoch_order(self, epoch):
        if self.scenario.training.shuffle:
            # Each epoch's order has its own generator, seeded by (seed, 1, epoch): the
            # position in the data is then a function of t alone, so going back in
            # history needs no generator state.
            return np.random.default_rng([self.scenario.seed, 1, epoch]).permutation(self._n)
        return np.arange(self._n)

    def _batch_of_step(self, t):
        """The batch of step ``t`` (t >= 1), found from t alone."""
        size = self.scenario.training.batch_size
        if self._n == 0 or size <= 0 or size >= self._n:
            return self._full
        epoch, index = divmod(t - 1, -(-self._n // size))
        rows = self._epoch_order(epoch)[index * size:(index + 1) * size]
        return self._inputs(self._x[rows]), self._y[rows]

    def _commit_batch(self, position):
        size = self.scenario.training.batch_size
        if self._n == 0 or size <= 0 or size >= self._n:
            return
        self._batch += 1
        if self._batch * size >= self._n:
            self._batch = 0
            self._epoch += 1
            self._order = None
