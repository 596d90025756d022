"""One gradient source per scenario, chosen once; the fast ones hand refusals to the graph."""

import math

import numpy as np
import pytest

from gradstep.engine.scenario import ExpressionSpec, OptimizerSpec, Scenario, load_scenario, resolve_scenario
from gradstep.engine.training.gradient_sources import DenseSource, GraphSource, ScalarSource
from gradstep.engine.training.session import Session


def objective(expression, dtype="float64", **params):
    return Scenario(name="f", kind="objective", dtype=dtype, optimizer=OptimizerSpec("sgd", 0.1),
                    model=ExpressionSpec(expression, {k: np.array(v) for k, v in params.items()}))


@pytest.mark.parametrize("name, source", [
    ("gd-fabc", ScalarSource),            # an objective of scalars
    ("rosenbrock", ScalarSource),
    ("chain-rule", ScalarSource),
    ("mse-3x5", GraphSource),             # an objective of arrays
    ("linear-regression", GraphSource),   # a parametric model reads named input columns
    ("quadratic-fit", GraphSource),
    ("sine-net", DenseSource),            # every network
    ("moons", DenseSource),
    ("xor", DenseSource),
])
def test_the_source_chosen_for_each_bundled_scenario(name, source):
    session = Session(load_scenario(resolve_scenario(name)))
    assert type(session._source) is source
    assert type(session._graph) is GraphSource
    assert (session._source is session._graph) == (source is GraphSource)


def test_float32_objectives_use_the_program_for_arithmetic_only():
    assert type(Session(objective("(a - 1)**2 * b", "float32", a=0.5, b=2.0))._source) is ScalarSource
    assert type(Session(objective("exp(a) * b", "float32", a=0.5, b=2.0))._source) is GraphSource


def test_the_step_takes_its_loss_and_gradient_from_the_source():
    session = Session(objective("(a - 1)**2 + 10*(b + 2)**2", a=0.5, b=0.0))
    loss, grad = session._source.value_and_grad(session.theta, (None, None))
    assert loss == 0.25 + 40.0 and grad.tolist() == [2 * (0.5 - 1), 20 * (0.0 + 2)]
    record = session.step()
    assert record.loss == loss and record.grad.tolist() == grad.tolist()


@pytest.mark.parametrize("expression, a, want", [
    ("exp(a)", 1000.0, math.inf),          # math.exp overflows; NumPy gives inf
    ("log(a)", -1.0, math.nan),            # math.log refuses; NumPy gives NaN
    ("a**0.5", -4.0, math.nan),            # a negative base to a fractional power
    ("a * a", 1e200, math.inf),            # no refusal, but not finite
])
def test_the_scalar_program_hands_what_it_cannot_answer_to_the_graph(expression, a, want):
    session = Session(objective(expression, a=a))
    assert type(session._source) is ScalarSource
    theta = session.theta
    with np.errstate(all="ignore"):
        loss, grad = session._source.value_and_grad(theta, (None, None))
        graph_loss, graph_grad = session._graph.value_and_grad(theta, (None, None))
    assert (loss == want) or (math.isnan(loss) and math.isnan(want))
    np.testing.assert_array_equal(grad, graph_grad)
    assert type(grad) is np.ndarray and grad.dtype == np.float64
