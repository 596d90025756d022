"""The export dialog counts the steps it writes, and escape stops a long export with no file
left behind."""

from __future__ import annotations

import asyncio
import json
import threading

from textual.widgets import Input, Static

from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.export_dialog import ExportDialog

from .conftest import settle

SIZE = (120, 40)


async def until(pilot, condition, timeout=30.0):
    """Let the app run until ``condition()`` holds (generous timeout: a busy machine)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "condition not met in time"
        await pilot.pause(0.02)


async def open_dialog(pilot, export):
    dashboard = pilot.app.screen
    assert isinstance(dashboard, DashboardScreen)
    results = []
    dialog = ExportDialog("./t.jsonl", export)
    pilot.app.push_screen(dialog, results.append)
    await settle(pilot)
    return dashboard, dialog, results


async def test_escape_stops_an_export_half_way_and_leaves_no_file(tmp_path):
    target = tmp_path / "trace.jsonl"
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(30):
            await pilot.press("n")
        await settle(pilot)
        dashboard = app.screen
        controller = dashboard.training
        before = dashboard.session.t
        underway, go_on = threading.Event(), threading.Event()

        def export(path, format, progress):
            def held(done, total):
                progress(done, total)
                if done == 5:  # the learner presses escape while step 5 is being written
                    underway.set()
                    go_on.wait(30)
            return controller.export(path, format, held)

        _dashboard, dialog, results = await open_dialog(pilot, export)
        dialog.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, underway.is_set)
        await pilot.press("escape")
        assert "stopping" in str(dialog.query_one("#hint", Static).render())
        go_on.set()
        await until(pilot, lambda: results)
        assert results == [None]
        assert list(tmp_path.iterdir()) == []  # neither the trace nor its temporary file
        assert dashboard.session.t == before > 5  # the session stands where it stood


async def test_the_dialog_counts_the_steps_written(tmp_path):
    target = tmp_path / "trace.jsonl"
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(8):
            await pilot.press("n")
        await settle(pilot)
        controller = app.screen.training
        steps = app.screen.session.t
        shown = []
        _dashboard, dialog, results = await open_dialog(pilot, controller.export)
        real = dialog._progress

        def progress(path, done, total):  # what the hint said, each time it changed
            real(path, done, total)
            shown.append(str(dialog.query_one("#hint", Static).render()))
        dialog._progress = progress
        dialog.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: results)
        assert results == [(str(target), steps)]
        assert shown and shown[-1] == f"writing {target}: step {steps} of {steps} (escape stops)"
        assert [json.loads(line)["step"] for line in target.read_text().splitlines()] == list(range(1, steps + 1))
