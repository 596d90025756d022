"""The training loop: the one object the dashboard and the command line drive.

A :class:`Session` keeps every parameter in one flat vector ``theta`` and steps it with the pure
optimizer functions of :mod:`gradstep.engine.optim`. :meth:`Session.step` is the textbook step:
the batch of step t (:class:`~gradstep.engine.training.batches.Batches`), the loss and its
gradient (from the source chosen for the scenario, see
:mod:`~gradstep.engine.training.gradient_sources`), a check that they and the update are
finite, the optimizer's update, and a frozen :class:`~gradstep.engine.training.record.StepRecord`.
Because updates return new arrays, a record can keep the arrays themselves: nothing ever writes
into them again. Moving through history and changing course are
:class:`~gradstep.engine.training.travel.TimeTravel`'s, which the session holds.
"""

from __future__ import annotations

import copy
from math import isfinite
from time import perf_counter

import numpy as np

from gradstep.engine import optim
from gradstep.engine.i18n import _
from gradstep.engine.model.nn import network_parameters
from gradstep.engine.training.batches import Batches
from gradstep.engine.training.clipping import gradient_clipper
from gradstep.engine.training.gradient_sources import gradient_source
from gradstep.engine.training.metrics import step_metrics
from gradstep.engine.training.quiet import quiet, restore
from gradstep.engine.training.record import ParamLayout, StepRecord
from gradstep.engine.training.schedules import lr_schedule
from gradstep.engine.training.travel import TimeTravel, hyper_with, hyper_with_lr

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

    Args:
        scenario: What to train.
        history_options: Keyword arguments for :class:`~gradstep.engine.training.history.History` (memory
            budgets, keyframe spacing), mostly for tests.

    Attributes:
        scenario: The :class:`~gradstep.engine.scenario.Scenario` being trained.
        history: Where the session has been (:class:`~gradstep.engine.training.history.History`).
        layout: The parameters' names, shapes and places in the flat vector.
        dtype: The NumPy dtype the session computes in.
        t: Steps taken so far.
        record: The :class:`StepRecord` of step ``t`` (None at t = 0).
    """

    def __init__(self, scenario, history_options=None):
        self.scenario = scenario
        self.dtype = np.dtype(scenario.dtype)
        init_rng = np.random.default_rng(scenario.seed)
        if scenario.kind == "network":
            named = network_parameters(scenario.model, init_rng, self.dtype)
        else:
            named = [(k, np.asarray(v, dtype=self.dtype)) for k, v in scenario.model.params.items()]
        self.layout = ParamLayout([n for n, _value in named], [np.shape(v) for _name, v in named])
        theta0 = np.concatenate([np.ravel(v) for _name, v in named]) if named else np.zeros(0, self.dtype)
        theta0.flags.writeable = False
        # Chosen once: the step asks this source, the views and the diagnosis ask the graph.
        self._source, self._graph = gradient_source(scenario, self.layout, self.dtype)
        self._batches, self._val = self._training_data()
        self.metrics = step_metrics(scenario, self._graph, self._val, getattr(self._source, "fast", None))
        spec = scenario.optimizer
        hyper = optim.hyperparameters(spec.kind, spec.lr, **dict(spec.hyper))
        self.lr_schedule = lr_schedule(scenario)  # None: each step uses the hyperparameters as set
        self._clip = gradient_clipper(scenario.training, self.layout)  # None: the raw gradient
        self._travel = TimeTravel(theta0, spec.kind, hyper, self.layout, self._val is not None,
                                  history_options, stand=self._stand, steer=self._steer, step=self.step)
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
    def minibatches(self):
        """True when a step learns from a minibatch (its loss is that batch's), False when every
        step sees the whole training set."""
        return self._batches.per_epoch > 1

    @property
    def params(self):
        """``{name: array}``: the parameters now."""
        return self.layout.views(self._theta)

    def reset(self):
        """Back to step 0 with a clean slate: the history and every change of course forgotten."""
        self.history = self._travel.reset()

    def loss_at(self, theta, batch=None):
        """The loss at flat parameters ``theta`` on ``batch`` (the full training set by default)."""
        return self._graph.value(theta, self._batches.full if batch is None else batch)

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
        return self._graph.predict(self._theta if theta is None else theta, x, probabilities)

    def losses_along(self, theta, changes, chunk_bytes=32 << 20):
        """The full-batch loss at points that differ from flat parameters ``theta`` in one or
        two entries, evaluated in batches (a vectorised forward pass of a network for many
        points at once), for the loss surface; None when the scenario has no such path (then
        ask :meth:`loss_at` point by point).

        Args:
            changes: ``[(flat position, values of shape (P,)), ...]``.
            chunk_bytes: Points are taken in chunks holding about this many bytes of arrays;
                each chunk is checked against the memory budget before it is made.
        """
        program = getattr(self._source, "program", None)
        if self.scenario.kind != "network" or not hasattr(program, "losses_along"):
            return None
        from gradstep.engine import memory

        x, y = self._batches.full
        x = x.data
        theta = np.asarray(theta, dtype=self.dtype)
        points = len(changes[0][1])
        per_point = program.point_bytes(len(x), self.dtype.itemsize)
        chunk = max(1, min(points, chunk_bytes // max(per_point, 1)))
        memory.check(chunk * per_point, _("the loss surface's grid"))
        out = np.empty(points)
        for start in range(0, points, chunk):
            part = [(flat, np.asarray(values[start:start + chunk], dtype=self.dtype)) for flat, values in changes]
            out[start:start + chunk] = program.losses_along(theta, part, x, y)
        return out

    def gradient_at(self, theta, batch=None):
        """``(loss, flat gradient)`` at flat parameters ``theta``."""
        return self._graph.value_and_grad(theta, self._batches.full if batch is None else batch)

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
        return self._graph.graph_at(self._theta if theta is None else theta,
                                    self._batches.full if batch is None else batch, backward)

    def step_inputs(self, t=None):
        """``(theta, batch)`` that step ``t``'s gradient is computed from: the parameters before
        the t-th update and the t-th batch, so ``graph_at(*step_inputs(t))`` rebuilds the graph
        behind ``record.grads`` of step t.

        Args:
            t: A step from 1 to :attr:`furthest` + 1; by default the current step ``t`` (step 1
                at step 0, whose gradient the first step will record).
        """
        t = max(self.t, 1) if t is None else int(t)
        return self._travel.theta_before(t, self.t, self._theta), self._batches.at(t)[0]

    def step(self):
        """Take one training step and return its record.

        Raises:
            Diverged: When the loss, a gradient, a parameter or the optimizer's state would
                become NaN or infinite; the message names the operation and the parameter or
                layer. Nothing changes: the session stays at step ``t``.
        """
        started, theta, t = perf_counter(), self._theta, self.t + 1
        batch, position = self._batches.at(t)
        new_step = t > self.history.furthest
        token = quiet()  # np.errstate(all="ignore"): a bad value is caught below, by name
        try:
            loss, grad = self._source.value_and_grad(theta, batch)
            if not isfinite(loss):
                self._diverged(t, loss, theta, batch)
            hyper = self._hyper if self.lr_schedule is None else \
                self.lr_schedule.hyper_for(t, self._opt_kind, self._hyper)
            used, clipped_norm = (grad, None) if self._clip is None else self._clip(grad)
            # finite: the new parameters and second moments are (a NaN or infinite gradient
            # reaches the parameters; a second moment can overflow alone, g**2, the update finite)
            new_theta, new_state, finite = self._update.step(theta, used, self._state, hyper)
            if not finite:
                self._diverged(t, loss, theta, batch, grad, new_theta, new_state)
            if self._travel.schedule.values:  # entries set by hand after this step (=)
                new_theta = self._travel.with_values(t, new_theta)
            val_loss = None if self._val is None else self._source.value(theta, self._val)
            if val_loss is not None and not isfinite(val_loss):
                self._diverged_validation(t, loss, theta)
            norms = self.layout.norm_row(grad) if new_step else None  # once: the history's and the record's
            metrics = None if self.metrics is None else self.metrics.measure(t, theta, batch, new_step)
        finally:
            restore(token)
        # delta, new_theta - theta, is made when first read (StepRecord.__getattr__)
        record = StepRecord.of({"step": t, "loss": loss, "val_loss": val_loss, "optimizer": self._opt_kind,
                                "hyper": hyper, "layout": self.layout, "theta": new_theta, "grad": grad,
                                "_theta_before": theta, "opt_state": new_state, "batch": position,
                                "norms": norms, "clipped_norm": clipped_norm, "metrics": metrics})
        self._theta, self._state, self.t, self.record = new_theta, new_state, t, record
        self.history.add(record, norms if new_step else (), perf_counter() - started)
        if not new_step:  # a replay: the history has its scalars; a change of course may start here
            self._travel.replayed(t)
        return record

    def run(self, n):
        """Take ``n`` steps; return the last record (None when ``n`` is 0)."""
        record = None
        for _step in range(n):
            record = self.step()
        return record

    # -- divergence ------------------------------------------------------------------------
    def _diverged(self, t, loss, theta, batch, grad=None, new_theta=None, new_state=None):
        """Raise :class:`Diverged` naming the operation and parameter where step ``t`` went
        wrong (:func:`~gradstep.engine.training.diagnose.step_failure`)."""
        from gradstep.engine.training import diagnose

        why = diagnose.step_failure(self._graph, self.scenario.kind == "network", loss, theta, batch, grad,
                                    (self._opt_kind, self.layout, new_theta, new_state))
        raise Diverged(t, loss, _("diverged at step {step}: {why}; try a lower learning rate")
                       .format(step=t, why=why))

    def _diverged_validation(self, t, loss, theta):
        """Raise :class:`Diverged` for a validation loss that is not finite (the training loss is)."""
        from gradstep.engine.training import diagnose

        why = diagnose.validation_failure(self._graph, self.scenario.kind == "network", theta, self._val)
        # No learning-rate hint: the training loss is finite, so the validation data may be at fault.
        raise Diverged(t, loss, _("diverged at step {step}: the validation loss: {why}")
                       .format(step=t, why=why))

    # -- data ------------------------------------------------------------------------------
    def _training_data(self):
        """``(batches, validation batch or None)``, in the session's dtype."""
        sc, inputs = self.scenario, self._graph.inputs
        data, size, shuffle = sc.data, sc.training.batch_size, sc.training.shuffle
        if data is None:
            return Batches(None, None, size, shuffle, sc.seed, inputs), None
        # Class labels stay integers: cross-entropy indexes with them.
        cast = (lambda y: y) if sc.loss == "cross_entropy" and np.issubdtype(
            np.asarray(data.y).dtype, np.integer) else (lambda y: np.asarray(y, dtype=self.dtype))
        batches = Batches(np.asarray(data.x, dtype=self.dtype), cast(data.y), size, shuffle, sc.seed, inputs)
        val = None
        if data.x_val is not None and len(data.x_val):
            val = (inputs(np.asarray(data.x_val, dtype=self.dtype)), cast(data.y_val))
        return batches, val

    # -- time travel -----------------------------------------------------------------------
    def _stand(self, t, theta, state, record):
        """Stand at step ``t`` (for :class:`TimeTravel`, which moves the session)."""
        self._theta, self._state, self.t, self.record = theta, state, t, record

    def _steer(self, kind, hyper, fresh):
        """Use optimizer ``kind`` with ``hyper`` from the next step on, from fresh state when
        ``fresh`` (for :class:`TimeTravel`, which keeps the schedule)."""
        self._opt_kind, self._hyper = kind, hyper
        # optim.update(kind, ...) as one kernel sequence per step, without the look-up each step
        self._update = optim.stepper(kind)
        if fresh:
            self._state = optim.init_state(kind, self._theta, hyper)

    def set_lr(self, lr):
        """Use learning rate ``lr`` from the next step on; before the furthest step this starts
        a new branch, the old future kept as a ghost."""
        self._change_course(self._opt_kind, hyper_with_lr(self._opt_kind, self._hyper, lr), False)

    def set_optimizer(self, kind, lr=None, **hyper):
        """Switch to optimizer ``kind`` (fresh state) from the next step on; see :meth:`set_lr`."""
        self._change_course(kind, optim.hyperparameters(kind, self._hyper["lr"] if lr is None else lr, **hyper), True)

    def set_hyper(self, **changes):
        """Change some hyperparameters of the current optimizer from the next step on."""
        self._change_course(self._opt_kind, hyper_with(self._opt_kind, self._hyper, changes), False)

    def set_value(self, name, index, value):
        """Set entry ``index`` of parameter ``name`` to ``value`` here (:meth:`TimeTravel.set_value`)."""
        self._theta, self.record = self._travel.set_value(self.t, name, index, value, self._theta, self.record)

    def _change_course(self, kind, hyper, fresh_state):
        if kind != self._opt_kind or dict(hyper) != dict(self._hyper) or fresh_state:
            self._travel.change_course(self.t, kind, hyper, fresh_state)

    def alpha_at(self, t):
        """The α step ``t`` uses on the current branch: the learning rate in force, or the
        schedule's α scaled by it (see :mod:`~gradstep.engine.training.schedules`)."""
        lr = self._travel.schedule.at(t - 1)[2]["lr"]
        return lr if self.lr_schedule is None else self.lr_schedule.scaled_alpha(t, lr)

    @property
    def course_log(self):
        """The current branch's :class:`~gradstep.engine.training.schedule.Schedule`: every change
        of course, what a save file records (read it; change course through the setters)."""
        return self._travel.schedule

    @property
    def furthest(self):
        """The furthest step computed on the current branch."""
        return self.history.furthest

    def back(self, k=1):
        """Go back ``k`` steps (not before step 0); returns the record there (None at 0)."""
        return self.goto(max(0, self.t - k))

    def goto(self, t):
        """Stand at step ``t`` (0 <= t <= furthest), exactly as the original run was there.

        A step whose record is no longer kept is replayed from the nearest keyframe.
        """
        return self._travel.goto(t)

    def replay_seconds(self, t):
        """About how long :meth:`goto` to step ``t`` would take: the steps it replays times the
        recent compute time of a step (0 for a kept step)."""
        return self._travel.replay_steps(t) * self.history.step_seconds

    def reach(self, t):
        """:meth:`goto` in slices: a :class:`~gradstep.engine.training.travel.Reach` whose
        ``advance(seconds)`` replays for that long, the session staying where it stands until
        the target's record is there (then it stands at ``t``). Drop it to cancel."""
        return self._travel.reach(t, copy.copy(self))

    def export(self, path, format="jsonl", full=True, encoder=None, progress=None):
        """Write the trace of steps 1 ... furthest (see :meth:`export_to`) to a temporary file
        in the same folder, renamed when complete (never a partial file), or to ``path`` if it
        is a text stream (a served dashboard's download); returns the number of steps written."""
        from gradstep.engine.training.atomic_file import AtomicFile
        from gradstep.engine.training.trace import check_format

        check_format(format)
        if hasattr(path, "write"):
            return self.export_to(path, format, full, encoder, progress)
        with AtomicFile(path) as out:
            return self.export_to(out.stream, format, full, encoder, progress)

    def export_to(self, stream, format="jsonl", full=True, encoder=None, progress=None):
        """Write the trace of steps 1 ... furthest to the text ``stream``, replaying them from
        step 0; returns the number of steps written. The session is back where it stood after.

        Args:
            format: ``jsonl`` or ``csv``.
            full: Whole arrays (parameters, gradients, state, updates), not only the scalars.
            encoder: What writes the numbers (see :func:`~gradstep.engine.training.trace.write_records`).
            progress: ``progress(steps written)`` after each step; it may raise to stop.
        """
        from gradstep.engine.training.trace import check_format, write_records

        check_format(format)
        here = self.t
        try:
            return write_records(stream, self._travel.replay_all(), self.layout, format, full,
                                 self._val is not None, encoder, progress)
        finally:
            self.goto(here)
