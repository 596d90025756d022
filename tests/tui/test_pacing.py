"""A served dashboard's runs share the teacher's computer (issue 14): fewer frames, a resting
engine at the lowest priority. A dashboard in a terminal keeps its pace.

The controller runs on a thread of its own, as the screen's worker runs it; whether it is served
is what ``gradstep serve`` tells it, the environment variable of
:mod:`gradstep.tui.classroom.served`. No test here depends on how fast the machine is: the
frames' spacing is a least time the run keeps, whatever the load.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.tui.classroom.served import FOLDER_VARIABLE
from gradstep.tui.pacing import Pace
from gradstep.tui.training import TrainingController

DEADLINE = 60.0
"""Seconds a test waits for a condition before failing (never reached when all is well)."""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="a nice value belongs to a thread on Linux only")


def run_until(controller, frames_wanted: int) -> tuple[float, list[tuple[float, int]]]:
    """Run ``controller`` on a thread until ``frames_wanted`` frames came; returns when the run
    started and, for each frame, when it came and the training thread's nice value then."""
    run, stop = controller.start()
    frames: list[tuple[float, int]] = []
    enough = threading.Event()

    def frame(latest, rate):
        frames.append((time.perf_counter(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        if len(frames) >= frames_wanted:
            enough.set()

    started = time.perf_counter()
    thread = threading.Thread(target=controller.run, args=(None, stop, lambda: False, frame), daemon=True)
    thread.start()
    assert enough.wait(DEADLINE)
    controller.pause()
    thread.join(DEADLINE)
    assert not thread.is_alive()
    return started, frames


def test_a_served_run_draws_at_most_two_frames_a_second_and_answers_its_key_first(monkeypatch, tmp_path):
    """Served: the first frame comes half a second after the run starts (the status line that
    answers ``r`` is drawn alone first), and the frames are at least half a second apart (a
    terminal's are a tenth of a second apart)."""
    monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path))
    controller = TrainingController(load_scenario(resolve_scenario("moons")))
    started, frames = run_until(controller, 4)
    times = [when for when, _nice in frames]
    assert times[0] - started >= 0.5
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert min(gaps) >= 0.5, gaps


def test_in_a_terminal_the_first_frame_comes_at_once(monkeypatch):
    """Not served: the run hands its first step over as soon as it is taken (whatever the time
    that took, it is before any frame interval has passed since the step was taken)."""
    monkeypatch.delenv(FOLDER_VARIABLE, raising=False)
    controller = TrainingController(load_scenario(resolve_scenario("moons")))
    run, stop = controller.start()
    seen = []

    def frame(latest, rate):
        seen.append(latest.step)
        controller.pause()

    controller.run(None, stop, lambda: False, frame)
    assert seen == [1], "the first frame shows the first step"


@linux_only
def test_a_served_engine_runs_at_the_lowest_priority_and_the_ui_thread_keeps_its_own(monkeypatch, tmp_path):
    monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path))
    ui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    controller = TrainingController(load_scenario(resolve_scenario("moons")))
    _started, frames = run_until(controller, 1)
    assert frames[0][1] == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == ui


@linux_only
def test_in_a_terminal_the_engine_keeps_the_dashboards_priority(monkeypatch):
    monkeypatch.delenv(FOLDER_VARIABLE, raising=False)
    ui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    controller = TrainingController(load_scenario(resolve_scenario("moons")))
    _started, frames = run_until(controller, 1)
    assert frames[0][1] == ui


class Rests(threading.Event):
    """A stop event that keeps the timeout of every wait the run makes on it."""

    def __init__(self):
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        return super().wait(timeout)


def test_an_engine_at_half_duty_rests_as_long_as_it_computed():
    """Duty 0.5: after each slice of computing the engine rests (on its stop event, so that a
    pause wakes it) as long as that slice took: the rests add up to at least the time the
    steps took, measured here around the steps themselves."""
    controller = TrainingController(load_scenario(resolve_scenario("moons")))
    controller.pace = Pace(frame=10.0, draw_wait=0.0, duty=0.5)
    session, real_step = controller.session, controller.session.step
    computing = []

    def timed_step():
        began = time.perf_counter()
        try:
            return real_step()
        finally:
            computing.append(time.perf_counter() - began)

    session.step = timed_step
    run, _stop = controller.start()
    stop = Rests()
    controller.run(400, stop, lambda: False, lambda latest, rate: None)
    rests = [w for w in stop.waits if w is not None]
    assert len(rests) >= 1
    # Each rest equals the slice of steps before it (the steps' own time is within it), and
    # the last slice may be cut short by the end of the run: at most one slice not rested.
    assert sum(rests) >= sum(computing) - 0.02 - max(computing)


