"""Sessions the engine tests share: a bundled scenario, or an objective written inline."""

import numpy as np

from gradstep.engine.scenario import ExpressionSpec, OptimizerSpec, Scenario, load_scenario, resolve_scenario
from gradstep.engine.training.session import Session


def bundled(name):
    """A fresh session on the bundled scenario ``name``."""
    return Session(load_scenario(resolve_scenario(name)))


def objective(expression, **params):
    """A session minimising ``expression`` with plain SGD from the given scalar values."""
    return Session(Scenario(name="f", kind="objective",
                            model=ExpressionSpec(expression, {k: np.array(v) for k, v in params.items()}),
                            optimizer=OptimizerSpec("sgd", 0.01)))
