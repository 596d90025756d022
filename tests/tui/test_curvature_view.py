"""Curvature on the dashboard (`K`, issue 17): λ_max at the step shown in the status line, and
the rate beside 2/λ_max on the loss chart, computed off the UI thread.

Expected values by hand: f(a, b, c) = (a - 1)² + 10(b + 2)² + c² has the Hessian diag(2, 20, 2)
everywhere, so λ_max = 20 and plain gradient descent is stable exactly below α = 2/20 = 0.1; the
bundled scenarios set α = 0.001, 0.04, 0.095 (below) and 0.105 (above).
"""

from __future__ import annotations

import pytest

from gradstep.tui.app import GradstepApp

from .conftest import settle, until
from .test_views import plain


def status_text(app) -> str:
    status = app.screen.query_one("#status")
    return plain(status.render(), width=status.size.width or 200)


def chart_text(app) -> str:
    return plain(app.screen.query_one("#loss").render(), width=200)


def computed(app, step=None):
    reading = app.screen.curvature.reading
    return (reading is not None and reading.state != "computing"
            and (step is None or reading.step == step))


@pytest.mark.parametrize("name, lr, below", [
    ("gd-fabc-small-lr", 0.001, True), ("gd-fabc", 0.04, True),
    ("gd-fabc-oscillating", 0.095, True), ("gd-fabc-large-lr", 0.105, False)])
async def test_each_gradient_descent_scenario_shows_its_rate_against_two_over_lambda(name, lr, below):
    app = GradstepApp(name)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        assert "λmax" not in status_text(app), "off until K"
        await pilot.press("K")
        await until(pilot, lambda: computed(app, 10))
        reading = app.screen.curvature.reading
        assert reading.state == "done"
        assert reading.lambda_max == pytest.approx(20.0, rel=1e-7)
        assert reading.stable_lr == pytest.approx(0.1, rel=1e-7)
        assert app.screen.session.hyper["lr"] == lr
        text = status_text(app)
        assert "λmax 20.00" in text
        assert ("α < 2/λ 0.1000" if below else "α ≥ 2/λ 0.1000") in text
        assert "2/λ" in chart_text(app)
        await pilot.press("K")
        await settle(pilot)
        assert "λmax" not in status_text(app) and "2/λ" not in chart_text(app)


async def test_the_rate_and_its_bound_are_two_labels_when_apart_on_the_chart():
    app = GradstepApp("gd-fabc-small-lr")  # α = 0.001, far below 0.1 on an axis up to 0.115
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("n", "K")
        await until(pilot, lambda: computed(app))
        chart = chart_text(app)
        assert "2/λ" in chart and "α≈2/λ" not in chart
        assert any(line.rstrip().endswith("α") for line in chart.splitlines())


async def test_halving_the_rate_brings_it_under_the_bound_without_recomputing():
    app = GradstepApp("gd-fabc-large-lr")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("K")
        await until(pilot, lambda: computed(app, 0))
        reading = app.screen.curvature.reading
        assert "α ≥ 2/λ" in status_text(app)
        await pilot.press("left_square_bracket")  # 0.105 / 2 = 0.0525 < 0.1
        await settle(pilot)
        assert "α < 2/λ" in status_text(app)
        assert app.screen.curvature.reading is reading, "the curvature does not depend on α"


async def test_a_step_abandons_the_computation_and_the_new_step_gets_its_own():
    # A non-quadratic objective: the curvature moves with the parameters. f = a⁴ + b² has the
    # Hessian diag(12 a², 2); from a = 1 with gradient descent at α = 0.01, a₁ = 1 - 0.01·4 = 0.96,
    # so λ_max goes from 12 at step 0 to 12·0.96² = 11.0592 at step 1.
    from gradstep.engine.scenario import loads_scenario

    scenario = loads_scenario('name = "quartic"\n[objective]\nexpression = "a**4 + b**2"\n'
                              'params = { a = 1.0, b = 1.0 }\n[optimizer]\nkind = "sgd"\nlr = 0.01\n')
    app = GradstepApp("gd-fabc")
    app.scenario = scenario
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("K", "space")
        await until(pilot, lambda: computed(app, 1))
        assert app.screen.curvature.reading.lambda_max == pytest.approx(12 * 0.96 ** 2, rel=1e-6)
        assert "λmax 11.06" in status_text(app)
        await pilot.press("b")
        await until(pilot, lambda: computed(app, 0))
        assert app.screen.curvature.reading.lambda_max == pytest.approx(12.0, rel=1e-6)


async def test_while_running_it_says_it_waits():
    app = GradstepApp("gd-fabc")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("K")
        await until(pilot, lambda: computed(app))
        await pilot.press("r")
        await until(pilot, lambda: app.screen.mode == "running" and "λmax …" in status_text(app))
        await pilot.press("r")
        await settle(pilot)
        await until(pilot, lambda: computed(app, app.screen.session.t))
        assert "λmax 20.00" in status_text(app)


def test_snapshot_curvature_on_the_oscillating_scenario(snap_compare):
    async def run_before(pilot):
        await pilot.press("n", "K")
        await settle(pilot)
        await until(pilot, lambda: computed(pilot.app, 10))
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(GradstepApp("gd-fabc-oscillating"), terminal_size=(100, 30), run_before=run_before)


async def test_in_portuguese_the_key_and_its_help_are_translated_and_the_line_has_no_english():
    from gradstep.tui import i18n

    i18n.install("pt")
    try:
        app = GradstepApp("gd-fabc-large-lr")
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            titles = {command.title: command.help for command in app.get_system_commands(app.screen)}
            assert titles["curvatura λmax (K)"].startswith("curvatura liga / desliga: λmax da hessiana")
            await pilot.press("K")
            await until(pilot, lambda: computed(app, 0))
            assert "λmax 20.00 · α ≥ 2/λ 0.1000" in status_text(app)
            assert "passo 0" in status_text(app)
    finally:
        i18n.install("en")


async def test_on_the_alpha_chart_the_bound_is_a_line_beside_alpha():
    app = GradstepApp("gd-fabc-large-lr")  # α = 0.105 drawn against 2/λ = 0.1
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("n", "K")
        await until(pilot, lambda: computed(app, 10))
        await pilot.press("A")  # the chart of α
        await settle(pilot)
        chart = app.screen.query_one("#loss")
        assert chart.shows == "alpha"
        text = chart_text(app)
        assert "2/λmax" in text and "α≈2/λ" not in text  # on the chart's own axis, no right axis
        await pilot.press("K")
        await settle(pilot)
        assert "2/λmax" not in chart_text(app)
