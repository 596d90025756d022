"""Time travel on the dashboard: every key of it, pressed in a running app, and the numbers shown
at the step gone to equal those of an independent session stepped straight there."""

from __future__ import annotations

import json

import numpy as np
import pytest
from textual.widgets import Input, Static, Tabs

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.session import Session
from gradstep.tui.app import GradstepApp
from gradstep.tui.format import loss_at, fit, num
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.export_dialog import ExportDialog, suggested_path, trace_format
from gradstep.tui.screens.jump_dialog import JumpDialog, parse_step
from gradstep.tui.widgets.equations_view import EquationsView
from gradstep.tui.widgets.loss_chart import LossChart
from gradstep.tui.widgets.matrix_view import CELL, MatrixView
from gradstep.tui.widgets.param_chart import ParamChart
from gradstep.tui.widgets.state_table import StateTable
from gradstep.tui.widgets.status_line import StatusLine
from gradstep.tui.widgets.timeline import Timeline

from .conftest import settle
from .test_numbers import table

SIZE = (120, 40)


def status(app) -> str:
    return app.screen.query_one(StatusLine).render().plain


def reference(name: str, steps: int):
    """The record of step ``steps`` (None for 0) of a session the app knows nothing about."""
    return Session(load_scenario(resolve_scenario(name))).run(steps)


async def press(pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def notes(app) -> list[str]:
    """Record the notifications the app shows from now on."""
    seen: list[str] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        seen.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording
    return seen


def assert_at(app, t: int, furthest: int) -> None:
    screen = app.screen
    assert screen.session.t == t and screen.session.furthest == furthest
    shown = status(app)
    assert f"step {t} " in shown
    if t < furthest:
        assert f"step {t} of {furthest}" in shown
    timeline = screen.query_one(Timeline)
    assert (timeline.t, timeline.furthest) == (t, furthest)
    assert f"{t}/{furthest}" in timeline.render().plain.replace(" ", "")


async def test_b_and_backspace_go_one_step_back():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "b")
        assert_at(app, 9, 10)
        await press(pilot, "backspace")
        assert_at(app, 8, 10)
        assert app.screen.session.record.step == 8


async def test_b_at_step_0_says_so():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        seen = notes(app)
        await press(pilot, "b")
        assert app.screen.session.t == 0
        assert any("step 0" in note for note in seen)


async def test_comma_and_period_go_ten_steps_back_and_forward_within_the_history():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        seen = notes(app)
        await press(pilot, "n", "n", "space", "comma")
        assert_at(app, 11, 21)
        await press(pilot, "comma", "comma")
        assert_at(app, 0, 21)  # not before step 0
        await press(pilot, "full_stop")
        assert_at(app, 10, 21)
        await press(pilot, "full_stop", "full_stop")
        assert_at(app, 21, 21)  # never beyond the furthest step
        await press(pilot, "full_stop")
        assert_at(app, 21, 21)
        assert any("latest step" in note for note in seen)


async def test_home_and_end_go_to_step_0_and_the_furthest_step():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "home")
        assert_at(app, 0, 10)
        assert app.screen.session.record is None
        await press(pilot, "end")
        assert_at(app, 10, 10)


async def test_step_0_shows_the_initial_parameters():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "home")
        screen = app.screen
        initial = Session(load_scenario(resolve_scenario("adam-fabc"))).params
        shown = table(screen.query_one(StateTable))
        for name in ("a", "b", "c"):
            assert shown[name] == [fit(float(initial[name]), CELL - 1)]
        assert "loss" not in status(app)  # no loss before the first step
        assert f"{num(float(initial['a']))} before step 1" in str(screen.query_one("#upclose").border_title)
        assert screen.query_one(LossChart).current == 0  # the curve stays, step 0 marked


async def test_colon_goes_to_a_typed_step():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "n", "colon")
        assert isinstance(app.screen, JumpDialog)
        app.screen.query_one(Input).value = "7"
        await press(pilot, "enter")
        assert isinstance(app.screen, DashboardScreen)
        assert_at(app, 7, 20)


@pytest.mark.parametrize("text, says", [("abc", "not a step number"), ("25", "not been computed"),
                                        ("-3", "start at 0"), ("", "not a step number")])
async def test_colon_with_a_bad_step_explains_and_changes_nothing(text, says):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "n", "colon")
        dialog = app.screen
        dialog.query_one(Input).value = text
        await press(pilot, "enter")
        assert app.screen is dialog, "the dialog stays open to fix the number"
        problem = dialog.query_one("#problem", Static)
        assert problem.display and says in str(problem.render())
        await press(pilot, "escape")
        assert isinstance(app.screen, DashboardScreen)
        assert_at(app, 20, 20)


