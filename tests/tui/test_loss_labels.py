"""One loss per step everywhere (issue 19): every loss on screen says which parameters it was
evaluated at (``L(θ₉)``), and the numbers are checked against Adam written out by hand here,
not against the engine."""

from __future__ import annotations

import math

from gradstep.tui.app import GradstepApp
from gradstep.tui.format import num
from gradstep.tui.widgets.status_line import StatusLine

from .conftest import settle
from .test_views import shown


def hand_adam_losses(steps: int) -> list[float]:
    """f(a, b, c) = (a − 1)² + 10(b + 2)² + c² at θ₀ ... θ_steps, Adam (α 0.05, β1 0.9,
    β2 0.999, ε 1e-8) from (0, 0, 1), as the tutorial writes it: plain floats, no NumPy."""
    theta = [0.0, 0.0, 1.0]
    V, S = [0.0] * 3, [0.0] * 3

    def f(a, b, c):
        return (a - 1) ** 2 + 10 * (b + 2) ** 2 + c ** 2

    losses = [f(*theta)]
    for t in range(1, steps + 1):
        a, b, c = theta
        g = [2 * (a - 1), 20 * (b + 2), 2 * c]
        for i in range(3):
            V[i] = 0.9 * V[i] + 0.1 * g[i]
            S[i] = 0.999 * S[i] + 0.001 * g[i] ** 2
            v_hat, s_hat = V[i] / (1 - 0.9 ** t), S[i] / (1 - 0.999 ** t)
            theta[i] -= 0.05 * v_hat / (math.sqrt(s_hat) + 1e-8)
        losses.append(f(*theta))
    return losses


def test_the_hand_calculation_is_the_issues():
    losses = hand_adam_losses(10)
    assert losses[0] == 42.0  # 1 + 40 + 1
    assert (num(losses[9]), num(losses[10])) == ("24.76", "23.17")  # the issue's two numbers


async def test_status_line_names_the_parameters_of_its_loss_from_step_0():
    losses = hand_adam_losses(10)
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        status = app.screen.query_one(StatusLine)
        assert f"L(θ₀) = {num(losses[0])}" in status.render().plain  # step 0 shows a loss
        await pilot.press("space")
        await settle(pilot)
        assert f"L(θ₀) = {num(losses[0])}" in status.render().plain  # step 1's loss is at θ₀
        for _ in range(9):
            await pilot.press("space")
            await settle(pilot)
        line = status.render().plain
        assert "step 10" in line
        assert f"L(θ₉) = {num(losses[9])}" in line  # 24.76: step 10's loss, before its update
        assert "loss 24.76" not in line


async def test_surface_says_the_loss_at_the_point_it_marks_is_after_the_update():
    losses = hand_adam_losses(10)
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        info = shown(app.screen, "#surface-info")
        assert f"L(θ₁₀) = {num(losses[10])} ◆" in info  # 23.17, at θ₁₀ where ◆ stands
        assert "L here" not in info


def test_pictures_label_each_loss_with_its_parameters():
    """``--plot`` and ``p``: the surface's point is θ₁₀ with L(θ₁₀); the loss curve's axis says a
    step's loss is taken before its update (the status line's L(θ₉) at step 10)."""
    from gradstep.engine.analysis.surface import pick_entries
    from gradstep.engine.scenario import load_scenario, resolve_scenario
    from gradstep.engine.training.session import Session
    from gradstep.tui import picture_data, pictures

    losses = hand_adam_losses(10)
    session = Session(load_scenario(resolve_scenario("adam-fabc")))
    session.run(10)
    figure = pictures.surface_figure(picture_data.surface_picture(session, pick_entries(session)))
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert f"step 10: L(θ₁₀) = {num(losses[10])}" in labels
    figure = pictures.loss_figure(picture_data.loss_picture(session))
    assert "L(θₜ₋₁)" in figure.axes[0].get_ylabel()
    curve = figure.axes[0].lines[0]
    assert curve.get_xdata()[9] == 10
    assert math.isclose(curve.get_ydata()[9], losses[9], rel_tol=1e-12)  # drawn at step 10: L(θ₉)
