"""A parameter entry set by hand (``=`` on the dashboard): a change of course in the travel log."""

from __future__ import annotations

import numpy as np
import pytest

from gradstep.engine import Session, load_scenario, resolve_scenario

SMALL = dict(window_bytes=1, max_interval=3, keyframe_seconds=1e9)
"""A history that keeps almost no records: going to a step replays it from a keyframe."""


def fabc(**history):
    return Session(load_scenario(resolve_scenario("gd-fabc")), history_options=history or None)


def test_the_next_step_starts_from_the_value_typed_worked_by_hand():
    # gd-fabc: SGD, α = 0.04 on f = (a − 1)² + 10(b + 2)² + c² from (0, 0, 1).
    s = fabc()
    s.run(2)  # a: 0 → 0.08 → 0.08 − 0.04·2(0.08 − 1) = 0.1536
    s.set_value("a", (), 3.0)
    assert s.params["a"] == 3.0 and s.record.params["a"] == 3.0
    assert s.record.update["a"] == pytest.approx(0.1536 - 0.08, abs=1e-15)  # Δθ stays the optimizer's
    r = s.step()
    # ∂f/∂a = 2(3 − 1) = 4 at the value typed; a ← 3 − 0.04·4 = 2.84; b and c untouched by it
    assert r.grads["a"] == 4.0
    assert r.params["a"] == pytest.approx(2.84, abs=1e-15)
    straight = fabc()
    straight.run(3)
    assert r.params["b"] == straight.record.params["b"] and r.params["c"] == straight.record.params["c"]


def test_adam_keeps_its_state_across_the_value():
    s = Session(load_scenario(resolve_scenario("adam-fabc")))
    s.run(1)  # V = 0.1·(−2), S = 0.001·4 for a (see docs/architecture.md)
    s.set_value("a", (), 1.0)  # at the minimum along a: the next g is 0
    r = s.step()
    assert r.grads["a"] == 0.0
    # V = 0.9·(−0.2) + 0.1·0 = −0.18: the state was kept, not reset
    assert r.state["a"]["V"] == pytest.approx(0.9 * (0.1 * -2.0), abs=1e-15)


def test_a_value_at_step_0_sets_the_initial_parameters():
    s = fabc()
    s.set_value("c", (), 0.0)
    r = s.step()
    assert r.grads["c"] == 0.0 and r.params["c"] == 0.0
    s.goto(0)
    assert s.params["c"] == 0.0


def test_going_back_and_forth_replays_the_value_bit_for_bit():
    straight = fabc()
    straight.run(4)
    straight.set_value("b", (), -5.0)
    straight.run(6)
    expected = [straight.goto(t).theta.copy() for t in range(1, 11)]

    s = fabc(**SMALL)  # replays from keyframes: the value is set again each time step 4 is replayed
    s.run(8)
    s.goto(4)
    s.set_value("b", (), -5.0)  # in the past: a branch
    assert s.furthest == 4 and s.history.ghost_span is not None
    s.run(6)
    for t in (10, 1, 7, 4, 5, 0, 9, 3, 10):
        s.goto(t)
        if t:
            assert np.array_equal(s.theta, expected[t - 1]), t
            assert np.array_equal(s.record.theta, expected[t - 1]), t
    assert s.params["b"] == expected[-1][1]


def test_a_course_change_before_the_value_drops_it():
    s = fabc()
    s.run(5)
    s.set_value("a", (), 3.0)
    s.goto(2)
    s.set_lr(0.02)  # a branch at step 2: the value set after step 5 was on the abandoned future
    s.run(4)
    plain = fabc()
    plain.run(2)
    plain.set_lr(0.02)
    plain.run(4)
    assert np.array_equal(s.theta, plain.theta)


@pytest.mark.parametrize("name, index, value", [("a", (), float("nan")), ("z", (), 1.0), ("a", (0,), 1.0),
                                                ("a", (), float("inf"))])
def test_a_bad_value_or_entry_changes_nothing(name, index, value):
    s = fabc()
    s.run(2)
    before = s.theta.copy()
    with pytest.raises(ValueError):
        s.set_value(name, index, value)
    assert np.array_equal(s.theta, before) and s.furthest == 2
    assert s.step().step == 3


def test_the_travel_log_lists_the_value_as_plain_numbers():
    s = fabc()
    s.run(3)
    s.set_value("b", (), -1.5)
    assert s._travel.schedule.values == [(3, 1, -1.5)]
    assert all(type(x) in (int, float) for x in s._travel.schedule.values[0])


def test_a_save_file_keeps_the_values_set_and_the_bias_correction_switch(tmp_path):
    from gradstep.engine.training import save_file

    s = Session(load_scenario(resolve_scenario("adam-fabc")))
    s.run(3)
    s.set_value("b", (), -1.5)
    s.set_hyper(bias_correction=False)
    s.run(4)
    s.goto(5)
    s.set_value("a", (), 0.25)  # in the past: a branch
    s.run(3)
    path = tmp_path / "s.gradstep"
    save_file.save(s, path)
    resumed = save_file.load(path)
    assert resumed.t == s.t == 8 and resumed.hyper == s.hyper
    for t in range(1, 9):
        assert np.array_equal(resumed.goto(t).theta, s.goto(t).theta), t
