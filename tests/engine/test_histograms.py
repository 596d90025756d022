"""Histograms over time (issue 17): bin counts against counts made by hand, and the steps the
history can give them (the ring of records for every quantity, keyframes for the weights)."""

import numpy as np
import pytest

from gradstep.engine.analysis.histograms import bin_counts, groups, histograms
from gradstep.engine.scenario import loads_scenario
from gradstep.engine.training.session import Session

from .sessions import objective

TINY = """
name = "tiny"
seed = 3
[model]
inputs = 1
layers = [ { units = 2, activation = "tanh" }, { units = 1 } ]
[data]
x = [[-1.0], [0.0], [1.0], [2.0]]
y = [[1.0], [0.0], [1.0], [4.0]]
[loss]
kind = "mse"
[optimizer]
kind = "sgd"
lr = 0.1
"""


def test_counts_of_a_few_numbers_by_hand():
    # Values 0 ... 3 in 3 bins: edges 0, 1, 2, 3; the last bin holds its right edge.
    edges, counts = bin_counts([np.array([0.0, 1.0, 2.0, 3.0]), np.array([3.0, 3.0, 3.0, 0.0])], 3)
    assert edges.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert counts.tolist() == [[1, 1, 2], [1, 0, 3]]
    # One value only: a unit-wide range around it; NaN and inf are not counted.
    edges, counts = bin_counts([np.array([2.0, 2.0, np.nan, np.inf])], 2)
    assert edges.tolist() == [1.5, 2.0, 2.5] and counts.tolist() == [[0, 2]]


def by_hand(rows, bins):
    """Each value's bin found by walking the edges, one value at a time."""
    low = min(min(row) for row in rows)
    high = max(max(row) for row in rows)
    width = (high - low) / bins
    counts = []
    for row in rows:
        line = [0] * bins
        for value in row:
            b = 0
            while b < bins - 1 and value >= low + (b + 1) * width:
                b += 1
            line[b] += 1
        counts.append(line)
    return counts


def test_a_tiny_network_each_layer_its_weights_gradients_and_updates():
    session = Session(loads_scenario(TINY))
    records = [session.step() for _ in range(5)]
    assert [name for name, _where in groups(session.layout)] == ["layer1", "layer2"]
    for g, (name, where) in enumerate(groups(session.layout)):
        for quantity in ("theta", "grad", "delta"):
            found = histograms(session, quantity, g, bins=4)
            rows = [getattr(r, quantity)[where].tolist() for r in records]
            if quantity == "theta":  # the initial parameters too
                rows = [list(session.step_inputs(1)[0][where])] + rows
            assert found.steps.tolist() == ([0] if quantity == "theta" else []) + [1, 2, 3, 4, 5]
            assert found.counts.tolist() == by_hand(rows, 4), (name, quantity)
            assert found.entries == (4 if name == "layer1" else 3)  # W 1x2 + b 2; W 2x1 + b 1


def test_an_objective_is_one_group_of_its_scalars():
    session = objective("(a - 1)**2 + 10*(b + 2)**2 + c**2", a=0.0, b=0.0, c=1.0)
    session.step()
    assert groups(session.layout) == [("θ", slice(0, 3))]
    # Step 0: a, b, c = 0, 0, 1; step 1 (SGD, α 0.01): 0.02, -0.4, 0.98. Range -0.4 ... 1 in two
    # bins split at 0.3: step 0 has 0, 0 below and 1 above; step 1 has 0.02, -0.4 below, 0.98 above.
    found = histograms(session, "theta", 0, bins=2)
    assert found.edges.tolist() == pytest.approx([-0.4, 0.3, 1.0])
    assert found.counts.tolist() == [[2, 1], [2, 1]]


def test_the_gradients_reach_back_as_far_as_the_ring_and_the_weights_to_the_keyframes():
    # A ring of a few records and a keyframe every 3 steps: after 10 steps the gradients reach
    # back over the last few steps only, the weights also to every keyframe and step 0.
    session = Session(loads_scenario(TINY), history_options=dict(max_window=4, keyframe_seconds=1e9,
                                                                 max_interval=3))
    records = [session.step() for _ in range(10)]
    grads = histograms(session, "grad", 0, bins=3).steps.tolist()
    assert 2 <= len(grads) < 10 and grads == list(range(11 - len(grads), 11))  # the latest, in a run
    keyframes = [k for k in session.history.keyframe_steps if 1 <= k <= 10]
    assert keyframes and min(keyframes) < grads[0]  # the keyframes reach further back
    theta = histograms(session, "theta", 0, bins=3)
    assert theta.steps.tolist() == sorted({0, *grads, *keyframes})
    # Each kept step counted from that step's own parameters (a keyframe's are the record's).
    rows = [session.step_inputs(1)[0][:4]] + [records[t - 1].theta[:4] for t in theta.steps[1:]]
    assert theta.counts.tolist() == by_hand([list(r) for r in rows], 3)
    assert histograms(session, "theta", 0, bins=3, most=3).steps.tolist() == [
        0, theta.steps[len(theta.steps) // 2], 10]
    session.goto(10 - len(grads) + 1)  # back in time: only what is at or before the step shown
    assert histograms(session, "delta", 0, bins=3).steps.tolist()[-1] == 10 - len(grads) + 1
