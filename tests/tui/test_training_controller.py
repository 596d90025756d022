"""The training controller without a screen: its steps, runs, travel and reads, each compared
with an engine session (or race) stepped directly, which knows nothing of the controller."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from gradstep.engine.analysis.race import Race
from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.session import Diverged, Session
from gradstep.tui import training
from gradstep.tui.race_controller import RaceController
from gradstep.tui.training import SPEEDS, TrainingController

DEADLINE = 60.0
"""Seconds a test waits for a condition before failing (never reached when all is well)."""


def scenario(name: str):
    return load_scenario(resolve_scenario(name))


def same_step(record, expected) -> None:
    """``record`` is bit for bit the independent session's record of the same step."""
    assert record.step == expected.step
    assert record.loss == expected.loss
    np.testing.assert_array_equal(record.theta, expected.theta)
    np.testing.assert_array_equal(record.grad, expected.grad)
    for key, values in expected.flat_state.items():
        np.testing.assert_array_equal(record.flat_state[key], values)


class Run:
    """A run of ``steps`` (None: until paused) on a thread of its own, as the screen's worker
    runs it.

    Attributes:
        run, stop: What :meth:`Controller.start` handed out.
        frames: What each frame showed, in order.
        first_frame: Set when the first frame came.
        end: What :meth:`Controller.run` returned, once the thread is done.
    """

    def __init__(self, controller, steps):
        self.run, self.stop = controller.start()
        self.frames, self.first_frame, self.end = [], threading.Event(), None

        def frame(latest, rate):
            self.frames.append(latest)
            self.first_frame.set()

        def body():
            self.end = controller.run(steps, self.stop, lambda: False, frame)

        self.thread = threading.Thread(target=body, daemon=True)
        self.thread.start()

    def join(self):
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), f"the run did not end within {DEADLINE} s"


@pytest.mark.parametrize("name", ["xor", "adam-fabc"])
def test_steps_through_the_controller_equal_an_independent_session(name):
    controller = TrainingController(scenario(name))
    reference = Session(scenario(name))
    records = [controller.step() for _ in range(3)] + [controller.step(7)]
    expected = [reference.step() for _ in range(10)]
    for record in records[:3]:
        same_step(record, expected[record.step - 1])
    same_step(records[-1], expected[-1])
    assert controller.t == 10 and controller.mode == "paused"
    assert len(controller.history) == 10
    for k in range(1, 11):  # the controller kept every step it took, as the dashboard shows them
        same_step(controller.record_at(k), expected[k - 1])


def test_a_run_on_another_thread_takes_the_same_steps_and_hands_frames_in_order():
    controller = TrainingController(scenario("sine-net"))
    going = Run(controller, 40)
    going.join()
    latest, diverged = going.end
    assert diverged is None and latest.step == 40 and controller.t == 40
    assert controller.mode == "running", "the mode changes on the UI thread, when it hears the end"
    assert controller.ended(going.run) and controller.mode == "paused"
    same_step(latest, Session(scenario("sine-net")).run(40))
    steps = [f.step for f in going.frames]
    assert steps[0] == 1, "the first frame comes at once"
    assert steps == sorted(set(steps))


def test_run_and_pause_through_the_api():
    controller = TrainingController(scenario("rosenbrock"))
    going = Run(controller, None)
    assert controller.running and controller.mode == "running"
    assert going.first_frame.wait(DEADLINE)
    assert controller.pause() is True and going.stop.is_set() and controller.mode == "paused"
    assert controller.pause() is False, "nothing left to pause"
    going.join()
    latest, diverged = going.end
    t = controller.t
    assert diverged is None and latest.step == t >= 1 and controller.session.furthest == t
    same_step(latest, Session(scenario("rosenbrock")).run(t))
    assert controller.ended(going.run) and controller.mode == "paused"
    # A run replaced by a newer one: its end changes nothing.
    _newer, newer_stop = controller.start()
    assert controller.ended(going.run) is False and controller.mode == "running"
    assert controller.pause() and newer_stop.is_set()


def test_a_paced_run_stops_when_paused():
    controller = TrainingController(scenario("rosenbrock"))
    controller.change_speed(-len(SPEEDS))
    assert SPEEDS[controller.speed] == 1 and controller.speed_label() == "1/s"
    controller.change_speed(len(SPEEDS))
    assert SPEEDS[controller.speed] is None
    controller.change_speed(-len(SPEEDS))
    going = Run(controller, None)
    assert going.first_frame.wait(DEADLINE)
    controller.pause()  # wakes the worker from its wait for the next step's turn
    going.join()
    assert going.end[0].step == controller.t >= 1