@pytest.mark.parametrize("drawing, expected", [
    (0.01, 0.5),   # drawn at once: half a second, the least
    (0.2, 1.6),    # a frame that took 0.2 s to be drawn: 8 x 0.2 s
    (1.0, 4.0),    # at most 4 s
])
def test_a_served_dashboard_whose_frames_are_slow_to_draw_draws_fewer(drawing, expected):
    from gradstep.tui.pacing import SERVED

    assert SERVED.next_frame(drawing) == pytest.approx(expected)
    assert Pace(frame=0.1, draw_wait=0.25).next_frame(drawing) == 0.1  # a terminal's: always


async def test_a_served_dashboard_paused_shows_the_step_it_stopped_at(monkeypatch, tmp_path):
    """Served, the pause's full redraw comes a moment after the key (Pace.paused_redraw, so
    that a key starting another run meanwhile does not wait behind it); it does come: every
    panel then shows the step the run stopped at, not the last frame's."""
    from gradstep.tui.app import GradstepApp
    from gradstep.tui.widgets.status_line import StatusLine

    from .conftest import settle

    monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path))
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("r")
        deadline = time.monotonic() + DEADLINE
        while screen.session.t < 50:
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        await pilot.press("r")
        assert "paused" in screen.query_one(StatusLine).render().plain  # answered at once
        await settle(pilot)
        t = screen.session.t
        while f"t = {t}" not in str(screen.query_one("#state").border_title):
            assert time.monotonic() < deadline, screen.query_one("#state").border_title
            await pilot.pause(0.05)
        assert f"step {t}" in screen.query_one(StatusLine).render().plain


@pytest.mark.parametrize("served, frames_with_charts", [
    (True, [0.0, 2.0, 4.0]),                    # classroom: the charts every 2 s
    (False, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]),  # terminal: every frame 0.4 s apart
])
async def test_a_served_run_redraws_its_charts_every_two_seconds_and_the_rest_every_frame(
        monkeypatch, tmp_path, served, frames_with_charts):
    """Served, a live frame every half second redraws the status and the panels, and the loss
    chart only when 2 s have passed since it was last drawn: the charts are two thirds of a
    frame's drawing, and 30 dashboards drawing them every frame left a paused class's keys
    waiting. The clock is the presenter's, set by the test: frames at 0, 0.5, ... 4 s."""
    from gradstep.tui.app import GradstepApp
    from gradstep.tui.screens import presenter
    from gradstep.tui.widgets.loss_chart import LossChart

    from .conftest import settle

    if served:
        monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path))
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        chart = screen.query_one(LossChart)
        start = time.monotonic() + 10.0  # after the first screen's charts, drawn on the real clock
        clock = [start]
        real = presenter.time.monotonic
        presenter.time.monotonic = lambda: clock[0]  # the whole process's clock: put back at once
        redrawn, shown = [], []
        try:
            for k in range(9):  # frames at 0, 0.5, ..., 4 s, each a step later
                clock[0] = start + 0.5 * k
                record = screen.training.step()
                screen.present.everything(record, 10.0, live=True)
                shown.append(f"step {record.step}" in screen.query_one("StatusLine").render().plain)
                if chart.last_step == record.step:
                    redrawn.append(0.5 * k)
        finally:
            presenter.time.monotonic = real
        assert all(shown)
        assert redrawn == frames_with_charts


def test_a_served_class_pausing_together_spreads_its_full_redraws():
    """Each pause's full redraw comes 0.3 to 1 s after the key, drawn at random: thirty
    dashboards paused within the same second do not all redraw every panel at the same moment
    (a terminal's dashboard redraws at once)."""
    from gradstep.tui.pacing import SERVED

    delays = [SERVED.redraw_delay() for _ in range(200)]
    assert all(0.3 <= d <= 1.0 for d in delays)
    assert max(delays) - min(delays) > 0.5  # 200 draws all within 0.5 s of each other: ~(5/7)^200
    assert Pace(frame=0.1, draw_wait=0.25).redraw_delay() == 0.0
