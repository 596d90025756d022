"""The float fast path for scalar objectives gives the autodiff graph's numbers."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradstep.engine.scenario import ExpressionSpec, OptimizerSpec, Scenario, loads_scenario
from gradstep.engine.training.gradient_sources import ScalarSource
from gradstep.engine.training.session import Diverged, Session

EXPRESSIONS = [
    "(a - 1)**2 + 10*(b + 2)**2 + c**2",
    "(1 - a)**2 + 100*(b - a**2)**2 + 0*c",
    "sin(a) * cos(b) + tan(c / 4)",
    "exp(a / 3) + log(b**2 + 1) + sqrt(c**2 + 2)",
    "abs(a) + relu(b) + softplus(c * 7) + sigmoid(a - b)",
    "tanh(a * b) / (c**2 + 1) - -a",
    "max(a, b) + min(b, c) + mean(a) + sum(c)",
    "(a**2 + 1) ** (b / 3) + 2 ** c + pi * e",
    "a**3 - 3*a*b**2 + c**-2 + a**0",
]


def scenario(expression, a, b, c):
    return Scenario(name="x", kind="objective",
                    model=ExpressionSpec(expression, {"a": np.array(a), "b": np.array(b), "c": np.array(c)}),
                    optimizer=OptimizerSpec("adam", 0.01))


@settings(max_examples=30, deadline=None)
@given(values=st.tuples(*[st.floats(-2, 2).filter(lambda v: abs(v) > 1e-3)] * 3))
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_fast_path_equals_the_graph(expression, values):
    session = Session(scenario(expression, *values))
    assert isinstance(session._source, ScalarSource)
    theta = session.theta
    try:
        loss, grad = session._source.program.value_and_grad(theta.tolist())
    except (ArithmeticError, ValueError):
        return  # refused: the session falls back to the graph for this step
    graph_loss, graph_grad = session.gradient_at(theta)  # the autodiff graph
    assert loss == pytest.approx(graph_loss, rel=1e-13, abs=1e-300)
    np.testing.assert_allclose(grad, graph_grad, rtol=1e-12, atol=1e-300)


def test_kinks_and_ties_follow_the_graph():
    session = Session(scenario("abs(a) + relu(b) + max(a, c)", 0.0, 0.0, 0.0))
    _, grad = session._source.program.value_and_grad([0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad, session.gradient_at(session.theta)[1])  # 0.5 each for the tie


def test_the_record_is_the_same_with_and_without_the_fast_path():
    fast = Session(scenario(EXPRESSIONS[0], 0.3, 0.1, -0.4))
    slow = Session(scenario(EXPRESSIONS[0], 0.3, 0.1, -0.4))
    slow._source = slow._graph
    for _ in range(20):
        r1, r2 = fast.step(), slow.step()
        assert r1.loss == pytest.approx(r2.loss, rel=1e-14)
        np.testing.assert_allclose(r1.theta, r2.theta, rtol=1e-13)


def test_refusals_fall_back_to_the_graph_and_its_explanation():
    sc = loads_scenario('name = "l"\n[objective]\nexpression = "log(b) + (a - 1)**2"\n'
                        'params = { a = 0.0, b = 0.5 }\n[optimizer]\nkind = "sgd"\nlr = 1.0\n')
    session = Session(sc)
    assert isinstance(session._source, ScalarSource)
    session.step()
    with pytest.raises(Diverged, match="log of a negative value in log\\(b\\)"):
        session.step()


def test_not_used_for_arrays_or_float32_transcendentals():
    sc = loads_scenario('name = "m"\n[objective]\nexpression = "mean((P - Y)**2)"\n'
                        'params = { P = [1.0, 2.0] }\nconstants = { Y = [0.0, 1.0] }\n')
    assert not isinstance(Session(sc)._source, ScalarSource)
    f32 = Scenario(name="x", kind="objective", dtype="float32",
                   model=ExpressionSpec("exp(a)", {"a": np.array(1.0)}))
    assert not isinstance(Session(f32)._source, ScalarSource)


def test_float32_arithmetic_stays_float32_and_equals_the_graph():
    sc = Scenario(name="x", kind="objective", dtype="float32", optimizer=OptimizerSpec("adam", 0.05),
                  model=ExpressionSpec(EXPRESSIONS[0], {k: np.array(v) for k, v in zip("abc", (0.3, 0.1, -0.4))}))
    fast, slow = Session(sc), Session(sc)
    slow._source = slow._graph
    assert isinstance(fast._source, ScalarSource)
    for _ in range(30):
        r1, r2 = fast.step(), slow.step()
        assert r1.theta.dtype == np.float32 and r1.grad.dtype == np.float32
        np.testing.assert_allclose(r1.grad, r2.grad, rtol=1e-6)
        np.testing.assert_allclose(r1.theta, r2.theta, rtol=1e-6)
