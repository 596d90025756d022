"""Every key of the dashboard, pressed in a running app (Textual's Pilot)."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import load_scenario
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.dashboard import SPEEDS, DashboardScreen
from gradstep.tui.screens.error_dialog import ErrorDialog
from gradstep.tui.screens.help import HelpScreen
from gradstep.tui.screens.open_scenario import OpenScenarioScreen, scenario_choices
from gradstep.tui.widgets.loss_chart import LossChart
from gradstep.tui.widgets.matrix_view import MatrixView
from gradstep.tui.widgets.status_line import StatusLine

from .conftest import settle

SIZE = (120, 40)


def status(app) -> str:
    return app.screen.query_one(StatusLine).render().plain


async def test_space_takes_one_step():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "step 0" in status(app)
        await pilot.press("space")
        await pilot.pause()
        assert app.screen.session.t == 1
        assert "step 1 " in status(app)


@pytest.mark.parametrize("key, steps", [("n", 10), ("N", 100)])
async def test_n_and_shift_n_take_10_and_100_steps(key, steps):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await settle(pilot)
        assert app.screen.session.t == steps
        assert f"step {steps} " in status(app)
        assert app.screen.mode == "paused"


async def test_r_runs_and_pauses_at_once():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause(0.3)
        assert app.screen.mode == "running"
        assert "running" in status(app) and "/s (speed max)" in status(app)
        await pilot.press("r")
        assert app.screen.mode == "paused"
        await settle(pilot)
        stopped = app.screen.session.t
        assert stopped > 0
        await pilot.pause(0.2)
        assert app.screen.session.t == stopped, "no step after the pause"
        assert "paused" in status(app) and "/s" not in status(app)


async def test_plus_and_minus_change_the_run_speed():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert SPEEDS[screen.speed] is None  # as fast as the engine goes
        await pilot.press("minus", "minus")
        assert SPEEDS[screen.speed] == SPEEDS[-3]
        await pilot.press("plus")
        assert SPEEDS[screen.speed] == SPEEDS[-2]
        await pilot.press("r")
        await pilot.pause(0.2)
        assert f"speed {SPEEDS[-2]}/s" in status(app)
        await pilot.press("r")
        await settle(pilot)


async def test_brackets_halve_and_double_the_learning_rate():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        lr = screen.session.hyper["lr"]
        await pilot.press("space", "left_square_bracket")
        await pilot.pause()
        assert screen.session.hyper["lr"] == lr / 2
        assert screen.history.lr_changes == [(1, lr, lr / 2)]
        assert f"α {lr / 2:g} " in status(app)
        await pilot.press("space")
        await pilot.pause()
        assert screen.session.record.hyper["lr"] == lr / 2, "the record carries the new lr"
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert screen.session.hyper["lr"] == lr * 2


async def test_tab_moves_between_panels_and_arrows_move_the_cursor():
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await pilot.pause()
        screen = app.screen
        assert screen.focused.id == "grad"
        await pilot.press("right", "down")
        await pilot.pause()
        assert screen.cursor == (1, 1)
        assert "layer1.W[1,1]" in str(screen.query_one("#upclose").border_title)
        assert all(view.cursor == (1, 1) for view in screen.query(MatrixView))
        await pilot.press("tab")
        await pilot.pause()
        assert screen.focused.id != "grad"


async def test_l_picks_the_next_layer():
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "l")
        await pilot.pause()
        screen = app.screen
        assert screen.grids[screen.layer_index].title == "layer2"
        assert "layer2" in str(screen.query_one("#gradient").border_title)
        await pilot.press("l")
        assert screen.layer_index == 0


async def test_g_toggles_the_log_scale():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        chart = app.screen.query_one(LossChart)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert chart.log_scale and "log" in str(app.screen.query_one("#loss-panel").border_title)
        await pilot.press("g")
        assert not chart.log_scale


def rendered(renderable) -> str:
    """What a Static shows, as plain text, wide enough that no line wraps."""
    import io

    from rich.console import Console

    console = Console(width=400, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


async def test_question_mark_shows_help_with_the_corrected_adam():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(rendered(w.content) for w in app.screen.query("Static"))
        assert "V = β1·V + (1−β1)·g" in text
        assert "S = β2·S + (1−β2)·g²" in text
        assert "SQUARED" in text and "second derivative" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_q_quits():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_o_opens_a_bundled_scenario():
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OpenScenarioScreen)
        options = app.screen.query_one(OptionList)
        first = options.get_option_at_index(0)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert str(app.screen.scenario.path) == first.id
        assert app.screen.session.t == 0


async def test_o_opens_a_typed_path(write_scenario):
    path = write_scenario("typed", kind="rmsprop", lr=0.01)
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one(Input).value = str(path)
        app.screen.query_one(Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.scenario.name == "typed"
        assert app.screen.session.optimizer_kind == "rmsprop"


async def test_escape_closes_the_open_dialog():
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "o")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and app.screen.session.t == 1


def test_the_open_dialog_lists_the_working_folders_scenarios(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.toml").write_text("name = 'mine'\n")
    labels = [label for label, _ in scenario_choices(tmp_path)]
    assert any(label.startswith("adam-fabc") for label in labels)
    assert "./scenarios/mine.toml" in labels


async def test_a_broken_scenario_shows_the_loaders_message_and_keeps_the_training(write_scenario):
    broken = write_scenario("broken", text='name = "broken"\n[objective]\nexpression = "a +"\n')
    with pytest.raises(ScenarioError) as expected:
        load_scenario(broken)
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "space", "o")
        await pilot.pause()
        app.screen.query_one(Input).value = str(broken)
        app.screen.query_one(Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert str(dialog.query_one("#message").render()) == str(expected.value)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.scenario.name == "adam-fabc" and app.screen.session.t == 2


async def test_shift_r_reloads_the_file_and_reports_an_edit_that_breaks_it(write_scenario):
    path = write_scenario("reloaded", lr=0.05)
    app = GradstepApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "space")
        await pilot.pause()
        path.write_text(path.read_text().replace("lr = 0.05", "lr = 0.2"))
        await pilot.press("R")
        await pilot.pause()
        assert app.screen.session.t == 0 and app.screen.session.hyper["lr"] == 0.2
        await pilot.press("space")
        path.write_text(path.read_text().replace("[optimizer]", "[optimizer"))
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "reloaded.toml" in str(app.screen.query_one("#message").render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.session.t == 1 and app.screen.session.hyper["lr"] == 0.2


async def test_divergence_stops_the_run_with_a_banner_and_keeps_the_steps_before(write_scenario):
    path = write_scenario("explodes", kind="sgd", lr=10)
    app = GradstepApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("N")
        await settle(pilot)
        screen = app.screen
        assert screen.mode == "diverged"
        t = screen.session.t
        assert 0 < t < 100
        banner = str(screen.query_one("#banner").render())
        assert f"diverged at step {t + 1}" in banner and "learning rate" in banner
        assert screen.query_one("#banner").display
        assert f"step {t} " in status(app) and "diverged" in status(app)
        assert len(screen.history) == t
        await pilot.press("r")  # running again diverges again at once, and says so
        await settle(pilot)
        assert screen.mode == "diverged" and screen.session.t == t


async def test_the_command_palette_lists_every_key():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for binding in DashboardScreen.BINDINGS:
            assert any(title.startswith(binding.description) for title in titles), binding
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
