"""Time travel: back, goto and branches reach exactly the records of a straight run."""

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradstep.engine.scenario import Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec, Scenario, TrainingSpec
from gradstep.engine.training.session import Session
from gradstep.engine.training.trace import ExportError

# A tiny window and frequent keyframes, so that most steps are reached by replay.
SMALL = dict(window_bytes=1, max_interval=7, keyframe_seconds=1e9)


def net_scenario():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(20, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return Scenario(name="n", kind="network", model=NetworkSpec(2, (LayerSpec(4, "tanh"), LayerSpec(2))),
                    data=Dataset(x, y), loss="cross_entropy", optimizer=OptimizerSpec("adam", 0.05),
                    training=TrainingSpec(batch_size=6, shuffle=True), seed=3)


def assert_same(r1, r2):
    assert (r1 is None) == (r2 is None)
    if r1 is None:
        return
    assert r1.step == r2.step and r1.loss == r2.loss and r1.hyper == r2.hyper
    for a, b in ((r1.theta, r2.theta), (r1.grad, r2.grad), (r1.delta, r2.delta)):
        np.testing.assert_array_equal(a, b)
    for k in r1.flat_state:
        np.testing.assert_array_equal(r1.flat_state[k], r2.flat_state[k])


def straight(scenario, t, lr_changes):
    """A fresh session stepped t times, changing lr after the steps listed in lr_changes."""
    s = Session(scenario)
    changes = dict(lr_changes)
    if 0 in changes:
        s.set_lr(changes[0])
    for _ in range(t):
        s.step()
        if s.t in changes:
            s.set_lr(changes[s.t])
    return s


OPS = st.lists(st.one_of(
    st.tuples(st.just("step"), st.integers(1, 12)),
    st.tuples(st.just("back"), st.integers(1, 15)),
    st.tuples(st.just("goto"), st.floats(0, 1)),
    st.tuples(st.just("lr"), st.sampled_from([0.01, 0.02, 0.1])),
), min_size=1, max_size=12)


def walk(session, ops):
    """Apply ``ops`` (from OPS) to ``session``; after each, yield the learning-rate changes in
    force on its current branch (step -> lr taking effect after it), for :func:`straight`."""
    changes = {}
    for op, arg in ops:
        if op == "step":
            session.run(arg)
        elif op == "back":
            session.back(arg)
        elif op == "goto":
            session.goto(int(arg * session.furthest))
        else:
            if arg != session.hyper["lr"]:
                changes = {k: v for k, v in changes.items() if k < session.t}
                changes[session.t] = arg
            session.set_lr(arg)
        yield changes


@settings(max_examples=40, deadline=None)
@given(ops=OPS)
def test_random_walks_reach_the_records_of_a_straight_run(ops):
    scenario = net_scenario()
    s = Session(scenario, history_options=SMALL)
    for changes in walk(s, ops):
        ref = straight(scenario, s.t, changes)
        assert_same(s.record, ref.record)
        np.testing.assert_array_equal(s.theta, ref.theta)
        assert s.hyper == ref.hyper
        # and one more step from here is the straight run's next step
    nxt = s.step()
    ref.step()
    assert_same(nxt, ref.record)


def test_branch_keeps_the_abandoned_future_as_a_ghost():
    s = Session(net_scenario())
    s.run(30)
    old = s.history.losses().copy()
    s.goto(10)
    s.set_lr(0.001)
    assert s.furthest == 10
    start, ghost = s.history.ghost
    assert start == 10
    np.testing.assert_array_equal(ghost, old[10:])
    s.run(5)
    assert len(s.history.losses()) == 15
    np.testing.assert_array_equal(s.history.losses()[:10], old[:10])
    # a second branch replaces the ghost
    s.goto(12)
    s.set_lr(0.2)
    assert s.history.ghost[0] == 12 and len(s.history.ghost[1]) == 3


def test_step_scalars_are_the_records():
    s = Session(net_scenario())
    records = [s.step() for _ in range(25)]
    np.testing.assert_array_equal(s.history.losses(), [r.loss for r in records])
    np.testing.assert_allclose(s.history.layer_norms(0), [r.layer_grad_norms["layer1"] for r in records], rtol=1e-12)


def test_goto_outside_history_is_refused():
    s = Session(net_scenario())
    s.run(3)
    with pytest.raises(ValueError):
        s.goto(4)
    assert s.back(10) is None and s.t == 0


def test_memory_stays_bounded():
    sc = Scenario(name="f", kind="objective",
                  model=ExpressionSpec("(a - 1)**2 + 10*(b + 2)**2 + c**2", {k: np.array(0.0) for k in "abc"}),
                  optimizer=OptimizerSpec("adam", 0.05))
    s = Session(sc, history_options=dict(keyframe_bytes=64 << 10))
    s.run(20000)
    assert s.history.nbytes < 3 << 20
    s.goto(12345)
    ref = Session(sc)
    ref.run(12345)
    assert_same(s.record, ref.record)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_round_trips(tmp_path, fmt):
    s = Session(net_scenario())
    records = [s.step() for _ in range(12)]
    s.goto(4)
    path = tmp_path / f"trace.{fmt}"
    s.export(path, fmt)
    assert s.t == 4  # exporting does not move the session
    if fmt == "jsonl":
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert [r["step"] for r in rows] == list(range(1, 13))
        for row, rec in zip(rows, records):
            assert row["loss"] == rec.loss
            for name in rec.layout.names:
                np.testing.assert_array_equal(np.array(row["params"][name]), rec.params[name])
                np.testing.assert_array_equal(np.array(row["grads"][name]), rec.grads[name])
                np.testing.assert_array_equal(np.array(row["state"][name]["V"]), rec.state[name]["V"])
    else:
        import csv

        rows = list(csv.DictReader(path.open()))
        assert len(rows) == 12
        assert float(rows[-1]["loss"]) == records[-1].loss
        assert float(rows[0]["param:layer1.W[1,2]"]) == records[0].params["layer1.W"][1, 2]
        assert float(rows[3]["S:layer2.b[1]"]) == records[3].state["layer2.b"]["S"][1]


def test_export_on_a_full_disk_leaves_the_old_file(tmp_path, monkeypatch):
    import errno
    import os

    s = Session(net_scenario())
    s.run(3)
    target = tmp_path / "trace.jsonl"
    target.write_text("earlier\n")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)  # the operating system says the disk is full
    with pytest.raises(ExportError, match="trace.jsonl: no space left on device"):
        s.export(target)
    assert target.read_text() == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.jsonl"]  # no temporary file left


