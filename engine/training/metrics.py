"""What a step measures beside the loss, and its history for the charts.

- ``l1``, ``l2``: the loss's L1 and L2 terms (``[loss] l1``, ``l2``; see
  :mod:`gradstep.engine.model.penalties`) at the parameters before the step; the record's
  ``loss`` includes them, so ``loss - l1 - l2`` is the data loss.
- ``accuracy``, ``val_accuracy``: for classification (``cross_entropy``, ``bce_logits``), the
  fraction of the step's batch (and of the validation split) the model classifies right at the
  same parameters: the largest output is the label (cross-entropy), or an output above 0 (a
  probability above one half) says 1 where the target is above one half (BCE on logits, every
  output counted).

:class:`StepMetrics` measures them for a step's record and keeps each new step's values in a
:class:`~gradstep.engine.training.scalar_log.ScalarLog` of its own (bounded like the loss's),
which the loss chart reads. A step taken again after a branch overwrites the abandoned ones.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from gradstep.engine.model.penalties import penalty
from gradstep.engine.training.scalar_log import ScalarLog

__all__ = ["StepMetrics", "step_metrics", "accuracy", "CLASSIFICATION"]

CLASSIFICATION = ("cross_entropy", "bce_logits")
"""The losses whose scenarios are classifications, and so get an accuracy."""

WINDOW = 1 << 18
BLOCKS = 1 << 15


def accuracy(outputs, targets, loss):
    """The fraction of rows (cross-entropy) or outputs (BCE on logits) classified right."""
    outputs = np.asarray(outputs)
    if loss == "cross_entropy":
        right = np.argmax(outputs, axis=-1) == np.asarray(targets)
    else:
        targets = np.asarray(targets).reshape(outputs.shape)
        right = (outputs > 0) == (targets > 0.5)
    return float(np.mean(right)) if right.size else float("nan")


class StepMetrics:
    """The numbers a scenario's steps measure beside the loss, and their history.

    Args:
        scenario: The :class:`~gradstep.engine.scenario.Scenario`.
        graph: The session's :class:`~gradstep.engine.training.gradient_sources.GraphSource`
            (its :meth:`output` classifies).
        val: The validation batch, or None.
        fast: The :class:`~gradstep.engine.model.dense_program.DenseProgram` the session's steps
            run, or None: its outputs of the step's loss and validation loss are classified
            instead of a second forward pass through the graph.

    Attributes:
        names: The measured values' names, in the order of the log's columns.
    """

    def __init__(self, scenario, graph, val, fast=None):
        self._fast = fast
        self._penalty = penalty(scenario.l1, scenario.l2)
        self._loss = scenario.loss
        self._graph, self._val = graph, val
        self._classify = scenario.loss in CLASSIFICATION
        names = [term for term in ("l1", "l2") if getattr(scenario, term)]
        if self._classify:
            names += ["accuracy"] + (["val_accuracy"] if val is not None else [])
        self.names = tuple(names)
        self._log = ScalarLog(max(2, len(names)), WINDOW, BLOCKS)

    def measure(self, t, theta, batch, new_step):
        """Step ``t``'s values at the parameters ``theta`` before its update, on its ``batch``;
        kept in the history when ``new_step`` (not a replay). Called right after the step's
        loss and validation loss, whose outputs a fast program keeps."""
        values = []
        if self._penalty is not None:
            l1, l2 = self._penalty.terms(theta)
            values += [v for v, c in ((l1, self._penalty.l1), (l2, self._penalty.l2)) if c]
        if self._classify:
            fast = self._fast
            with np.errstate(all="ignore"):
                out = self._graph.output(theta, batch[0]) if fast is None else fast.fit_output
                values.append(accuracy(out, batch[1], self._loss))
                if self._val is not None:
                    out = self._graph.output(theta, self._val[0]) if fast is None else fast.value_output
                    values.append(accuracy(out, self._val[1], self._loss))
        if new_step:
            log = self._log
            if t - 1 < log.end:  # a branch abandoned the steps from t on
                log.truncate(t - 1)
            row = values + [np.nan] * (2 - len(values))
            log.append(row[0], row[1], np.asarray(row[2:], dtype=np.float64))
        return MappingProxyType(dict(zip(self.names, values)))

    def envelope(self, name, columns, low=None, stop=None):
        """What a chart ``columns`` wide draws of ``name``'s history: ``(steps, values)`` (see
        :meth:`~gradstep.engine.training.scalar_log.ScalarLog.envelope`), steps 1 ... ``stop``."""
        stop = self._log.end if stop is None else min(stop, self._log.end)
        return self._log.envelope(self.names.index(name), columns, low, stop=stop)


def step_metrics(scenario, graph, val, fast=None):
    """The scenario's :class:`StepMetrics`, or None when its steps measure nothing but the loss."""
    metrics = StepMetrics(scenario, graph, val, fast)
    return metrics if metrics.names else None
