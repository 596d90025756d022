"""The training loop: the one object the dashboard and the command line drive.

A :class:`Session` keeps every parameter in one flat vector ``theta`` and steps it with the pure
optimizer functions of :mod:`engine.optim`. Each :meth:`Session.step` builds the autodiff graph
of the loss at the current parameters, back-propagates, updates, and returns a frozen
:class:`~engine.record.StepRecord`. Because updates return new arrays, a record can keep the
arrays themselves: nothing ever writes into them again.
"""

from __future__ import annotations

import math

import numpy as np

from engine import autodiff as ad
from engine import optim
from engine.losses import LOSSES
from engine.nn import network_forward, network_parameters
from engine.record import ParamLayout, StepRecord

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


class Session:
    """Trains one scenario, one step at a time.

    Attributes:
        scenario: The :class:`~engine.scenario.Scenario` being trained.
        layout: The parameters' names, shapes and places in the flat vector.
        t: Steps taken so far.
        record: The :class:`StepRecord` of step ``t`` (None at t = 0).
    """

    def __init__(self, scenario):
        self.scenario = scenario
        self.dtype = np.dtype(scenario.dtype)
        init_rng = np.random.default_rng(scenario.seed)
        if scenario.kind == "network":
            named = network_parameters(scenario.model, init_rng, self.dtype)
        else:
            named = [(k, np.asarray(v, dtype=self.dtype)) for k, v in scenario.model.params.items()]
        self.layout = ParamLayout([n for n, _ in named], [np.shape(v) for _, v in named])
        self._theta0 = np.concatenate([np.ravel(v) for _, v in named]) if named else np.zeros(0, self.dtype)
        self._theta0.flags.writeable = False
        self._scalar = tuple(shape == () for shape in self.layout.shapes)
        self._model = self._build_model()
        self._loss_fn = LOSSES[scenario.loss] if scenario.loss else None
        self._prepare_data()
        spec = scenario.optimizer
        self._opt_kind = spec.kind
        self._hyper = optim.hyperparameters(spec.kind, spec.lr, **dict(spec.hyper))
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
        """Back to step 0: initial parameters, fresh optimizer state, data order from the seed."""
        self._theta = self._theta0
        self._state = optim.init_state(self._opt_kind, self._theta, self._hyper)
        self._epoch = 0
        self._batch = 0
        self._order = None
        self.t = 0
        self.record = None

    def set_lr(self, lr):
        """Use learning rate ``lr`` from the next step on."""
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning rate must be a positive finite number, got {lr}")
        self._hyper = optim.hyperparameters(self._opt_kind, lr, **{k: v for k, v in self._hyper.items() if k != "lr"})

    def loss_at(self, theta, batch=None):
        """The loss at flat parameters ``theta`` on ``batch`` (the full training set by default)."""
        nodes = self._param_nodes(theta, requires_grad=False)
        xb, yb = self._full if batch is None else batch
        return float(self._loss_graph(nodes, xb, yb).data)

    def gradient_at(self, theta, batch=None):
        """``(loss, flat gradient)`` at flat parameters ``theta``."""
        nodes = self._param_nodes(theta)
        xb, yb = self._full if batch is None else batch
        loss = self._loss_graph(nodes, xb, yb)
        loss.backward()
        return float(loss.data), self._flat_grad(nodes)

    def step(self):
        """Take one training step and return its record.

        Raises:
            Diverged: When the loss at the current parameters is NaN or infinite; nothing
                changes, the session stays at step ``t``.
        """
        theta = self._theta
        batch, position = self._next_batch()
        nodes = self._param_nodes(theta)
        t = self.t + 1
        with np.errstate(all="ignore"):
            loss_node = self._loss_graph(nodes, *batch)
            loss_node.backward()
            loss = float(loss_node.data)
            grad = self._flat_grad(nodes)
            # a sum is finite only when every entry is (inf - inf and NaN give NaN)
            if not (math.isfinite(loss) and math.isfinite(grad.sum())):
                what = "loss" if not math.isfinite(loss) else "gradient"
                raise Diverged(t, loss, f"diverged at step {t}: the {what} became "
                               f"{loss if what == 'loss' else 'NaN or infinite'}; try a lower learning rate")
            new_theta, new_state = optim.update(self._opt_kind, theta, grad, self._state, self._hyper)
            delta = new_theta - theta
            val_loss = self._val_loss(nodes) if self._val is not None else None
        new_theta.flags.writeable = grad.flags.writeable = delta.flags.writeable = False
        for value in new_state.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        record = StepRecord(t, loss, val_loss, self._opt_kind, self._hyper, self.layout,
                            new_theta, grad, delta, new_state, position)
        self._theta, self._state, self.t, self.record = new_theta, new_state, t, record
        self._commit_batch(position)
        return record

    def run(self, n):
        """Take ``n`` steps; return the last record (None when ``n`` is 0)."""
        record = None
        for _ in range(n):
            record = self.step()
        return record

    # -- model -----------------------------------------------------------------------------
    def _build_model(self):
        sc = self.scenario
        if sc.kind == "network":
            spec = sc.model
            return lambda nodes, env: network_forward(spec, nodes, env)
        from engine.expr import parse_expression

        inputs = tuple(sc.data.input_names) if sc.kind == "parametric" else ()
        constants = {k: ad.constant(v, self.dtype, name=k) for k, v in sc.model.constants.items()}
        known = [*self.layout.names, *inputs, *constants]
        expression = parse_expression(sc.model.expression, known, dtype=self.dtype)
        names = self.layout.names

        def model(nodes, env):
            values = dict(constants)
            values.update(zip(names, nodes))
            if env is not None:
                values.update(env)
            return expression.build(values)
        return model

    def _param_nodes(self, theta, requires_grad=True):
        nodes = []
        for name, sl, shape, scalar in zip(self.layout.names, self.layout.slices, self.layout.shapes, self._scalar):
            data = theta[sl.start] if scalar else theta[sl].reshape(shape)
            nodes.append(ad.Node(data, requires_grad=requires_grad, name=name))
        return nodes

    def _flat_grad(self, nodes):
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

    def _val_loss(self, nodes):
        frozen = [ad.Node(n.data, name=n.name) for n in nodes]
        return float(self._loss_graph(frozen, *self._val).data)

    def _next_batch(self):
        """The batch for the next step and its ``(batch, epoch)`` position, without advancing."""
        size = self.scenario.training.batch_size
        if self._n == 0 or size <= 0 or size >= self._n:
            return self._full, (0, self.t)
        if self._order is None:
            if self.scenario.training.shuffle:
                # Each epoch's order has its own generator, seeded by (seed, 1, epoch): the
                # position in the data is then a function of t alone, so going back in
                # history needs no generator state.
                self._order = np.random.default_rng([self.scenario.seed, 1, self._epoch]).permutation(self._n)
            else:
                self._order = np.arange(self._n)
        rows = self._order[self._batch * size:(self._batch + 1) * size]
        return (self._inputs(self._x[rows]), self._y[rows]), (self._batch, self._epoch)

    def _commit_batch(self, position):
        size = self.scenario.training.batch_size
        if self._n == 0 or size <= 0 or size >= self._n:
            return
        self._batch += 1
        if self._batch * size >= self._n:
            self._batch = 0
            self._epoch += 1
            self._order = None