def test_export_into_something_that_is_not_a_folder(tmp_path):
    s = Session(net_scenario())
    s.run(2)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ExportError, match="afile"):
        s.export(tmp_path / "afile" / "trace.jsonl")


def test_export_to_a_missing_folder_is_a_clear_error(tmp_path):
    s = Session(net_scenario())
    s.run(2)
    with pytest.raises(ExportError, match="missing"):
        s.export(tmp_path / "missing" / "trace.jsonl")


@pytest.mark.parametrize("then", [{"lr": 0.01}, {"beta1": 0.8}])
def test_a_change_of_optimizer_then_of_its_hyperparameters_at_one_step_replays_from_fresh_state(then):
    """set_optimizer starts the new optimizer with fresh state; a set_lr or set_hyper at the
    same step must not lose that, or a replay across the step starts the new optimizer from the
    old one's state (SGD's empty state: KeyError 'V'; with the same state names, wrong
    numbers). The reference is a session that made the same changes and never travelled."""
    sc = replace(net_scenario(), optimizer=OptimizerSpec("momentum", 0.05))
    reference = Session(sc)
    reference.run(5)
    reference.set_optimizer("adam", 0.05)
    reference.set_hyper(**then)
    records = {record.step: record for record in (reference.step() for _ in range(10))}

    s = Session(sc, history_options=SMALL)
    s.run(5)
    s.set_optimizer("adam", 0.05)
    s.set_hyper(**then)
    s.run(10)
    for t in (9, 6, 15, 12):
        assert_same(s.goto(t), records[t])


def test_going_back_to_a_change_of_optimizer_and_changing_lr_there_keeps_fresh_state():
    sc = replace(net_scenario(), optimizer=OptimizerSpec("momentum", 0.05))
    reference = Session(sc)
    reference.run(5)
    reference.set_optimizer("adam", 0.05)
    reference.set_lr(0.01)
    records = {record.step: record for record in (reference.step() for _ in range(5))}

    s = Session(sc, history_options=SMALL)
    s.run(5)
    s.set_optimizer("adam", 0.05)
    s.run(5)
    s.goto(5)
    s.set_lr(0.01)  # a new branch from step 5: still Adam from fresh state, at the new rate
    s.run(5)
    for t in (10, 7, 6, 9):
        assert_same(s.goto(t), records[t])


def test_each_parameters_and_each_layers_gradient_norm_is_logged_and_shown_alike():
    s = Session(net_scenario())
    records = [s.step() for _ in range(25)]
    for j, name in enumerate(s.layout.names):
        every = [np.linalg.norm(np.ravel(r.grads[name])) for r in records]  # computed here
        np.testing.assert_allclose(s.history.param_norms(j), every, rtol=1e-12)
        # the record shows the numbers the history logged: one computation per step
        assert list(s.history.param_norms(j)) == [r.grad_norms[name] for r in records]
    for i, layer in enumerate(s.layout.layer_names()):
        names = [n for n in s.layout.names if n.startswith(layer + ".")]
        every = [np.linalg.norm(np.concatenate([np.ravel(r.grads[n]) for n in names])) for r in records]
        np.testing.assert_allclose(s.history.layer_norms(i), every, rtol=1e-12)
        assert list(s.history.layer_norms(i)) == [r.layer_grad_norms[layer] for r in records]