class Watched(TrainingController):
    """A controller that counts the steps taken while a frame handed to the UI is not drawn."""

    def __init__(self, scenario):
        super().__init__(scenario)
        self.undrawn = False
        self.steps_while_undrawn = 0

    def _advance(self):
        if self.undrawn:
            self.steps_while_undrawn += 1
        return super()._advance()


def test_the_engine_waits_while_the_ui_draws_a_frame_it_draws_alone(monkeypatch):
    """A frame whose callback returns True is drawn with the interpreter to the UI: no step is
    taken until the UI says it is drawn (the wait's timeout is out of reach here)."""
    monkeypatch.setattr(training, "DRAW_WAIT", 10 * DEADLINE)
    controller = Watched(scenario("moons"))
    frames = []
    handed = threading.Event()

    def frame(latest, rate):
        controller.undrawn = True
        frames.append(latest.step)
        handed.set()
        return True

    run, stop = controller.start()
    thread = threading.Thread(target=controller.run, args=(None, stop, lambda: False, frame), daemon=True)
    thread.start()
    for _frame in range(5):
        assert handed.wait(DEADLINE)
        handed.clear()
        assert controller.t == frames[-1], "no step after the frame until it is drawn"
        controller.undrawn = False
        controller.drawn()
    assert handed.wait(DEADLINE)
    assert controller.pause()
    thread.join(DEADLINE)
    assert not thread.is_alive()
    assert controller.steps_while_undrawn == 0
    assert frames == sorted(set(frames)) and len(frames) >= 6


def test_the_pause_wakes_a_run_waiting_for_its_frame_to_be_drawn(monkeypatch):
    """The UI never says the frame is drawn (it was paused first): the pause ends the run at
    once, not after the wait's timeout."""
    monkeypatch.setattr(training, "DRAW_WAIT", 10 * DEADLINE)
    controller = TrainingController(scenario("moons"))
    handed = threading.Event()
    run, stop = controller.start()
    ended = []
    thread = threading.Thread(target=lambda: ended.append(controller.run(None, stop, lambda: False,
                                                                         lambda *_: handed.set() or True)),
                              daemon=True)
    thread.start()
    assert handed.wait(DEADLINE)
    assert controller.pause()
    thread.join(DEADLINE)
    assert not thread.is_alive(), "the pause did not wake the run"
    latest, diverged = ended[0]
    assert diverged is None and latest.step == controller.t >= 1


def test_a_read_under_the_lock_never_sees_half_of_a_step():
    """The worker is held inside a step (the session has moved, the dashboard's history not
    yet): a reader waits for the step to finish, then sees the session and the history agree."""
    controller = TrainingController(scenario("xor"))
    session = controller.session
    real_step = session.step
    inside, go = threading.Event(), threading.Event()

    def held_step():
        record = real_step()
        if record.step == 3:
            inside.set()
            assert go.wait(DEADLINE)
        return record

    session.step = held_step  # the engine's step, held at the point a reader must never see
    going = Run(controller, 5)
    assert inside.wait(DEADLINE)
    seen, read = {}, threading.Event()

    def reader():
        with controller.reading() as reading:
            seen["t"], seen["record"] = reading.t, reading.record
            seen["kept"] = reading.history.cached(reading.t)
        seen["snapshot"] = controller.snapshot()
        read.set()

    reading_thread = threading.Thread(target=reader, daemon=True)
    reading_thread.start()
    assert not read.wait(0.5), "the reader waited for the step to finish"
    go.set()
    reading_thread.join(DEADLINE)
    going.join()
    assert read.is_set()
    assert seen["t"] >= 3 and seen["record"].step == seen["t"]
    kept = seen["kept"]
    assert kept is not None and kept.step == seen["t"], "the history had the step the session stood at"
    assert np.array_equal(kept.theta, seen["record"].theta)
    snap = seen["snapshot"]
    assert snap.record.step == snap.t and np.array_equal(snap.record.theta, snap.theta)
    assert going.end[0].step == 5


