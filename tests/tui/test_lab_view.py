"""The misconception lab (M) on the dashboard: it follows the dashboard's steps, its Adam row is
the dashboard's own run, and it opens only on the Adam family."""

import numpy as np

from gradstep.tui.app import GradstepApp
from gradstep.tui.format import num
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.lab_view import LabView

from .conftest import settle

SIZE = (120, 40)


def table_text(view) -> str:
    table = view.query_one("#race-table")
    return "\n".join(line.text for line in table.render_lines(table.region.reset_offset))


async def test_the_lab_follows_the_dashboard_and_shows_where_each_mistake_departs():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(3):
            await pilot.press("space")
        await pilot.press("M")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, LabView)
        session = view.session
        assert view.lab.t == session.t == 3
        await pilot.press("space")  # steps the dashboard; the lab follows at once
        await settle(pilot)
        assert view.lab.t == session.t == 4
        # Its Adam is the dashboard's run, bit for bit, and the table shows its parameters.
        assert np.array_equal(view.lab.correct.theta, session.theta)
        text = table_text(view)
        for value in session.theta:
            assert num(float(value)) in text
        # Departures as the engine's hand-worked tests find them: the tutorial's formulas and a
        # forgotten zero_grad agree with Adam at step 1 and depart at step 2; no bias correction
        # departs at once.
        departed = {name: v.departed_at for name, v in view.lab.variants.items()}
        assert departed == {"tutorial": 2, "no_bias_correction": 1, "no_zero_grad": 2}


async def test_going_back_in_time_replays_the_lab():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(5):
            await pilot.press("space")
        await pilot.press("M")
        await settle(pilot)
        view = app.screen
        await pilot.press("escape")
        await pilot.press("backspace", "backspace")
        await pilot.press("M")
        await settle(pilot)
        view = app.screen
        assert view.lab.t == view.session.t == 3
        assert np.array_equal(view.lab.correct.theta, view.session.theta)


async def test_the_lab_needs_the_adam_family():
    app = GradstepApp("gd-fabc")  # plain gradient descent
    heard = []
    async with app.run_test(size=SIZE) as pilot:
        app.notify = lambda message, **kw: heard.append(message)
        await pilot.pause()
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert heard and "Adam-family" in heard[0] and "sgd" in heard[0]


async def test_the_lab_draws_every_runs_path_over_the_loss_surface():
    from gradstep.tui.widgets.heat_map import HeatMap

    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("M")
        await settle(pilot)
        for _ in range(3):
            await pilot.press("space")
            await settle(pilot)
        view = app.screen
        heat = view.query_one(HeatMap)
        paths = view.lab.paths()
        assert len(heat.overlays) == 4
        correct = heat.overlays[-1]  # Adam drawn last, over the mistakes
        assert list(correct.xs) == list(paths["correct"][:, 0]) and list(correct.ys) == list(paths["correct"][:, 1])
        assert "paths over L(" in str(view.query_one("#race-paths").border_title)
