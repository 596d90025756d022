"""Adam on Python floats for a handful of parameters, and the step's finite check.

:class:`gradstep.engine.optim.fused_adam.SmallAdam` must give the pure update's numbers bit for
bit (the pure update is what ``test_optim.py`` checks against PyTorch), and hand a step it cannot
take exactly (a value that is not finite) to the NumPy kernel. The finite check must find inf
and NaN and nothing else: a block of finite values whose sum overflows is not a divergence.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradstep.engine import optim
from gradstep.engine.optim.fused_adam import SMALL
from gradstep.engine.scenario import ExpressionSpec, OptimizerSpec, Scenario
from gradstep.engine.training.session import Session

SETTINGS = [{}, {"weight_decay": 0.1}, {"beta1": 0.3}, {"beta2": 0.5, "eps": 1e-3},
            {"bias_correction": False}]


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("size", [1, 3, SMALL])
@pytest.mark.parametrize("hyper", SETTINGS, ids=lambda h: "-".join(h) or "default")
def test_small_adam_equals_the_pure_update_bit_for_bit(size, hyper):
    rng = np.random.default_rng(size)
    hp = optim.hyperparameters("adam", 0.05, **hyper)
    fused = optim.FusedUpdate("adam")
    theta = rng.standard_normal(size)
    state = optim.init_state("adam", theta, hp)
    pure_theta, pure_state = theta, state
    for _step in range(8):
        grad = rng.standard_normal(size) * 10.0 ** rng.integers(-6, 6, size)
        theta, state, finite = fused.step(theta, grad, state, hp)
        assert fused._small is not None and finite is True  # the float path took the step
        pure_theta, pure_state = optim.update("adam", pure_theta, grad, pure_state, hp)
        assert _same(theta, pure_theta)
        assert state["t"] == pure_state["t"]
        assert _same(state["V"], pure_state["V"]) and _same(state["S"], pure_state["S"])


def test_small_adam_hands_a_step_that_overflows_to_the_kernel():
    """g² of a huge gradient overflows: the step is the kernel's, infs and NaNs included."""
    hp = optim.hyperparameters("adam", 0.05)
    theta = np.array([1.0, -2.0, 0.5])
    state = optim.init_state("adam", theta, hp)
    grad = np.array([1e200, 2.0, np.nan])
    with np.errstate(all="ignore"):
        new_theta, new_state, finite = optim.FusedUpdate("adam").step(theta, grad, state, hp)
        pure_theta, pure_state = optim.update("adam", theta, grad, state, hp)
    assert finite is False
    assert _same(new_theta, pure_theta) and _same(new_state["S"], pure_state["S"])
    assert not np.isfinite(new_state["S"]).all()


@pytest.mark.parametrize("kind", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("size", [2, 20000])
def test_finite_values_whose_sum_overflows_are_finite(kind, dtype, size):
    """Parameters at three quarters of the dtype's largest value, each finite: their sum
    overflows, and the check must still call the step finite (a sum made this a false
    divergence)."""
    big = np.finfo(dtype).max * 0.75
    theta = np.full(size, big, dtype)
    hp = optim.hyperparameters(kind, 1e-3)
    state = optim.init_state(kind, theta, hp)
    with np.errstate(all="ignore"):
        new_theta, _state, finite = optim.FusedUpdate(kind).step(theta, np.zeros(size, dtype), state, hp)
    assert np.isfinite(new_theta).all() and finite is True


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_session_near_the_largest_float_does_not_diverge(dtype):
    """f(a, b) = 0 a + 0 b from a = b = 3/4 of the dtype's largest value: every value stays
    finite, so no step diverges (a sum of the new parameters overflowed, and the session said
    "the update made a infinite or NaN" at step 1)."""
    big = float(np.finfo(dtype).max) * 0.75
    scenario = Scenario(name="f", kind="objective",
                        model=ExpressionSpec("0*a + 0*b", {"a": np.array(big), "b": np.array(big)}),
                        optimizer=OptimizerSpec("adam", 0.01), dtype=dtype)
    record = Session(scenario).run(3)
    assert record.step == 3 and record.theta.tolist() == [float(np.dtype(dtype).type(big))] * 2


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("size", [3, 40, 20000])
def test_the_check_finds_inf_and_nan(bad, size):
    """One bad parameter anywhere in a short or long block fails the check."""
    hp = optim.hyperparameters("sgd", 1e-3)
    theta = np.ones(size)
    theta[size // 2] = bad
    state = optim.init_state("sgd", theta, hp)
    with np.errstate(all="ignore"):
        _theta, _state, finite = optim.FusedUpdate("sgd").step(theta, np.zeros(size), state, hp)
    assert finite is False
