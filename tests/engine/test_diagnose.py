"""A diverging run names the step, the operation and the parameter or layer."""

import warnings

import numpy as np
import pytest

from gradstep.engine.scenario import Dataset, LayerSpec, NetworkSpec, OptimizerSpec, Scenario, loads_scenario
from gradstep.engine.training.session import Diverged, Session


def objective(expression, params, lr, kind="sgd"):
    return loads_scenario(f'name = "x"\n[objective]\nexpression = "{expression}"\nparams = {{ {params} }}\n'
                          f'[optimizer]\nkind = "{kind}"\nlr = {lr}\n')


def diverge(scenario, steps=2000):
    session = Session(scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning may escape
        with pytest.raises(Diverged) as info:
            session.run(steps)
    return session, info.value


def test_log_of_a_negative_value_names_the_parameter():
    # a = 0.5: d/db log(b) = 1/b = 2, so one step of lr 1 takes b to -1.5
    session, exc = diverge(objective("log(b) + (a - 1)**2", "a = 0.0, b = 0.5", 1.0))
    assert exc.step == 2 and session.t == 1
    assert "step 2" in exc.message and "log of a negative value in log(b)" in exc.message


def test_overflow_in_exp_names_the_expression():
    _, exc = diverge(objective("exp(a*a)", "a = 1.0", 1.0))
    assert "overflow in exp" in exc.message and "a * a" in exc.message


def test_overflow_in_a_network_names_the_layer():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 1))
    sc = Scenario(name="n", kind="network", model=NetworkSpec(1, (LayerSpec(8, "relu"), LayerSpec(1))),
                  data=Dataset(x, 1e3 * x[:, 0]), loss="mse", optimizer=OptimizerSpec("sgd", 5.0))
    session, exc = diverge(sc)
    assert exc.step == session.t + 1
    assert "layer" in exc.message or "mse" in exc.message, exc.message


def test_going_back_from_a_diverged_state_works():
    session, exc = diverge(objective("log(b) + (a - 1)**2", "a = 0.0, b = 0.5", 1.0))
    session.goto(0)
    session.set_lr(0.01)
    record = session.run(5)
    assert np.isfinite(record.loss)


def test_the_expression_named_has_only_the_parentheses_it_needs():
    # gd-fabc's b term with lr 0.105 > 2/20: b's swings grow by |1 - 0.105 * 20| = 1.1 a step,
    # and 10*(b + 2)**2 overflows in its product after a few thousand steps.
    _, exc = diverge(objective("(a - 1)**2 + 10*(b + 2)**2", "a = 0.0, b = 0.0", 0.105), steps=5000)
    assert "overflow in mul in 10 * (b + 2)**2" in exc.message, exc.message
