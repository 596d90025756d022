"""The terminal that goes wrong: resized down to 20×8 and back up while training runs, every view
and dialog opened at 20×8. Nothing raises (``run_test`` re-raises what the app raised), training
goes on, and what does not fit says so."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.events import Resize
from textual.geometry import Size

from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.dashboard import MIN_SIZE, DashboardScreen
from gradstep.tui.widgets.loss_chart import LossChart
from gradstep.tui.widgets.status_line import StatusLine

from .conftest import settle

DIGITS = str(Path(__file__).resolve().parents[1] / "data" / "large" / "digits-784.toml")
SIZES = [(20, 8), (30, 10), (80, 24), (20, 8), (200, 60), (59, 30), (100, 17), (1, 1), (120, 40)]
"""Odd sizes, each visited while running: tiny, the smallest kept, wide, one short of the
minimum either way, a single cell, and back to where it started."""


def on_screen(app) -> str:
    """The text of every cell of the screen as drawn, lines joined by spaces (a message wrapped
    onto several lines reads as one)."""
    return " ".join(strip.text for strip in app.screen._compositor.render_strips())


async def resize(pilot, size, seconds: float = 0.25, deadline: float = 60.0) -> None:
    """Resize the terminal, as ``Pilot.resize_terminal`` does, and let ``seconds`` pass. (That
    also waits for the CPU to idle, which it never does while training runs: a second each.)

    On a busy machine, with a large network training, the screen can take longer than
    ``seconds`` to be laid out again: wait, up to ``deadline`` seconds, until the screen shows
    everything the test then reads (:func:`fits`: the message with both sizes and no status line
    below the minimum, the status line above it). A screen that never shows it still fails the
    test's assertions."""
    pilot.app._driver._size = Size(*size)
    pilot.app.post_message(Resize(Size(*size), Size(*size)))
    await pilot.pause(seconds)
    waited = seconds
    while size != (1, 1) and waited < deadline and not fits(pilot.app, size):
        await pilot.pause(0.1)
        waited += 0.1


def fits(app, size) -> bool:
    """Whether the screen shows what it must at ``size`` (what the test asserts)."""
    text = " ".join(on_screen(app).split())
    if below_minimum(size):
        return (f"{size[0]}×{size[1]}" in text and f"{MIN_SIZE[0]}×{MIN_SIZE[1]}" in text
                and not app.screen.query_one(StatusLine).region.area)
    return f"{MIN_SIZE[0]}×{MIN_SIZE[1]}" not in text and "step " in text


def below_minimum(size) -> bool:
    return size[0] < MIN_SIZE[0] or size[1] < MIN_SIZE[1]


@pytest.mark.parametrize("name", ["adam-fabc", "moons", DIGITS], ids=["objective", "moons", "digits-784"])
async def test_resizing_while_running_raises_nothing_and_training_goes_on(name):
    app = GradstepApp(name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("r")
        steps = [screen.session.t]
        for size in SIZES:
            await resize(pilot, size)
            assert app.size == size
            text = " ".join(on_screen(app).split())
            needed = f"{MIN_SIZE[0]}×{MIN_SIZE[1]}"
            if size == (1, 1):
                pass  # one cell shows nothing legible; it must only not raise
            elif below_minimum(size):
                assert f"{size[0]}×{size[1]}" in text and needed in text, (size, text)
                assert not screen.query_one(StatusLine).region.area
            else:
                assert needed not in text, size
                assert "step " in text, size  # the status line is back
            steps.append(screen.session.t)
        assert screen.mode == "running"
        await pilot.press("r")
        await settle(pilot)
        assert screen.mode == "paused"
        # Pausing cancels the worker at once, but its thread may be finishing one last step;
        # the screen shows it when that thread's end arrives (RunEnded), so wait for that.
        deadline = time.monotonic() + 30
        while f"step {screen.session.t} " not in screen.query_one(StatusLine).render().plain:
            assert time.monotonic() < deadline, screen.query_one(StatusLine).render().plain
            await pilot.pause(0.05)
    assert steps == sorted(steps) and steps[-1] > steps[1] > 0, steps


async def test_the_smallest_dashboard_shows_its_panels_or_says_they_are_too_small():
    app = GradstepApp("xor")
    async with app.run_test(size=MIN_SIZE) as pilot:
        await pilot.press("n")
        await settle(pilot)
        text = on_screen(app)
        assert "step 10" in text and "x1" in text  # the status line and a row of the matrix
        chart = app.screen.query_one(LossChart)
        assert chart.region.area and "too small" in chart.render().plain
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert "too small" not in on_screen(app)


@pytest.mark.parametrize("name", ["adam-fabc", "xor"])
async def test_every_view_and_dialog_opens_at_20x8(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the export dialog suggests a file in the working folder
    app = GradstepApp(name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        await pilot.resize_terminal(20, 8)
        await pilot.pause()
        for key in ["c", "k", "f", "s", "C", "question_mark", "o", "colon", "e"]:
            await pilot.press(key)
            await settle(pilot)
            await pilot.pause(0.2)
            assert not isinstance(app.screen, DashboardScreen), key
            for size in [(33, 9), (20, 8)]:
                await pilot.resize_terminal(*size)
                await pilot.pause()
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen), key
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert "step 10" in on_screen(app)
    assert list(tmp_path.iterdir()) == []  # nothing was written
