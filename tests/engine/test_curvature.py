"""The Hessian's largest eigenvalue, against values worked out by hand.

Each expected value is the eigenvalue of a Hessian written in the test from the expression's
second derivatives; the engine only supplies its gradient.
"""

import importlib
import math

import numpy as np
import pytest

from gradstep.engine.analysis.curvature import curvature

from .sessions import bundled, objective

# The module (the package's name `curvature` is the function).
curvature_module = importlib.import_module("gradstep.engine.analysis.curvature")


@pytest.fixture(params=["exact", "power"])
def method(request, monkeypatch):
    """Each case twice: the whole Hessian solved, and power iteration on its products."""
    if request.param == "power":
        monkeypatch.setattr(curvature_module, "EXACT_UP_TO", 0)
    return request.param


def test_the_tutorials_f_abc_curves_most_along_b(method):
    # f = (a - 1)^2 + 10 (b + 2)^2 + c^2: H = diag(2, 20, 2) everywhere, so lambda_max = 20
    # and gradient descent is stable below alpha = 2 / 20 = 0.1 (gd-fabc-large-lr's 0.105 is not).
    found = curvature(bundled("gd-fabc"))
    assert found.lambda_max == pytest.approx(20.0, rel=1e-7)
    assert found.stable_lr == pytest.approx(0.1, rel=1e-7)
    assert abs(found.vector[1]) == pytest.approx(1.0, rel=1e-6)  # the direction of b
    assert found.exact == (method == "exact") and found.converged


def test_a_quadratic_with_a_cross_term(method):
    # f = 3a^2 + 2ab + 3b^2: H = [[6, 2], [2, 6]], eigenvalues 8 (along (1, 1)) and 4.
    found = curvature(objective("3*a**2 + 2*a*b + 3*b**2", a=0.3, b=-1.2))
    assert found.lambda_max == pytest.approx(8.0, rel=1e-7)
    assert abs(found.vector[0]) == pytest.approx(abs(found.vector[1]), rel=1e-5)


def test_a_saddle_reports_its_upward_curvature(method):
    # f = a^2 - 5 b^2: H = diag(2, -10). The steepest curvature is downwards (-10); the largest
    # eigenvalue, the one a learning rate must respect, is 2.
    found = curvature(objective("a**2 - 5*b**2", a=1.0, b=1.0))
    assert found.lambda_max == pytest.approx(2.0, rel=1e-6)


def test_a_maximum_curves_nowhere_upwards(method):
    found = curvature(objective("-(a**2) - 3*b**2", a=0.5, b=0.5))
    assert found.lambda_max == pytest.approx(-2.0, rel=1e-6)
    assert found.stable_lr == math.inf


def test_a_function_that_is_not_quadratic(method):
    # f = a^4 + a b + exp(c) at (1, 2, 0): H = [[12 a^2, 1, 0], [1, 0, 0], [0, 0, e^c]]
    # = [[12, 1, 0], [1, 0, 0], [0, 0, 1]]; the 2x2 block's eigenvalues are 6 +- sqrt(37).
    found = curvature(objective("a**4 + a*b + exp(c)", a=1.0, b=2.0, c=0.0))
    assert found.lambda_max == pytest.approx(6 + math.sqrt(37), rel=1e-6)


def test_power_iteration_agrees_with_the_whole_hessian_on_a_network(monkeypatch):
    session = bundled("xor")
    for _ in range(20):
        session.step()
    exact = curvature(session)
    monkeypatch.setattr(curvature_module, "EXACT_UP_TO", 0)
    power = curvature(session)
    assert exact.exact and not power.exact and power.converged
    assert power.lambda_max == pytest.approx(exact.lambda_max, rel=1e-5)


def test_the_rate_either_side_of_the_bound_decides_convergence():
    # The meaning of the figure, with the engine's own plain gradient descent on f(a, b, c):
    # just below 2 / lambda_max the loss falls, just above it b's swings grow without end.
    bound = curvature(bundled("gd-fabc")).stable_lr
    for factor, falls in ((0.95, True), (1.05, False)):
        session = bundled("gd-fabc")
        session.set_lr(factor * bound)
        first = session.loss_at(session.theta)
        for _ in range(200):
            session.step()
        assert (session.loss_at(session.theta) < first) == falls, factor


def test_the_oscillating_scenario_swings_around_the_minimum_and_converges():
    # gd-fabc-oscillating: lr = 0.095 between 1/lambda_max = 0.05 and 2/lambda_max = 0.1. By hand,
    # each step maps b + 2 to (1 - 20 * 0.095)(b + 2) = -0.9 (b + 2): the sign flips, the size
    # shrinks by 0.9.
    session = bundled("gd-fabc-oscillating")
    bound = curvature(session)
    assert bound.stable_lr / 2 < session.hyper["lr"] < bound.stable_lr
    distance = [float(session.params["b"]) + 2]
    for _ in range(20):
        session.step()
        distance.append(float(session.params["b"]) + 2)
    for before, after in zip(distance, distance[1:]):
        assert after == pytest.approx(-0.9 * before, rel=1e-12)


def test_a_stop_bounds_the_work_from_outside():
    # The dashboard bounds the computation by a clock: told to stop, power iteration ends with
    # the estimate it has (unconverged) and the whole Hessian, which has none, says so.
    from gradstep.engine.analysis.curvature import Stopped

    session = objective("3*a**2 + 2*a*b + 3*b**2", a=0.3, b=-1.2)
    products = []
    power = curvature_module._power(lambda v: products.append(1) or np.array([[6.0, 2.0], [2.0, 6.0]]) @ v,
                                    2, np.random.default_rng(0), stop=lambda: len(products) >= 2)
    assert len(products) == 2 and power[2] == 2 and power[3] is False
    with pytest.raises(Stopped):
        curvature(session, stop=lambda: True)
    curvature_module_exact = curvature_module.EXACT_UP_TO
    try:
        curvature_module.EXACT_UP_TO = 0
        found = curvature(session, stop=lambda: True)
    finally:
        curvature_module.EXACT_UP_TO = curvature_module_exact
    assert not found.converged and found.iterations <= 2