def test_travel_and_record_at_after_it():
    controller = TrainingController(scenario("xor"))
    reference = Session(scenario("xor"))
    expected = [reference.step() for _ in range(30)]
    controller.step(30)
    record = controller.goto(10)
    same_step(record, expected[9])
    assert controller.t == 10 and controller.session.furthest == 30 and controller.mode == "paused"
    same_step(controller.record_at(25), expected[24])  # ahead of where it stands, same branch
    assert controller.record_at(0) is None
    assert controller.goto(-5) is None and controller.t == 0
    same_step(controller.goto(1000), expected[29])  # clamped to the furthest step
    snap = controller.snapshot()
    assert snap.t == 30 and snap.mode == "paused"
    np.testing.assert_array_equal(snap.theta, expected[29].theta)
    same_step(snap.record, expected[29])
    t, theta, batch = controller.step_inputs()  # step 30's gradient is computed from these
    assert t == 30
    np.testing.assert_array_equal(theta, expected[28].theta)
    loss, grad = reference.gradient_at(theta, batch)
    assert loss == expected[29].loss
    np.testing.assert_array_equal(grad, expected[29].grad)


def test_record_at_fetches_a_step_the_session_replays_and_stays_where_it_stood():
    controller = TrainingController(scenario("rosenbrock"))
    controller.step(1000)
    fetched = controller.record_at(37, fetch=True)
    same_step(fetched, Session(scenario("rosenbrock")).run(37))
    assert controller.t == 1000 and controller.snapshot().record.step == 1000


def test_a_change_of_learning_rate_branches_and_is_marked():
    controller = TrainingController(scenario("adam-fabc"))
    lr = controller.session.hyper["lr"]
    controller.step(20)
    controller.goto(10)
    assert controller.scale_lr(0.5) == (lr, lr / 2)
    assert controller.lr_marks() == (10,)
    assert controller.session.furthest == 10 and len(controller.history) == 10
    assert controller.record_at(15) is None, "the abandoned steps are gone"
    record = controller.step()
    assert record.hyper["lr"] == lr / 2
    # An independent session that changed course at the same step.
    reference = Session(scenario("adam-fabc"))
    reference.run(10)
    reference.set_lr(lr / 2)
    same_step(record, reference.step())
    with pytest.raises(ValueError):
        controller.scale_lr(0.0)
    assert controller.session.hyper["lr"] == lr / 2 and controller.lr_marks() == (10,)


def test_divergence_keeps_the_steps_before_it(write_scenario):
    explodes = load_scenario(write_scenario("explodes", kind="sgd", lr=10))
    with pytest.raises(Diverged) as expected:
        Session(explodes).run(100)
    last_good = expected.value.step - 1
    controller = TrainingController(explodes)
    with pytest.raises(Diverged) as raised:
        controller.step(100)
    assert raised.value.step == expected.value.step
    assert controller.t == last_good == len(controller.history) > 0
    same_step(controller.snapshot().record, Session(explodes).run(last_good))
    controller.diverged()
    assert controller.mode == "diverged"
    going = Run(controller, None)  # running again diverges again at once
    going.join()
    latest, diverged = going.end
    assert latest is None and diverged.step == expected.value.step
    assert controller.ended(going.run) and controller.t == last_good


def test_export_writes_every_step_under_the_lock(tmp_path):
    controller = TrainingController(scenario("adam-fabc"))
    controller.step(12)
    controller.goto(5)
    path = tmp_path / "trace.jsonl"
    assert controller.export(str(path), "jsonl") == 12
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    losses = [line["loss"] for line in lines]
    reference = Session(scenario("adam-fabc"))
    assert losses == [reference.step().loss for _ in range(12)]
    assert controller.t == 5, "exporting leaves the session where it stood"


def test_the_race_controller_steps_and_runs_as_the_engines_race():
    race_scenario = scenario("rosenbrock-race")
    controller = RaceController(Race(race_scenario))
    for _ in range(3):
        controller.step()
    going = Run(controller, 20)
    going.join()
    assert going.end == (23, None)
    assert controller.ended(going.run) and not controller.running
    reference = Race(race_scenario)
    reference.run(23)
    with controller.reading() as race:
        assert race.t == 23
        for ours, theirs in zip(race.runners, reference.runners):
            assert ours.label == theirs.label and ours.losses == theirs.losses
            assert ours.path == theirs.path