def test_parse_step():
    assert parse_step(" 12 ", 20) == 12 and parse_step("0", 0) == 0
    for bad in ("1.5", "x", "21", "-1"):
        with pytest.raises(ValueError):
            parse_step(bad, 20)


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
async def test_e_exports_the_trace(tmp_path, suffix):
    target = tmp_path / f"trace.{suffix}"
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        seen = notes(app)
        await press(pilot, "n", "n", "space", "comma", "e")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.query_one(Input).value == "./adam-fabc-trace.jsonl"
        dialog.query_one(Input).value = str(target)
        await press(pilot, "enter")
        assert isinstance(app.screen, DashboardScreen)
        assert_at(app, 11, 21)  # the export replays the history and comes back
        lines = target.read_text().splitlines()
        assert len(lines) == 21 + (suffix == "csv")
        assert any(str(target) in note and "21 steps" in note for note in seen)
        if suffix == "jsonl":
            expected = reference("adam-fabc", 21)
            last = json.loads(lines[-1])
            assert last["step"] == 21 and last["loss"] == expected.loss


async def test_e_to_a_missing_folder_shows_the_error_and_the_app_goes_on(tmp_path):
    target = tmp_path / "no such folder" / "trace.jsonl"
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "e")
        dialog = app.screen
        dialog.query_one(Input).value = str(target)
        await press(pilot, "enter")
        assert app.screen is dialog
        problem = str(dialog.query_one("#problem", Static).render())
        assert "cannot write" in problem and "trace.jsonl" in problem
        assert not dialog.query_one(Input).disabled
        dialog.query_one(Input).value = str(tmp_path / "trace.txt")
        await press(pilot, "enter")
        assert ".jsonl" in str(dialog.query_one("#problem", Static).render())
        await press(pilot, "escape")
        assert isinstance(app.screen, DashboardScreen)
        assert not target.parent.exists()
        await press(pilot, "space")  # still training
        assert_at(app, 11, 11)


async def test_e_asks_before_replacing_a_file(tmp_path):
    target = tmp_path / "trace.jsonl"
    target.write_text("keep me\n")
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "e")
        dialog = app.screen
        dialog.query_one(Input).value = str(target)
        await press(pilot, "enter")
        assert "exists" in str(dialog.query_one("#problem", Static).render())
        assert target.read_text() == "keep me\n"
        await press(pilot, "enter")
        assert isinstance(app.screen, DashboardScreen)
        assert len(target.read_text().splitlines()) == 10


def test_export_names_and_formats():
    assert suggested_path("my scenario/2") == "./my-scenario-2-trace.jsonl"
    assert trace_format("a/b.CSV") == "csv" and trace_format("x.jsonl") == "jsonl"
    with pytest.raises(ValueError):
        trace_format("trace.json")


async def test_objective_numbers_after_going_back_equal_a_session_stepped_there():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "N", "colon")
        app.screen.query_one(Input).value = "37"
        await press(pilot, "enter", "down")
        expected, previous = reference("adam-fabc", 37), reference("adam-fabc", 36)
        screen = app.screen
        assert_at(app, 37, 100)
        assert np.array_equal(screen.session.record.theta, expected.theta)
        assert f"{loss_at(expected.step - 1)} = {num(expected.loss)} " in status(app)
        shown = table(screen.query_one(StateTable))
        for name in ("a", "b", "c"):
            state = expected.state[name]
            assert shown[name] == [fit(float(state[k]), CELL - 1) for k in ("V", "S", "V_hat", "S_hat")] + [
                fit(float(expected.update[name]), CELL - 1), fit(float(expected.effective_lr[name]), CELL - 1)]
        grads = table(screen.query_one("#grad", MatrixView))
        assert grads[fit(expected.grads["a"], CELL - 1)] == [fit(expected.grads[n], CELL - 1) for n in ("b", "c")]
        # the up-close panel writes step 37 out with step 36's numbers
        lines = dict(screen.query_one(EquationsView).lines)
        v_line = next(eq for eq in lines if eq.startswith("V = "))
        assert num(previous.state["b"]["V"]) in v_line and lines[v_line] == num(expected.state["b"]["V"])


