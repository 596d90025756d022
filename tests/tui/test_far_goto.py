"""A far goto answers at once: the step's number and its logged scalars are on screen before its
arrays are replayed; the replay runs in a worker, and escape, the pause key or another goto stop
or supersede it, the session staying where it stood.

The replay's slices are held back by the test (the controller's lock, as the worker takes it,
waits for ``go``), so what the screen shows while reaching is looked at without timing luck;
``AT_ONCE`` is 0 so that a replay of moons (fractions of a millisecond a step) is a far one.
"""

from __future__ import annotations

import asyncio
import threading

import numpy as np
from textual.widgets import Input

from gradstep.tui import travel
from gradstep.tui.app import GradstepApp
from gradstep.tui.format import num
from gradstep.tui.screens.jump_dialog import JumpDialog
from gradstep.tui.widgets.matrix_view import MatrixView

from .conftest import settle
from .test_time_travel import SIZE, assert_at, reference, status

FURTHEST = 600


class HeldBack:
    """The controller's lock, taken by a thread other than the UI's only once :attr:`go` is set."""

    def __init__(self, lock) -> None:
        self.lock, self.go, self.ui = lock, threading.Event(), threading.get_ident()

    def __enter__(self):
        if threading.get_ident() != self.ui:
            self.go.wait(120)
        self.lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()


async def started(pilot, at_once=0.0):
    """The dashboard on moons after FURTHEST steps, its replays held back: the lock's gate."""
    travel.AT_ONCE, saved = at_once, travel.AT_ONCE
    screen = pilot.app.screen
    screen.training.step(FURTHEST)
    screen.present.everything(screen.session.record)
    held = HeldBack(screen.training._lock)
    screen.training._lock = held
    await pilot.pause()
    return held, saved


async def jump(pilot, step: int) -> None:
    await pilot.press("colon")
    for _ in range(200):
        if isinstance(pilot.app.screen, JumpDialog):
            break
        await pilot.pause(0.05)
    pilot.app.screen.query_one("#step", Input).value = str(step)
    await pilot.press("enter")


async def until(condition, timeout=60.0) -> None:
    waited = 0.0
    while not condition():
        assert waited < timeout, "waited a minute"
        await asyncio.sleep(0.05)
        waited += 0.05


def shown_grad(screen):
    return screen.query_one("#grad", MatrixView)


def assert_shows_record(screen, expected) -> None:
    """The session stands at ``expected``'s step, bit for bit, and the gradient panel shows it."""
    record = screen.session.record
    assert record.step == expected.step
    for a, b in ((record.theta, expected.theta), (record.grad, expected.grad), (record.delta, expected.delta)):
        assert np.array_equal(a, b)
    for key, value in expected.flat_state.items():
        assert np.array_equal(record.flat_state[key], value)
    grid = screen.grids[screen.layer_index]
    assert np.array_equal(shown_grad(screen).values, grid.values(expected.grads), equal_nan=True)


async def test_a_far_goto_shows_the_step_and_its_loss_at_once_then_its_arrays():
    app = GradstepApp("moons")
    async with app.run_test(size=SIZE) as pilot:
        held, saved = await started(pilot)
        try:
            screen = app.screen
            expected = reference("moons", 15)
            await jump(pilot, 15)
            await pilot.pause()
            assert screen.reaching is not None and screen.session.t == FURTHEST  # not moved yet
            shown = status(app)
            assert f"step 15 of {FURTHEST}" in shown and f"batch L(θ₁₄) = {num(expected.loss)} " in shown
            assert "reaching 0%" in shown
            assert "reaching step 15… 0%" in shown_grad(screen).render().plain
            layers = screen.query_one("#layers")
            assert layers.param_norms == dict(expected.grad_norms)
            held.go.set()
            await until(lambda: screen.reaching is None)
            await settle(pilot)
            assert_at(app, 15, FURTHEST)
            assert "reaching" not in status(app)
            assert_shows_record(screen, expected)
        finally:
            travel.AT_ONCE = saved
            held.go.set()


async def test_escape_and_the_pause_key_stop_a_far_goto_and_the_session_stays_where_it_stood():
    app = GradstepApp("moons")
    async with app.run_test(size=SIZE) as pilot:
        held, saved = await started(pilot)
        try:
            screen = app.screen
            expected = reference("moons", FURTHEST)
            for key in ("escape", "r"):
                await jump(pilot, 15)
                await pilot.pause()
                assert screen.reaching is not None
                await pilot.press(key)
                await pilot.pause()
                assert screen.reaching is None and screen.mode == "paused"
                assert_at(app, FURTHEST, FURTHEST)
                assert "reaching" not in status(app)
                assert_shows_record(screen, expected)
            held.go.set()  # the stopped workers may take their slice now: they must not
            await settle(pilot)
            assert_at(app, FURTHEST, FURTHEST)
            assert_shows_record(screen, expected)
        finally:
            travel.AT_ONCE = saved
            held.go.set()


async def test_another_goto_supersedes_a_far_goto_on_its_way():
    app = GradstepApp("moons")
    async with app.run_test(size=SIZE) as pilot:
        held, saved = await started(pilot)
        try:
            screen = app.screen
            await jump(pilot, 15)
            await pilot.pause()
            await pilot.press("full_stop")  # ten steps on from the step shown
            await pilot.pause()
            assert screen.reaching.target == 25 and f"step 25 of {FURTHEST}" in status(app)
            held.go.set()
            await until(lambda: screen.reaching is None)
            await settle(pilot)
            assert_at(app, 25, FURTHEST)
            assert_shows_record(screen, reference("moons", 25))
        finally:
            travel.AT_ONCE = saved
            held.go.set()


async def test_a_goto_the_keyframes_reach_quickly_is_done_at_once_as_before():
    app = GradstepApp("moons")
    async with app.run_test(size=SIZE) as pilot:
        held, saved = await started(pilot, at_once=travel.AT_ONCE)
        try:
            screen = app.screen
            await jump(pilot, 15)  # 15 steps of moons from step 0: well under AT_ONCE
            assert screen.reaching is None and screen.session.t == 15
            assert "reaching" not in status(app)
            assert_shows_record(screen, reference("moons", 15))
        finally:
            travel.AT_ONCE = saved
            held.go.set()
