"""``O``, ``y`` and ``=``: changing course by hand on the dashboard (issue 18), pressed in a
running app (Textual's Pilot). Expected numbers are worked by hand from the scenario's function."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, Static, Tabs

from gradstep.engine import optim
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.hyper_form import HyperForm
from gradstep.tui.screens.optimizer_picker import OptimizerPicker
from gradstep.tui.screens.value_dialog import ValueDialog
from gradstep.tui.widgets.status_line import StatusLine

from .conftest import settle
from .test_keys import rendered

SIZE = (120, 40)


def status(app) -> str:
    return app.screen.query_one(StatusLine).render().plain


def state_tabs(screen) -> list[str]:
    return [tab.id for tab in screen.query_one("#state-tabs", Tabs).query("Tab")]


async def wait_for_tabs(pilot, screen, wanted) -> None:
    """The state panel is made again by a worker: wait for it (generously), never a fixed sleep."""
    for _try in range(200):
        if state_tabs(screen) == wanted and not screen._restating:
            return
        await pilot.pause(0.02)
    assert state_tabs(screen) == wanted


async def choose(pilot, kind: str) -> None:
    """Press ``O`` and choose ``kind`` with the arrows and enter, as a person would."""
    await pilot.press("O")
    await pilot.pause()
    picker = pilot.app.screen
    assert isinstance(picker, OptimizerPicker)
    kinds = list(optim.OPTIMIZERS)
    moves = kinds.index(kind) - picker.query_one(OptionList).highlighted
    await pilot.press(*(["down"] * moves if moves > 0 else ["up"] * -moves), "enter")
    await pilot.pause()


async def test_o_lists_every_optimizer_of_the_registry_one_line_each():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("O")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == list(optim.OPTIMIZERS)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert all("\n" not in p for p in prompts)
        assert prompts[ids.index("adam")].startswith("● adam")  # the one in force
        assert "β1 0.9" in prompts[ids.index("adam")] and "μ 0.9" in prompts[ids.index("momentum")]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and app.screen.session.optimizer_kind == "adam"


async def test_o_switches_from_the_next_step_with_fresh_state_and_the_same_lr():
    app = GradstepApp("adam-fabc")  # f = (a − 1)² + 10(b + 2)² + c², Adam α = 0.05
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("space", "space")
        await settle(pilot)
        await choose(pilot, "momentum")
        session = screen.session
        assert session.optimizer_kind == "momentum" and session.hyper["lr"] == 0.05
        assert "momentum α 0.05" in status(app)
        assert screen.history.lr_changes == [(2, 0.05, 0.05)]  # marked like [ / ]
        a2 = float(session.params["a"])
        await pilot.press("space")
        await settle(pilot)
        record = session.record
        assert record.optimizer == "momentum"
        # fresh state: V = 0.9·0 + g, a ← a − α·V, with g = 2(a − 1) at the parameters of step 2
        g = 2 * (a2 - 1)
        assert record.state["a"]["V"] == pytest.approx(g, abs=1e-12)
        assert record.params["a"] == pytest.approx(a2 - 0.05 * g, abs=1e-12)
        # the up-close panel works the step from the fresh state, V = 0 before it
        from gradstep.tui.widgets.equations_view import EquationsView

        lines = [line for line, _value in screen.query_one(EquationsView).lines]
        assert any(line.startswith("V = ") and "0.9·0 +" in line for line in lines), lines
        # the state panel follows the record: momentum keeps V alone
        # (its step size is α for every entry: no α_eff table)
        await wait_for_tabs(pilot, screen, ["tab-grad", "tab-theta", "tab-V", "tab-update"])
        await pilot.press("b")  # back at step 2, Adam's record: its four arrays again
        await settle(pilot)
        await wait_for_tabs(pilot, screen, ["tab-grad", "tab-theta", "tab-V", "tab-S", "tab-V_hat", "tab-S_hat",
                                            "tab-update", "tab-lr_eff"])


async def test_o_in_the_past_starts_a_branch():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("comma")  # back to step 0
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("b", "b", "b")
        await settle(pilot)
        await choose(pilot, "sgd")
        assert screen.session.furthest == 7 and screen.session.history.ghost_span is not None
        assert "↳" in screen.query_one("#timeline").render().plain


async def test_y_changes_a_hyperparameter_and_says_a_bad_one_in_the_form():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("space", "y")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, HyperForm)
        assert {i.id for i in form.query(Input)} == {"hp-lr", "hp-beta1", "hp-beta2", "hp-eps", "hp-weight_decay"}
        form.query_one("#hp-beta1", Input).value = "1.5"  # outside [0, 1)
        form.query_one("#hp-beta1", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        problem = form.query_one("#problem", Static)
        assert app.screen is form and problem.has_class("-shown")
        assert "beta1" in str(problem.render()) and "[0, 1)" in str(problem.render())
        form.query_one("#hp-beta1", Input).value = "nine"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and "nine" in str(problem.render())
        assert screen.session.hyper["beta1"] == 0.9  # nothing changed meanwhile
        form.query_one("#hp-beta1", Input).value = "0.5"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and screen.session.hyper["beta1"] == 0.5
        assert "β1 0.5" in status(app)
        v1, g1 = float(screen.session.record.state["a"]["V"]), None
        await pilot.press("space")
        await settle(pilot)
        record = screen.session.record
        g1 = float(record.grads["a"])
        # the state is kept: V = 0.5·V₁ + 0.5·g
        assert record.state["a"]["V"] == pytest.approx(0.5 * v1 + 0.5 * g1, abs=1e-12)
        assert record.hyper["beta1"] == 0.5


async def test_equals_types_a_value_for_the_selected_entry_and_goes_on_from_it():
    app = GradstepApp("gd-fabc")  # SGD α = 0.04 on f = (a − 1)² + 10(b + 2)² + c²
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("space", "space")
        await settle(pilot)
        await pilot.press("equals_sign")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ValueDialog) and dialog.label == "a"
        dialog.query_one(Input).value = "not a number"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and dialog.query_one("#problem", Static).has_class("-shown")
        dialog.query_one(Input).value = "inf"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and float(screen.session.params["a"]) != float("inf")
        dialog.query_one(Input).value = "3"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and float(screen.session.params["a"]) == 3.0
        await pilot.press("space")
        await settle(pilot)
        # g = 2(3 − 1) = 4; a ← 3 − 0.04·4 = 2.84
        assert float(screen.session.record.params["a"]) == pytest.approx(2.84, abs=1e-15)
        assert screen.history.lr_changes == [(2, 0.04, 0.04)]


async def test_the_course_keys_are_in_the_help_and_the_palette():
    from gradstep.tui.screens.help import KEY_HELP

    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for action in ("choose_optimizer", "edit_hyper", "type_value"):
            assert action in KEY_HELP
        await pilot.press("question_mark")
        await pilot.pause()
        text = "\n".join(rendered(w.content) for w in app.screen.query("Static"))
        assert "choose the optimizer" in text and "type a value for the selected θ" in text


async def test_y_turns_the_bias_correction_off_and_the_panels_say_so():
    from textual.widgets import Checkbox

    from gradstep.tui.widgets.equations_view import EquationsView

    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("y")
        await pilot.pause()
        form = app.screen
        form.query_one("#hp-bias_correction", Checkbox).focus()
        await pilot.press("space")  # untick
        await pilot.pause()
        form.query_one("#hp-lr", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and screen.session.hyper["bias_correction"] == 0.0
        assert "no bias correction" in status(app)
        await pilot.press("space")
        await settle(pilot)
        # step 1 by hand: a = 0 − 0.05·(−0.2)/(√0.004 + 1e-8), V and S unhatted
        record = screen.session.record
        assert float(record.params["a"]) == pytest.approx(0.05 * 0.2 / (0.004 ** 0.5 + 1e-8), rel=1e-13)
        lines = [line for line, _value in screen.query_one(EquationsView).lines]
        assert any("bias correction off" in line for line in lines)
        assert not any(line.startswith("V̂") for line in lines)
        columns = [label for label, _values in screen.query_one("#state-table").columns]
        assert "V" in columns and "V̂" not in columns and "Ŝ" not in columns


async def wait_for_surface(pilot):
    view = pilot.app.screen
    for _try in range(400):
        if getattr(view, "surface", None) is not None and view._drawn is not None:
            await settle(pilot)  # and drawn again for the map's final size, if it was resized
            return view
        await pilot.pause(0.02)
    raise AssertionError("the surface was never drawn")


async def test_the_surface_view_restarts_from_the_point_under_its_cursor():
    from gradstep.tui.screens.surface_view import SurfaceView
    from gradstep.tui.widgets.heat_map import HeatMap

    app = GradstepApp("rosenbrock")  # f = (1 − x)² + 100(y − x²)², Adam, from (−1.2, 1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("s")
        view = await wait_for_surface(pilot)
        assert isinstance(view, SurfaceView)
        here = view.surface.point
        width, height = view.query_one(HeatMap).cell_size()
        await pilot.press("right", "right", "up")
        await pilot.pause()
        assert view.start == pytest.approx((here[0] + 2 * width, here[1] + height), abs=1e-12)
        assert "✚" in str(view.query_one("#surface-info", Static).render())
        # a click puts the cursor on the point of the cell clicked
        await pilot.click(HeatMap, offset=(30, 6))
        await pilot.pause()
        x, y = view.start
        assert view.query_one(HeatMap).point_at(30, 6) == (x, y)
        await pilot.press("enter")
        await pilot.pause()
        session = view.session
        assert (float(session.params["x"]), float(session.params["y"])) == (x, y)
        assert session.t == 10 and view.training.history.lr_changes == [(10, 0.1, 0.1)]
        await pilot.press("space")  # handed to the dashboard: one step from the point chosen
        await settle(pilot)
        record = session.record
        assert record.step == 11
        assert float(record.grads["x"]) == pytest.approx(-2 * (1 - x) - 400 * x * (y - x * x), rel=1e-12)
        assert float(record.grads["y"]) == pytest.approx(200 * (y - x * x), rel=1e-12)


async def test_enter_on_the_surface_without_a_cursor_says_how_to_move_it():
    app = GradstepApp("rosenbrock")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        view = await wait_for_surface(pilot)
        theta = view.session.theta.copy()
        await pilot.press("enter")
        await pilot.pause()
        assert (view.session.theta == theta).all() and view.training.history.lr_changes == []


async def test_the_up_close_chart_spans_a_switch_to_an_optimizer_with_more_state():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        screen.training.set_hyper(bias_correction=False)  # V and S only: no V̂ in these records
        await pilot.press("space", "space")
        await settle(pilot)
        screen.training.set_hyper(bias_correction=True)
        await pilot.press("space")  # V̂ now: the chart must not ask the records before for it
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen) and screen.session.t == 3
