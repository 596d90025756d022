"""goto in slices (``Session.reach``): progress, cancelling, superseding, and records bit for bit
those of a straight run; the furthest step's record kept whatever a replay puts in the ring."""

import numpy as np
import pytest

from gradstep.engine.training.session import Session
from tests.engine.test_history import assert_same, net_scenario

# Few records kept, keyframes far apart: most steps are reached by a long replay.
FAR = dict(window_bytes=1, max_interval=40, keyframe_seconds=1e9)


def straight(steps):
    """Records 1 ... steps of a session the others know nothing about (index t - 1)."""
    s = Session(net_scenario())
    return [s.step() for _ in range(steps)]


def test_a_reach_replays_in_slices_while_the_session_stays_where_it_stood():
    expected = straight(100)
    s = Session(net_scenario(), history_options=FAR)
    s.run(100)
    s.goto(90)
    here, theta = s.record, s.theta
    reach = s.reach(37)
    assert reach.target == 37 and reach.start < 36 and reach.total == 37 - reach.start
    fractions = [reach.fraction]
    while not reach.advance(0):  # one step a slice
        fractions.append(reach.fraction)
        assert s.t == 90 and s.record is here and s.theta is theta
    fractions.append(reach.fraction)
    assert fractions == [n / reach.total for n in range(reach.total + 1)]
    assert s.t == 37
    assert_same(s.record, expected[36])
    np.testing.assert_array_equal(s.theta, expected[36].theta)
    assert_same(s.step(), expected[37])  # and on from there as the straight run went


def test_a_reach_dropped_half_way_leaves_the_session_exactly_where_it_stood():
    expected = straight(100)
    s = Session(net_scenario(), history_options=FAR)
    s.run(100)
    s.goto(60)
    reach = s.reach(25)
    for _slice in range(reach.total // 2):
        assert reach.advance(0) is False
    assert 0 < reach.fraction < 1
    del reach
    assert s.t == 60
    assert_same(s.record, expected[59])
    assert_same(s.step(), expected[60])
    # a second reach supersedes a first one: only the last to finish moves the session
    first, second = s.reach(10), s.reach(80)
    while not second.advance(0):
        pass
    assert_same(s.record, expected[79])
    assert_same(s.goto(10), expected[9])


def test_a_reach_to_a_step_a_branch_cut_off_is_refused_and_moves_nothing():
    s = Session(net_scenario(), history_options=FAR)
    s.run(100)
    reach = s.reach(70)
    reach.advance(0)
    s.goto(50)
    s.set_lr(0.001)  # a branch at step 50: step 70 is no longer in the history
    record = s.record
    with pytest.raises(ValueError, match="outside the history"):
        reach.advance(0)
    assert s.t == 50 and s.record is record


def test_a_kept_step_is_reached_in_one_slice():
    s = Session(net_scenario())
    s.run(30)
    reach = s.reach(29)
    assert reach.total == 0 and reach.fraction == 1.0
    assert reach.advance(0) is True and s.t == 29


def test_the_furthest_steps_record_is_kept_whatever_a_far_replay_puts_in_the_ring():
    expected = straight(300)
    # room for 4 records: a ring of 2 and the two furthest steps
    s = Session(net_scenario(), history_options=dict(max_window=4, max_interval=100, keyframe_seconds=1e9))
    s.run(300)
    s.goto(150)  # a replay from a keyframe fills the ring with steps before 150
    assert s._travel.replay_steps(300) == 0  # end: at once
    assert_same(s.goto(300), expected[299])
    assert_same(s.history.cached(299), expected[298])


def test_the_step_before_a_goto_is_replayed_with_it_when_nothing_keeps_it():
    s = Session(net_scenario(), history_options=dict(max_window=2, max_interval=40, keyframe_seconds=1e9))
    s.run(100)
    keyframe = next(t for t in s.history.keyframe_steps if t > 1)
    assert s.history.cached(keyframe) is None
    s.goto(keyframe + 1)
    assert s.history.cached(keyframe) is not None  # the up-close panel shows it beside the step
