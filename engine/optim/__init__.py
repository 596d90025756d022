"""The optimizers: PyTorch's update rules as pure functions over one flat parameter vector.

``updates`` holds each optimizer's pure update, its defaults (PyTorch's, stated once) and the
names of its state in the tutorial's words (``V``, ``S``, ``V_hat``, ``S_hat``).
"""


from gradstep.engine.optim.updates import (
    DEFAULTS, OPTIMIZERS, STATE_NAMES, ADAM_FAMILY, hyperparameters, init_state, update, derived_state, bias_corrections, state_names, effective_lr, sgd_update, momentum_update, nesterov_update, rmsprop_update, adagrad_update, adam_update, adamw_update, amsgrad_update, Optimizer,
)

__all__ = [
    "DEFAULTS", "OPTIMIZERS", "STATE_NAMES", "ADAM_FAMILY", "hyperparameters", "init_state",
    "update", "derived_state", "bias_corrections", "state_names", "effective_lr", "sgd_update",
    "momentum_update", "nesterov_update", "rmsprop_update", "adagrad_update", "adam_update",
    "adamw_update", "amsgrad_update", "Optimizer"
]
