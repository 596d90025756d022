"""``w`` saves the session as a person would press it, and a saved session opens at its step
(issue 18). The reference numbers come from an engine session trained straight through with the
same keys' changes, never from the save code."""

from __future__ import annotations

import asyncio
import io
import zipfile

import numpy as np

from textual.widgets import Input, Static

from gradstep.engine.scenario import load_scenario
from gradstep.engine.training import save_file
from gradstep.engine.training.session import Session
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.save_dialog import SaveDialog

from .conftest import settle

SIZE = (120, 40)


async def until(pilot, condition, timeout=30.0):
    """Let the app run until ``condition()`` holds (generous timeout: a busy machine)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "condition not met in time"
        await pilot.pause(0.02)


def reference(path, at):
    """The engine, straight: 30 steps, α doubled, 10 steps, then back to step ``at``."""
    session = Session(load_scenario(path))
    session.run(30)
    session.set_lr(session.hyper["lr"] * 2)
    session.run(10)
    session.goto(at)
    return session


async def keys(pilot, *pressed):
    for key in pressed:
        await pilot.press(key)
        await settle(pilot)


async def test_w_saves_next_to_the_scenario_and_the_file_resumes_bit_for_bit(write_scenario):
    scenario = write_scenario("fabc")
    app = GradstepApp(str(scenario))
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "n", "n", "n", "right_square_bracket", "n", "comma", "b")  # stands at 29
        dashboard = app.screen
        assert (dashboard.session.t, dashboard.session.furthest) == (29, 40)
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        target = scenario.with_name("fabc-step29.gradstep")
        assert app.screen.query_one("#path", Input).value == str(target)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert target.is_file()
        assert dashboard.session.t == 29  # saving moved nothing
    resumed = save_file.load(target)
    straight = reference(scenario, 29)
    assert (resumed.t, resumed.furthest) == (29, 40)
    assert resumed.theta.tobytes() == straight.theta.tobytes()
    assert resumed.goto(40).theta.tobytes() == straight.goto(40).theta.tobytes()


async def test_a_saved_session_opens_at_its_step_with_its_marks(write_scenario, tmp_path):
    scenario = write_scenario("fabc")
    saved = tmp_path / "s.gradstep"
    save_file.save(reference(scenario, 35), saved)
    app = GradstepApp(str(saved), resumed=save_file.load(saved))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        assert (dashboard.session.t, dashboard.session.furthest) == (35, 40)
        assert dashboard.training.lr_marks() == (30,)
        await keys(pilot, "end")
        assert dashboard.session.theta.tobytes() == reference(scenario, 40).theta.tobytes()
        await keys(pilot, "space")
        straight = reference(scenario, 40)
        straight.step()
        assert dashboard.session.theta.tobytes() == straight.theta.tobytes()


async def test_a_wrong_name_is_explained_in_the_dialog(write_scenario, tmp_path):
    app = GradstepApp(str(write_scenario("fabc")))
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "n")
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        dialog = app.screen
        dialog.query_one("#path", Input).value = str(tmp_path / "run.txt")
        await pilot.press("enter")
        await pilot.pause()
        assert ".gradstep" in str(dialog.query_one("#problem", Static).render())
        dialog.query_one("#path", Input).value = str(tmp_path / "no-such-folder" / "run.gradstep")
        await pilot.press("enter")
        await until(pilot, lambda: "no-such-folder" in str(dialog.query_one("#problem", Static).render()))
        assert app.screen is dialog
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
    assert list(tmp_path.glob("**/*.gradstep")) == []


async def test_a_served_dashboard_delivers_the_save_as_a_download(write_scenario, monkeypatch, tmp_path):
    from gradstep.tui.classroom import served

    scenario = write_scenario("fabc")
    monkeypatch.setenv(served.FOLDER_VARIABLE, str(tmp_path))
    monkeypatch.setattr(GradstepApp, "is_web", property(lambda self: True))
    delivered = []
    monkeypatch.setattr(GradstepApp, "deliver_binary",
                        lambda self, data, save_filename, mime_type: delivered.append(
                            (data.read(), save_filename, mime_type)))
    before = sorted(tmp_path.rglob("*"))
    app = GradstepApp(str(scenario))
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "n", "n", "n")
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press("enter")
        await until(pilot, lambda: delivered)
    data, name, mime = delivered[0]
    assert (name, mime) == ("fabc-step30.gradstep", "application/zip")
    assert sorted(tmp_path.rglob("*")) == before  # nothing written on the teacher's disk
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        theta = np.load(io.BytesIO(archive.read("theta.npy")), allow_pickle=False)
    straight = Session(load_scenario(scenario))
    straight.run(30)
    assert theta.tobytes() == straight.theta.tobytes()
