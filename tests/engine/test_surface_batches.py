"""A network's loss surface in batches equals the loss point by point (the graph's), for every
loss, and for entries in any layer, weights or biases, in one column or two."""

from __future__ import annotations

import numpy as np
import pytest

from gradstep.engine import Session
from gradstep.engine import memory
from gradstep.engine.analysis.surface import flat_position, loss_grid
from gradstep.engine.scenario import Dataset, LayerSpec, NetworkSpec, OptimizerSpec, Scenario

LOSSES = {
    "mse": lambda rng, n: rng.standard_normal((n, 2)),
    "mae": lambda rng, n: rng.standard_normal((n, 2)),
    "huber": lambda rng, n: 3 * rng.standard_normal((n, 2)),  # both sides of delta = 1
    "bce_logits": lambda rng, n: rng.integers(0, 2, (n, 2)).astype(float),
    "cross_entropy": lambda rng, n: rng.integers(0, 2, n),
}


def network(loss, activation="tanh"):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((23, 3))
    y = LOSSES[loss](rng, 23)
    layers = (LayerSpec(4, activation), LayerSpec(3, "sigmoid"), LayerSpec(2))
    return Scenario(name="n", kind="network", model=NetworkSpec(3, layers), data=Dataset(x, y), loss=loss,
                    optimizer=OptimizerSpec("adam", 0.05), seed=2)


def by_points(session, xs, ys, fx, fy):
    """The graph's loss at each grid point, one point at a time: the reference."""
    Z = np.empty((len(ys), len(xs)))
    theta = np.array(session.theta)
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            theta[fx], theta[fy] = xv, yv
            Z[i, j] = session.loss_at(theta)
    return Z


PAIRS = {
    "first layer W, two columns": (("layer1.W", (0, 1)), ("layer1.W", (2, 3))),
    "one column, W and b": (("layer2.W", (1, 2)), ("layer2.b", (2,))),
    "one column, two rows": (("layer2.W", (0, 1)), ("layer2.W", (3, 1))),
    "first and last layers": (("layer1.b", (1,)), ("layer3.W", (2, 0))),
    "last layer only": (("layer3.W", (0, 1)), ("layer3.b", (0,))),
}


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("pair", list(PAIRS))
def test_batches_equal_the_loss_point_by_point(loss, pair):
    session = Session(network(loss))
    session.run(3)
    x, y = PAIRS[pair]
    fx, fy = flat_position(session.layout, x), flat_position(session.layout, y)
    xs = session.theta[fx] + np.linspace(-2, 2, 7)
    ys = session.theta[fy] + np.linspace(-1.5, 1.5, 5)
    Z = loss_grid(session, xs, ys, x, y)
    np.testing.assert_allclose(Z, by_points(session, xs, ys, fx, fy), rtol=1e-12, atol=1e-14)


def test_chunks_give_the_same_losses_and_a_tiny_budget_is_refused():
    session = Session(network("cross_entropy", "relu"))
    session.run(2)
    fx, fy = flat_position(session.layout, ("layer1.W", (0, 0))), flat_position(session.layout, ("layer3.b", (1,)))
    values = np.linspace(-1, 1, 50)
    changes = [(fx, values), (fy, values[::-1].copy())]
    whole = session.losses_along(session.theta, changes)
    one_by_one = session.losses_along(session.theta, changes, chunk_bytes=1)
    np.testing.assert_allclose(one_by_one, whole, rtol=1e-13)
    reference = []
    theta = np.array(session.theta)
    for a, b in zip(*[v for _f, v in changes]):
        theta[fx], theta[fy] = a, b
        reference.append(session.loss_at(theta))
    np.testing.assert_allclose(whole, reference, rtol=1e-12)
    old = memory.limit()
    memory.set_limit(1000)
    try:
        with pytest.raises(memory.MemoryBudgetError, match="loss surface"):
            session.losses_along(session.theta, changes)
    finally:
        memory.set_limit(old)
