"""The optimizers: one registry entry per optimizer, PyTorch's update rules as pure functions.

Everything about one optimizer sits in its entry (:class:`OptimizerEntry`): its defaults
(PyTorch's), its state in the tutorial's words (``V``, ``S``, ``V_hat``, ``S_hat``) in display
order, its pure update over one flat parameter vector, the step size each parameter effectively
gets, its equations (symbolic, and worked with a step's numbers) and its title. The family
modules ``sgd``, ``adaptive``, ``adam`` and ``adam_variants`` write the entries, ``registry`` lists them as
:data:`OPTIMIZERS` and answers the functions the session, the scenario reader and the interface
call by an optimizer's name; ``hyper`` states the symbol and range of every hyperparameter once.
``fused`` runs the same updates as one kernel sequence per step, bit for bit the same numbers,
for the training loop (:func:`stepper`).
"""

from gradstep.engine.optim.adam import adam_update, adamw_update, amsgrad_update
from gradstep.engine.optim.adam_variants import adamax_update, nadam_update, radam_update
from gradstep.engine.optim.adaptive import adadelta_update, adagrad_update, rmsprop_update
from gradstep.engine.optim.entry import Numbers, OptimizerEntry, Scalar
from gradstep.engine.optim.fused import FUSED_KINDS, FusedUpdate, stepper
from gradstep.engine.optim.hyper import HYPER_SYMBOLS, HYPERPARAMETERS, Hyperparameter
from gradstep.engine.optim.optimizer import Optimizer
from gradstep.engine.optim.registry import (
    ADAM_FAMILY, DEFAULTS, OPTIMIZER_TITLES, OPTIMIZERS, STATE_NAMES, STATE_SYMBOLS, bias_corrections,
    derived_state, effective_lr, effective_lr_formula, entry, hyperparameters, init_state,
    optimizer_title, state_names, step_notes, step_size_varies, symbolic_lines, update, worked_lines,
)
from gradstep.engine.optim.sgd import momentum_update, nesterov_update, sgd_update

__all__ = [
    "OPTIMIZERS", "OptimizerEntry", "entry", "DEFAULTS", "STATE_NAMES", "STATE_SYMBOLS", "ADAM_FAMILY",
    "OPTIMIZER_TITLES", "HYPERPARAMETERS", "Hyperparameter", "HYPER_SYMBOLS",
    "hyperparameters", "init_state", "update", "derived_state", "bias_corrections", "state_names",
    "effective_lr", "effective_lr_formula", "step_size_varies", "optimizer_title", "symbolic_lines", "worked_lines",
    "step_notes", "Scalar", "Numbers",
    "sgd_update", "momentum_update", "nesterov_update", "rmsprop_update", "adagrad_update",
    "adam_update", "adamw_update", "amsgrad_update", "adadelta_update", "adamax_update",
    "nadam_update", "radam_update",
    "Optimizer", "FusedUpdate", "FUSED_KINDS", "stepper",
]
