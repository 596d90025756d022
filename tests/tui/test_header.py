"""The dashboard's header (issue 16): two lines at every width from 80 columns, the first naming
what is trained (the description, or the function minimised), so that no panel moves when a run
starts, a number grows or the mode changes."""

from __future__ import annotations

import asyncio
import time

import pytest

from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.status_line import StatusLine

from .conftest import settle

SIZES = [(80, 24), (120, 40), (200, 60)]

NO_DESCRIPTION = """name = "bare"
[objective]
expression = "(a - 1)**2 + 10 * (b + 2)**2"
params = { a = 0.0, b = 0.0 }

[optimizer]
kind = "adam"
lr = 0.05
"""


def header(app) -> tuple[StatusLine, list[str]]:
    status = app.screen.query_one(StatusLine)
    return status, status.render().plain.split("\n")


def panels_top(app) -> int:
    return app.screen.query_one("#loss").region.y


async def until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_header_keeps_two_lines_paused_and_running(size):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        status, lines = header(app)
        top = panels_top(app)
        assert status.region.height == 2 and len(lines) == 2
        # the function minimised is on screen at every width (the description holds it)
        assert "f(a,b,c)" in lines[0] and lines[1].startswith("step 0")
        await pilot.press("r")
        await until(lambda: "running" in header(app)[1][1] and app.screen.session.t > 0)
        await pilot.pause()
        status, lines = header(app)
        assert status.region.height == 2 and len(lines) == 2 and panels_top(app) == top
        assert all(len(line) <= status.size.width for line in lines)
        await pilot.press("r")
        await settle(pilot)
        status, lines = header(app)
        assert "paused" in lines[1] and panels_top(app) == top


async def test_at_80_columns_what_does_not_fit_is_left_out_least_needed_first():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):
            await pilot.press("N")  # step 300: a longer step number and loss change
            await settle(pilot)
        _status, lines = header(app)
        state = lines[1]
        # step, the loss with its parameters, the optimizer with α and the mode always stay
        assert state.startswith("step 300") and "L(θ₂₉₉) = " in state
        assert "adam α 0.05" in state and state.rstrip().endswith("paused")
        assert "…" not in state


async def test_a_scenario_without_a_description_shows_its_function(write_scenario):
    app = GradstepApp(str(write_scenario(text=NO_DESCRIPTION)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        _status, lines = header(app)
        assert lines[0] == "gradstep bare — minimise (a - 1)**2 + 10 * (b + 2)**2"


async def test_a_description_wider_than_the_screen_is_cut_not_wrapped(write_scenario):
    text = 'description = "' + "a very long description " * 8 + '"\n' + NO_DESCRIPTION
    app = GradstepApp(str(write_scenario(text=text)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        status, lines = header(app)
        assert len(lines) == 2 and status.region.height == 2
        assert lines[0].endswith("…") and len(lines[0]) == status.size.width
        assert lines[1].startswith("step 0")