async def test_network_numbers_after_going_back_equal_a_session_stepped_there():
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "n", "n", "comma", "b")
        expected = reference("xor", 19)
        screen = app.screen
        assert_at(app, 19, 30)
        assert f"{loss_at(expected.step - 1)} = {num(expected.loss)} " in status(app)
        shown = table(screen.query_one("#grad", MatrixView))
        columns = len(shown["x1"])
        assert shown["x1"] == [fit(v, CELL - 1) for v in expected.grads["layer1.W"][0, :columns]]
        arrays = {key: expected.state["layer1.W"][key] for key in ("V", "S", "V_hat", "S_hat")}
        arrays["update"] = expected.update["layer1.W"]
        arrays["lr_eff"] = expected.effective_lr["layer1.W"]
        for key, array in arrays.items():
            screen.query_one("#state-tabs", Tabs).active = f"tab-{key}"
            await pilot.pause()
            shown = table(screen.query_one(f"#view-{key}", MatrixView))["x2"]
            assert shown == [fit(v, CELL - 1) for v in array[1, :len(shown)]], key
        assert "α_eff = α/(√Ŝ+ε)" in str(screen.query_one("#state").border_subtitle)


async def test_a_record_kept_nowhere_is_replayed_for_the_up_close_panel(monkeypatch):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "n", "n", "n", "n")
        screen = app.screen
        monkeypatch.setattr(screen.session.history, "cached", lambda t: None)
        assert screen.record_at(37) is None
        record = screen.record_at(37, fetch=True)
        assert record.step == 37 and np.array_equal(record.theta, reference("adam-fabc", 37).theta)
        assert screen.session.t == 50 and screen.session.record.step == 50


async def test_stepping_after_going_back_continues_along_the_history():
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "n", "comma", "space")
        assert_at(app, 11, 20)
        assert np.array_equal(app.screen.session.record.theta, reference("xor", 11).theta)
        await press(pilot, "n")
        assert_at(app, 21, 21)
        assert app.screen.query_one(LossChart).current is None
        assert np.array_equal(app.screen.session.record.theta, reference("xor", 21).theta)


async def test_going_back_while_running_pauses_first():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "N")
        await pilot.press("r")
        await pilot.pause(0.3)
        assert app.screen.mode == "running"
        await press(pilot, "comma")
        screen = app.screen
        assert screen.mode == "paused"
        t, furthest = screen.session.t, screen.session.furthest
        assert t == furthest - 10
        await pilot.pause(0.2)
        assert_at(app, t, furthest)  # nothing moved after the pause


async def test_going_back_after_a_divergence_clears_the_banner(write_scenario):
    app = GradstepApp(write_scenario("explodes", kind="sgd", lr=10))
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "N")
        screen = app.screen
        assert screen.mode == "diverged"
        t = screen.session.t
        await press(pilot, "b")
        assert screen.mode == "paused" and not screen.query_one("#banner").has_class("-shown")
        assert_at(app, t - 1, t)


async def test_a_branch_shows_the_ghost_and_the_timeline_marks_it():
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        lr = screen.session.hyper["lr"]
        await press(pilot, "n", "n", "n", "comma", "comma", "left_square_bracket", "space", "space")
        assert_at(app, 12, 12)
        # the same branch, taken by a session the app knows nothing about
        session = Session(load_scenario(resolve_scenario("xor")))
        session.run(30)
        abandoned = session.history.losses()
        session.goto(10)
        session.set_lr(lr / 2)
        expected = session.run(2)
        assert np.array_equal(screen.session.record.theta, expected.theta)
        assert f"{loss_at(expected.step - 1)} = {num(expected.loss)} " in status(app)

        chart = screen.query_one(LossChart)
        ghost_steps, ghost_losses = chart.ghost
        assert ghost_steps.tolist() == list(range(11, 31))
        assert np.array_equal(ghost_losses, abandoned[10:])
        assert len(chart._loss) == 12 and chart._loss[-1] == expected.loss

        timeline = screen.query_one(Timeline)
        assert (timeline.branch, timeline.ghost_end) == (10, 30)
        assert "↳" in timeline.render().plain

        assert screen.history.lr_changes == [(10, lr, lr / 2)]
        assert len(screen.history) == 12  # the abandoned steps' rows are gone
        # the up-close chart follows the new branch, not the abandoned one
        param = screen.query_one(ParamChart)
        assert param._steps.tolist() == list(range(1, 13))
        assert param._left["g"][-1] == expected.grad[0]
        assert np.array_equal(screen.history.grad_norms()["layer1.W"][-1:], [expected.grad_norms["layer1.W"]])


def test_time_travel_snapshot(snap_compare):
    """xor after a branch: the ghost beside the new curve, the timeline's branch mark."""
    async def run_before(pilot) -> None:
        await pilot.pause()
        await press(pilot, "n", "n", "n", "comma", "comma", "left_square_bracket", "n", "comma")
        pilot.app.clear_notifications()  # the toast of the lr change would time out
        await pilot.pause()

    assert snap_compare(GradstepApp("xor"), terminal_size=SIZE, run_before=run_before)
