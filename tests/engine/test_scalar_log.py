"""The bounded scalar log: memory under its budget, exact recent steps, charts that keep every
bucket's extremes, and time travel that stays exact when the scalars are summarised."""

import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradstep.engine.training.scalar_log import FLOOR, ScalarLog
from gradstep.engine.training.session import Session
from tests.engine.test_history import OPS, assert_same, net_scenario, straight, walk


def filled(rows, window, blocks, chunk, seed=0):
    """A log of ``rows`` rows of 4 columns (loss, no validation, two norms) and the rows."""
    rng = np.random.default_rng(seed)
    full = np.exp(rng.normal(size=(rows, 4)))
    full[rng.integers(0, rows, size=max(1, rows // 500)), 0] *= 1e3  # spikes
    full[:, 1] = np.nan
    log = ScalarLog(4, window=window, blocks=blocks, chunk=chunk)
    for row in full:
        log.append(row[0], None, row[2:])
    return log, full


def buckets_of(y):
    """Each bucket's (low, high) from the zigzag of an envelope (low, high, high, low, ...)."""
    pairs = y.reshape(-1, 2)
    return pairs.min(axis=1), pairs.max(axis=1)


@pytest.mark.parametrize("window,blocks,chunk", [(64, 32, 16), (0, 2, 2), (100, 8, 64), (1000, 500, 128)])
def test_memory_stays_under_the_budget(window, blocks, chunk):
    log = ScalarLog(4, window=window, blocks=blocks, chunk=chunk)
    budget = 8 * 4 * (window + 3 * blocks + 2 * chunk)  # what ScalarLog promises
    worst = 0
    for i in range(60_000):
        log.append(float(i), None, (1.0, 2.0))
        if i % 97 == 0:
            worst = max(worst, log.nbytes)
    assert len(log) == 60_000
    assert max(worst, log.nbytes) <= budget
    assert log.exact_from > 0 and log.stride > 1  # it did have to summarise


def test_every_row_is_exact_within_the_budget():
    log, full = filled(5000, window=1000, blocks=2000, chunk=100)
    assert log.exact_from == 0 and log.stride == 1
    for column in (0, 2, 3):
        np.testing.assert_array_equal(log.values(column), full[:, column])


@pytest.mark.parametrize("window", [0, 1, 100, 777])
def test_the_recent_window_is_exact(window):
    log, full = filled(30_000, window=window, blocks=64, chunk=32)
    exact = log.exact_from
    assert 30_000 - exact >= window and exact > 0
    for column in (0, 2, 3):
        values = log.values(column)
        np.testing.assert_array_equal(values[exact:], full[exact:, column])
        assert np.isnan(values[:exact]).all()  # summarised: not claimed exact
    np.testing.assert_array_equal(log.values(0, 30_000 - window, 30_000), full[30_000 - window:, 0])


def test_a_short_series_is_drawn_point_by_point():
    log, full = filled(150, window=1000, blocks=100, chunk=16)
    steps, values = log.envelope(0, 80)
    np.testing.assert_array_equal(steps, np.arange(1, 151))
    np.testing.assert_array_equal(values, full[:, 0])


@pytest.mark.parametrize("rows,window", [(40_960, 64), (40_960, 3000), (3000, 5000)])
def test_the_envelope_keeps_the_lowest_and_highest_value_of_every_bucket(rows, window):
    log, full = filled(rows, window=window, blocks=32, chunk=16)
    stride = log.stride
    # buckets made of whole blocks, so that the summary can be exact
    columns = rows // max(stride, 16) if rows % max(stride, 16) == 0 else 100
    size = rows // columns
    assert rows % columns == 0 and size % stride == 0
    steps, y = log.envelope(0, columns)
    lows, highs = buckets_of(y)
    reference = full[:, 0].reshape(columns, size)
    np.testing.assert_array_equal(lows, reference.min(axis=1))
    np.testing.assert_array_equal(highs, reference.max(axis=1))
    np.testing.assert_array_equal(steps[0::2], np.arange(columns) * size + size // 2 + 1)


def test_a_log_floor_leaves_out_what_is_below_it_bucket_by_bucket():
    log = ScalarLog(3, window=10_000, blocks=100, chunk=64)
    values = np.linspace(-1.0, 1.0, 4000) ** 3
    for v in values:
        log.append(v, None, (0.0,))
    _steps, y = log.envelope(0, 40, low=1e-3)
    lows, highs = buckets_of(y)
    kept = values.reshape(40, 100)
    kept = np.where(kept >= 1e-3, kept, np.nan)
    has = ~np.isnan(kept).all(axis=1)
    np.testing.assert_array_equal(lows, np.nanmin(kept[has], axis=1))
    np.testing.assert_array_equal(highs, np.nanmax(kept[has], axis=1))


def test_summarised_blocks_keep_the_lowest_value_a_log_scale_draws():
    # a loss sinking through the log scale's floor, noisy: a block holds values on both sides
    rng = np.random.default_rng(7)
    rows = 16_384
    values = 10.0 ** (-np.linspace(0, 200, rows) + rng.normal(0, 20, rows))
    values[::97] = 0.0  # and exact zeros, as converged training gives
    log = ScalarLog(3, window=0, blocks=64, chunk=256)
    for v in values:
        log.append(v, None, (0.0,))
    assert log.stride >= 64 and log.exact_from > rows / 2
    columns = log.exact_from // log.stride  # a block a column
    assert log.exact_from % log.stride == 0 and columns > 32
    _steps, y = log.envelope(0, columns, low=FLOOR, stop=log.exact_from)
    lows, highs = buckets_of(y)
    kept = values[:log.exact_from].reshape(columns, -1)
    kept = np.where(kept >= FLOOR, kept, np.nan)
    has = ~np.isnan(kept).all(axis=1)
    np.testing.assert_array_equal(lows, np.nanmin(kept[has], axis=1))
    np.testing.assert_array_equal(highs, np.nanmax(kept[has], axis=1))


def test_any_bucketing_keeps_the_extremes_of_the_whole_run():
    log, full = filled(25_000, window=500, blocks=40, chunk=32, seed=3)
    for columns in (7, 33, 120):
        _steps, y = log.envelope(0, columns)
        assert len(y) <= 2 * columns
        assert y.max() == full[:, 0].max() and y.min() == full[:, 0].min()


def test_a_branch_splits_off_the_abandoned_steps():
    log, full = filled(20_000, window=300, blocks=32, chunk=16)
    ghost = log.split(19_900, columns=[0])
    assert (ghost.first, ghost.end, len(log)) == (19_900, 20_000, 19_900)
    np.testing.assert_array_equal(ghost.values(0), full[19_900:, 0])
    # far back, into the summarised steps: the ghost keeps what it can, bounded
    older = log.split(5_000, columns=[0])
    assert len(older) == 14_900 and older.nbytes <= 8 * (300 + 3 * 32 + 2 * 16)
    _steps, y = older.envelope(0, 50)
    assert y.max() <= full[5_000:19_900, 0].max() and y.min() >= full[5_000:19_900, 0].min()
    # the kept branch goes on exactly from the branch point
    for row in full[:400]:
        log.append(row[0], None, row[2:])
    np.testing.assert_array_equal(log.values(0)[-300:], full[100:400, 0])


def test_a_reader_on_another_thread_sees_consistent_curves():
    log = ScalarLog(3, window=50, blocks=16, chunk=8)
    done = threading.Event()

    def write():
        for i in range(1, 200_000):
            log.append(float(i), None, (float(i),))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while not done.is_set():
            steps, y = log.envelope(0, 30)
            # row i holds i + 1: every value drawn is a step's own number, near its bucket
            assert len(steps) == len(y) and np.all(np.diff(steps) >= 0)
            assert np.all(y >= 1) and np.all(np.abs(y - steps) <= max(1, 2 * steps.max() / 30) + 2 * log.stride)
            start = max(0, len(log) - 20)
            recent = log.values(0, start)  # to wherever the writer is by then
            assert len(recent) >= 20 or start == 0
            assert np.all(np.isnan(recent) | (recent == np.arange(start, start + len(recent)) + 1))
    finally:
        writer.join()


# Scalars summarised almost at once, and keyframes close together: time travel must not care.
TINY_SCALARS = dict(window_bytes=1, max_interval=7, keyframe_seconds=1e9, scalar_window=4, scalar_blocks=2,
                    scalar_chunk=2)


@settings(max_examples=25, deadline=None)
@given(ops=OPS)
def test_random_walks_stay_exact_with_summarised_scalars(ops):
    scenario = net_scenario()
    s = Session(scenario, history_options=TINY_SCALARS)
    changes = {}
    for changes in walk(s, ops):
        ref = straight(scenario, s.t, changes)
        assert_same(s.record, ref.record)
    # the exact scalars are the straight run's
    ref = straight(scenario, s.furthest, changes)
    losses = s.history.losses()
    here = s.t
    records = [s.goto(t) for t in range(1, s.furthest + 1)]
    s.goto(here)
    kept = ~np.isnan(losses)
    np.testing.assert_array_equal(losses[kept], np.array([r.loss for r in records])[kept])
    assert ref.furthest == s.furthest


def test_a_long_session_keeps_its_history_in_budget_and_exports_exactly(tmp_path):
    import json

    s = Session(net_scenario(), history_options=dict(scalar_window=64, scalar_blocks=32, scalar_chunk=16))
    records = [s.step() for _ in range(3000)]
    # columns: loss, validation loss, the four parameters' gradient norms and the two layers'
    assert s.history.scalars.nbytes <= 8 * (2 + 4 + 2) * (64 + 3 * 32 + 2 * 16)
    np.testing.assert_array_equal(s.history.losses()[-64:], [r.loss for r in records[-64:]])
    path = tmp_path / "trace.jsonl"
    s.export(path)  # replays: every step, exactly, however the scalars were summarised
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [row["loss"] for row in rows] == [r.loss for r in records]
