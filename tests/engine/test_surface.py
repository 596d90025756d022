"""The loss surface: grid values are the engine's loss at those points."""

import time

import numpy as np
import pytest

from gradstep.engine.scenario import ExpressionSpec, OptimizerSpec, Scenario, load_scenario, resolve_scenario
from gradstep.engine.training.session import Session
from gradstep.engine.analysis.surface import entry_label, loss_grid, pick_entries, surface, window


from tests.engine.sessions import bundled, objective  # noqa: E402


@pytest.mark.parametrize("name,steps", [("rosenbrock", 0), ("adam-fabc", 5), ("mse-3x5", 2),
                                        ("linear-regression", 3), ("xor", 4), ("moons", 3)])
def test_grid_values_are_the_loss_at_those_points(name, steps):
    session = bundled(name)
    session.run(steps)
    s = surface(session, shape=(9, 13))
    assert s.Z.shape == (9, 13) and s.xs.shape == (13,) and s.ys.shape == (9,)
    assert s.x_entry != s.y_entry
    assert s.sliced == (session.layout.size > 2)
    assert s.loss == session.loss_at(session.theta)
    rng = np.random.default_rng(0)
    fx, fy = (session.layout.slices[session.layout.index[n]].start
              + (int(np.ravel_multi_index(i, session.layout.shapes[session.layout.index[n]])) if i else 0)
              for n, i in (s.x_entry, s.y_entry))
    for i, j in [(0, 0), (8, 12), *zip(rng.integers(0, 9, 6), rng.integers(0, 13, 6))]:
        theta = np.array(session.theta)
        theta[fx], theta[fy] = s.xs[j], s.ys[i]
        assert s.Z[i, j] == pytest.approx(session.loss_at(theta), rel=1e-13)
    # the current point sits inside the window
    assert s.xs[0] < s.point[0] < s.xs[-1] and s.ys[0] < s.point[1] < s.ys[-1]


def test_rosenbrock_minimum_appears_at_one_one():
    session = bundled("rosenbrock")
    xs = np.linspace(-2.0, 2.0, 81)     # steps of 0.05: 1.0 is a grid point
    ys = np.linspace(-1.0, 3.0, 81)
    Z = loss_grid(session, xs, ys)
    i, j = np.unravel_index(np.nanargmin(Z), Z.shape)
    assert (xs[j], ys[i]) == pytest.approx((1.0, 1.0), abs=1e-12)
    assert Z[i, j] == pytest.approx(0.0, abs=1e-20)
    assert Z[40, 40] == session.loss_at(np.array([0.0, 1.0])) == 101.0   # f(0, 1) = 1 + 100


def test_window_follows_the_trajectory():
    session = bundled("rosenbrock")
    path = [session.theta.copy()]
    for _ in range(300):
        path.append(session.step().theta)
    path = np.array(path)
    s = surface(session, trajectory=path, shape=(40, 80))
    assert s.xs[0] <= path[:, 0].min() and s.xs[-1] >= path[:, 0].max()
    assert s.ys[0] <= path[:, 1].min() and s.ys[-1] >= path[:, 1].max()
    assert (s.x, s.y) == ("x", "y") and not s.sliced
    assert window([[0.0, 1.0], [2.0, 1.0]], margin=0.1) == ((-0.2, 2.2), (0.5, 1.5))


def test_not_finite_is_nan():
    session = objective("log(x) + y**2", x=1.0, y=0.0)
    Z = loss_grid(session, [-1.0, 0.0, 1.0], [0.0, 1.0])
    assert np.isnan(Z[:, :2]).all()
    assert Z[:, 2] == pytest.approx([0.0, 1.0])
    assert not Z.flags.writeable


def test_default_entries_have_the_largest_gradients():
    session = bundled("sine-net")
    record = session.run(3)
    (nx, ix), (ny, iy) = pick_entries(session)
    top = np.sort(np.argsort(-np.abs(record.grad))[:2])
    views = record.layout.views(np.arange(record.layout.size))
    assert {int(views[nx][ix]), int(views[ny][iy])} == set(top.tolist())
    assert pick_entries(bundled("adam-fabc")) == (("a", ()), ("b", ()))     # |40| then |-2| (ties: first)
    assert entry_label("layer1.W", (0, 3)) == "layer1.W[0, 3]" and entry_label("a", ()) == "a"
    s = surface(session, x=("layer2.b", (0,)), y=("layer1.W", (0, 2)), shape=(3, 4))
    assert (s.x, s.y) == ("layer2.b[0]", "layer1.W[0, 2]")
    with pytest.raises(ValueError):
        loss_grid(session, [0.0], [0.0], x=0, y=0)


@pytest.mark.parametrize("name", ["rosenbrock", "adam-fabc", "chain-rule", "xor", "sine-net"])
def test_a_40_by_80_grid_is_fast(name):
    session = bundled(name)
    session.run(2)
    started = time.perf_counter()
    s = surface(session, shape=(40, 80))
    assert time.perf_counter() - started < 1.0
    assert np.isfinite(s.Z).all()
