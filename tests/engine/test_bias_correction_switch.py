"""The Adam family's ``bias_correction`` switch (issue 18: gradient_descent_viz's "use bias
correction"): off, the step divides V and S as they are. Reference values worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradstep.engine import Session, load_scenario, resolve_scenario
from gradstep.engine import optim


def test_two_steps_without_bias_correction_worked_by_hand():
    # adam-fabc: Adam α = 0.05 on f = (a − 1)² + 10(b + 2)² + c² from (a, b, c) = (0, 0, 1)
    s = Session(load_scenario(resolve_scenario("adam-fabc")))
    s.set_hyper(bias_correction=False)
    r1, r2 = s.step(), s.step()
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    a, V, S = 0.0, 0.0, 0.0
    for r in (r1, r2):
        g = 2 * (a - 1)
        V = b1 * V + (1 - b1) * g
        S = b2 * S + (1 - b2) * g * g
        a = a - lr * V / (math.sqrt(S) + eps)  # no 1 − β1ᵗ, 1 − β2ᵗ
        assert float(r.params["a"]) == pytest.approx(a, rel=1e-13)
        assert float(r.state["a"]["V"]) == pytest.approx(V, rel=1e-13)
    # step 1 by hand: a = 0.05·0.2/(√0.004 + 1e-8) ≈ 0.158113858, not Adam's 0.0499999997
    assert float(r1.params["a"]) == pytest.approx(0.05 * 0.2 / (math.sqrt(0.004) + 1e-8), rel=1e-13)
    # the state shows V and S unhatted, and no bias corrections
    assert list(r2.flat_state) == ["V", "S"] and r2.bias_correction1 is None
    assert optim.state_names("adam", r2.hyper) == ("V", "S")


@pytest.mark.parametrize("kind", ["adam", "adamw", "amsgrad"])
def test_the_fused_kernels_equal_the_pure_update_bit_for_bit_either_way(kind):
    rng = np.random.default_rng(7)
    theta = rng.normal(size=50)
    for switch in (True, False):
        hp = optim.hyperparameters(kind, 0.01, bias_correction=switch, weight_decay=0.1)
        state, fused_state, fused_theta, pure_theta = optim.init_state(kind, theta, hp), None, theta, theta
        fused_state, stepper = state, optim.stepper(kind)
        for _t in range(5):
            grad = rng.normal(size=50)
            pure_theta, state = optim.update(kind, pure_theta, grad, state, hp)
            fused_theta, fused_state, _check = stepper.step(fused_theta, grad, fused_state, hp)
            assert np.array_equal(pure_theta, fused_theta)
            assert np.array_equal(state["S"], fused_state["S"])


def test_the_switch_at_its_default_is_not_held_and_bad_values_are_refused():
    assert "bias_correction" not in optim.hyperparameters("adam", 0.1, bias_correction=True)
    assert optim.hyperparameters("adam", 0.1, bias_correction=0)["bias_correction"] == 0.0
    with pytest.raises(ValueError, match="bias_correction"):
        optim.hyperparameters("adam", 0.1, bias_correction=0.5)
    with pytest.raises(ValueError, match="bias_correction"):
        optim.hyperparameters("sgd", 0.1, bias_correction=False)
