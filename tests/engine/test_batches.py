"""The batching rule: which rows step t learns from, found from t alone."""

import numpy as np
import pytest

from gradstep.engine.scenario import Dataset, LayerSpec, NetworkSpec, OptimizerSpec, Scenario, TrainingSpec
from gradstep.engine.training.batches import Batches
from gradstep.engine.training.session import Session

X = np.arange(5.0)[:, None] * 10.0  # row i holds 10 i, so a batch names its rows
Y = np.arange(5.0)


def batches(size, shuffle, seed=0):
    return Batches(X, Y, size, shuffle, seed, inputs=lambda x: x)


def rows_of(batch):
    inputs, targets = batch
    np.testing.assert_array_equal(inputs[:, 0], targets * 10.0)
    return targets.astype(int).tolist()


# Each epoch's order is np.random.default_rng([seed, 1, epoch]).permutation(5), written out:
ORDERS = {(0, 0): [1, 4, 3, 0, 2], (0, 1): [0, 4, 3, 1, 2], (3, 0): [1, 4, 0, 2, 3], (3, 1): [3, 0, 2, 4, 1]}


def test_the_orders_written_out_are_numpys():
    for (seed, epoch), order in ORDERS.items():
        assert np.random.default_rng([seed, 1, epoch]).permutation(5).tolist() == order
        assert batches(2, True, seed).order(epoch).tolist() == order


@pytest.mark.parametrize("seed", [0, 3])
def test_five_rows_in_batches_of_two_shuffled(seed):
    e0, e1 = ORDERS[seed, 0], ORDERS[seed, 1]
    # ceil(5 / 2) = 3 batches an epoch, the last of one row
    want = [e0[0:2], e0[2:4], e0[4:5], e1[0:2], e1[2:4], e1[4:5]]
    b = batches(2, True, seed)
    assert b.per_epoch == 3
    got = [b.at(t) for t in range(1, 7)]
    assert [rows_of(batch) for batch, _position in got] == want
    assert [position for _batch, position in got] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]


def test_without_shuffle_the_rows_come_in_order():
    b = batches(2, False)
    assert [rows_of(b.at(t)[0]) for t in range(1, 7)] == [[0, 1], [2, 3], [4], [0, 1], [2, 3], [4]]


def test_the_batch_of_a_step_does_not_depend_on_the_steps_asked_before():
    straight = [rows_of(batches(2, True).at(t)[0]) for t in range(1, 13)]
    b = batches(2, True)
    for t in (12, 1, 7, 7, 3, 11, 4, 2, 6, 5, 9, 8, 10):
        assert rows_of(b.at(t)[0]) == straight[t - 1]


@pytest.mark.parametrize("size", [0, 5, 7])
def test_one_batch_of_every_row_when_the_size_covers_the_data(size):
    b = batches(size, True)
    assert b.per_epoch == 1
    for t in (1, 2, 9):
        batch, position = b.at(t)
        assert batch is b.full and rows_of(batch) == [0, 1, 2, 3, 4]
        assert position == (0, t - 1)  # every step is an epoch of its own


def test_no_data_is_one_empty_batch():
    b = Batches(None, None, 4, True, 0, inputs=None)
    assert b.full == (None, None)
    assert b.at(3) == ((None, None), (0, 2))


def test_the_session_steps_step_inputs_and_replays_use_the_same_batches():
    sc = Scenario(name="n", kind="network", model=NetworkSpec(1, (LayerSpec(1),)), data=Dataset(X, Y), loss="mse",
                  optimizer=OptimizerSpec("sgd", 1e-4), training=TrainingSpec(batch_size=2, shuffle=True), seed=3)
    session = Session(sc, {"window_bytes": 1, "max_interval": 4, "keyframe_seconds": 1e9})
    records = [session.step() for _ in range(20)]
    replayed = [t for t in range(1, 20) if session.history.cached(t) is None]  # goto replays these
    assert len(replayed) >= 8
    for t in replayed:
        record = session.goto(t)
        assert record.batch == records[t - 1].batch and record.loss == records[t - 1].loss
    e0, e1 = ORDERS[3, 0], ORDERS[3, 1]
    want = [e0[0:2], e0[2:4], e0[4:5], e1[0:2], e1[2:4], e1[4:5]]
    assert [r.batch for r in records[:6]] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]
    for t, rows in enumerate(want, start=1):
        theta, (_inputs, targets) = session.step_inputs(t)
        assert targets.astype(int).tolist() == rows
        w, b = theta  # layer1.W (1 x 1), layer1.b
        assert records[t - 1].loss == pytest.approx(np.mean((X[rows, 0] * w + b - Y[rows]) ** 2), rel=1e-12)
