"""The views of the mathematics (issue 6): chain rule, gradient check, model fit, loss surface,
optimizer race. Each opens on its key over the dashboard, shows the engine's numbers, and goes
back on escape; one snapshot of each at 120x40."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from rich.console import Console

from gradstep.engine.analysis.gradcheck import TOLERANCE
from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.session import Diverged, Session
from gradstep.tui.app import GradstepApp
from gradstep.tui.format import num
from gradstep.tui.screens.chain_view import ChainView
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.fit_view import FitView
from gradstep.tui.screens.gradcheck_view import ROUND_OFF, GradCheckView
from gradstep.tui.screens.graph_view import GraphView
from gradstep.tui.screens.neurons_view import NeuronsView
from gradstep.tui.screens.race_view import RaceView, default_specs
from gradstep.tui.screens.surface_view import SurfaceView
from gradstep.tui.widgets.fit_plot import FitPlot
from gradstep.tui.widgets.heat_map import HeatMap

from .conftest import keys_then_settle, settle

SIZE = (120, 40)


def plain(renderable, width: int = 200) -> str:
    """What a Static shows, as text."""
    console = Console(width=width, record=True, file=open("/dev/null", "w"))
    console.print(renderable)
    return console.export_text()


def shown(screen, selector: str) -> str:
    return plain(screen.query_one(selector).content)


async def press(pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


# -- every key opens its view, listed in the footer, help and palette; escape / q go back -----
VIEWS = [("c", ChainView), ("k", GradCheckView), ("f", FitView), ("s", SurfaceView), ("C", RaceView),
         ("G", GraphView), ("h", NeuronsView)]


@pytest.mark.parametrize("key, view", VIEWS, ids=[k for k, _ in VIEWS])
@pytest.mark.parametrize("close", ["escape", "q"])
async def test_each_key_opens_its_view_and_escape_or_q_goes_back(key, view, close):
    app = GradstepApp("rosenbrock")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space", key)
        assert isinstance(app.screen, view)
        await press(pilot, close)
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.session.t == 1, "closing a view leaves the dashboard as it was"


async def test_a_view_opened_from_another_takes_its_place():
    app = GradstepApp("rosenbrock")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "c", "s")
        assert isinstance(app.screen, SurfaceView)
        assert len(app.screen_stack) == 3  # the default screen, the dashboard, the view
        await press(pilot, "escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_the_views_are_in_the_footer_the_help_and_the_palette():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        keys = {binding.key for _, binding, enabled, _ in app.screen.active_bindings.values()
                if binding.show and enabled}
        assert {"c", "k", "f", "s", "C"} <= keys
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("chain (c)", "gradcheck (k)", "fit (f)", "surface (s)", "race (C)", "graph (G)", "neurons (h)"):
            assert title in titles
        await press(pilot, "question_mark")
        text = plain(app.screen.query_one("#keys").content)
        assert "chain rule: every local derivative" in text and "optimizer race" in text
        assert "graph of the loss: every node's value and gradient" in text


# -- chain rule ------------------------------------------------------------------------------
async def test_chain_view_product_equals_the_records_gradient():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "c")
        view = app.screen
        record = view.session.record
        assert record.step == 10 and (view.param, view.index) == ("a", ())
        result = shown(view, "#chain-result")
        expected = num(record.grads["a"][()])
        assert f"the path's product = {num(view.report.total)}" in result
        assert num(view.report.total) == expected
        assert f"= engine's ∂L/∂θ (the step's record) = {expected}  ✓" in result
        body = shown(view, "#chain-text")
        assert "∂(u²)/∂u = 2u" in body and "product along the path" in body
        await press(pilot, "right")  # the next entry: b
        assert view.param == "b"
        assert f"= {num(record.grads['b'][()])}  ✓" in shown(view, "#chain-result")


async def test_chain_view_of_a_network_follows_the_dashboards_cursor():
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "right", "down", "c")   # cursor on layer1.W[1,1]
        view = app.screen
        assert (view.param, view.index) == ("layer1.W", (1, 1))
        record = view.session.record
        expected = num(record.grads["layer1.W"][1, 1])
        assert num(view.report.total) == expected
        assert f"= {expected}  ✓" in shown(view, "#chain-result")
        body = shown(view, "#chain-text")
        assert "δ2 = ∂L/∂z2" in body and "δ1 = ∂L/∂z1 = ∂L/∂a1 ⊙ tanh'(z1)" in body
        assert "∂L/∂W1 = xᵀ @ δ1" in body
        assert "∂L/∂b2 = Σₙ δ2[n, :]" in body
        assert "∂L/∂layer1.W[1, 1] = Σₙ x[n, 1] · δ1[n, 1]   over the 4 rows of the batch" in body
        assert num(view.report.entry.total) in body


async def test_chain_view_at_step_0_explains_step_1():
    app = GradstepApp("chain-rule")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "c")
        view = app.screen
        assert view.report.step == 1
        assert "before step 1" in shown(view, "#chain-head")
        reference = Session(load_scenario(resolve_scenario("chain-rule"))).step()
        assert f"= {num(reference.grads['a'][()])}  ✓" in shown(view, "#chain-result")


# -- gradient check --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["adam-fabc", "sine-net"])
async def test_gradient_check_passes_on_a_bundled_scenario(name):
    app = GradstepApp(name)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "k")
        view = app.screen
        check = view.check
        assert view.step == 10 and len(check.entries) == view.session.layout.size
        assert check.worst.error <= TOLERANCE
        head = shown(view, "#check-head")
        assert "✓ passes" in head
        from textual.widgets import DataTable
        table = view.query_one(DataTable)
        assert table.row_count == len(check.entries)
        if check.worst.error >= ROUND_OFF:
            assert f"worst relative error {num(check.worst.error, 2)}" in head
            assert table.cursor_row == check.entries.index(check.worst)
        else:  # which entry is worst at round-off level is the BLAS build's choice: none is named
            assert "every relative error < 1e-9" in head and "worst" not in head


async def test_gradient_check_shows_round_off_as_below_1e_9_and_no_worst_entry():
    """The gradient check of the snapshot (xor, step 10): its finite-difference errors are
    round-off (about 1e-11, digits that change with the BLAS build), so the screen says
    ``< 1e-9`` for each and names no worst entry; the numbers themselves are checked against
    the engine's gradient with a tolerance, not by their last digits."""
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "k")
        view = app.screen
        check = view.check
        from textual.widgets import DataTable
        table = view.query_one(DataTable)
        errors = [str(table.get_cell_at((row, 3))) for row in range(table.row_count)]
        assert errors == ["< 1e-9"] * len(check.entries)
        head = shown(view, "#check-head")
        assert "every relative error < 1e-9" in head and "worst" not in head
        assert not any(str(table.get_cell_at((row, 4))) for row in range(table.row_count))
        for row in range(table.row_count):  # the digits shown of the two agree: none is noise
            assert str(table.get_cell_at((row, 1))) == str(table.get_cell_at((row, 2)))
        for e in check.entries:  # the analytic and numeric derivatives agree to a tolerance
            assert e.error < ROUND_OFF
            assert math.isclose(e.analytic, e.numeric, rel_tol=1e-8, abs_tol=1e-12)


KINKED = """
name = "kinked"
[objective]
expression = "abs(a) + (b - 1)**2"
params = { a = 0.0, b = 3.0 }
[optimizer]
kind = "sgd"
lr = 0.1
"""


async def test_gradient_check_marks_a_kink_and_leaves_it_out_of_the_verdict(write_scenario):
    app = GradstepApp(write_scenario("kinked", text=KINKED))
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "k")
        check = app.screen.check
        assert [(e.name, e.kink) for e in check.entries] == [("a", True), ("b", False)]
        assert check.worst.name == "b" and check.passed
        assert "1 on a kink" in shown(app.screen, "#check-head")


# -- model fit -------------------------------------------------------------------------------
async def test_fit_view_draws_one_input_as_a_curve_and_follows_the_steps():
    app = GradstepApp("sine-net")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f")
        view = app.screen
        plot = view.query_one(FitPlot)
        assert "step 0" in shown(view, "#fit-head")
        await press(pilot, "space")  # handed to the dashboard, which takes the step
        assert view.session.t == 1
        await pilot.pause(0.3)
        assert "step 1" in shown(view, "#fit-head")
        assert num(view.session.record.loss) in shown(view, "#fit-head")
        x = plot._x.reshape(-1, 1)
        expected = view.session.predict(x).ravel()
        np.testing.assert_array_equal(plot._curves["ŷ"], expected)


@pytest.mark.parametrize("name", ["xor", "moons"])
async def test_fit_view_draws_two_inputs_as_decision_regions(name):
    app = GradstepApp(name)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "f")
        view = app.screen
        heat = view.query_one(HeatMap)
        assert heat._rgb is not None and heat._rgb.shape[:2] == heat.grid_shape()
        data = view.scenario.data
        points = sum(len(o.xs) for o in heat._overlays)
        assert points == len(data.x) + (0 if data.x_val is None else len(data.x_val))
        assert "decision regions" in str(view.query_one("#fit-box").border_title)
        assert "class 0" in shown(view, "#fit-legend")


@pytest.mark.parametrize("name", ["sine-net", "xor", "moons", "quadratic-fit"])
def test_predict_is_the_models_output_in_the_losss_graph(name):
    session = Session(load_scenario(resolve_scenario(name)))
    session.run(5)
    loss, _ = session.graph_at(backward=False)
    logits = loss._prev[0].data                          # the fused loss node's operand: ŷ
    np.testing.assert_array_equal(session.predict(session.scenario.data.x), logits)
    probabilities = session.predict(session.scenario.data.x, probabilities=True)
    if session.scenario.loss == "bce_logits":
        np.testing.assert_allclose(probabilities, 1 / (1 + np.exp(-logits)), rtol=1e-12)
    elif session.scenario.loss == "cross_entropy":
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-12)
        assert np.array_equal(np.argmax(probabilities, axis=1), np.argmax(logits, axis=1))
    with pytest.raises(ValueError, match="no inputs"):
        Session(load_scenario(resolve_scenario("adam-fabc"))).predict(np.zeros((1, 1)))


async def test_fit_view_of_an_objective_suggests_the_surface():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f")
        assert "no data to fit" in shown(app.screen, "#fit-none")
        assert "Press s" in shown(app.screen, "#fit-none")


# -- loss surface ----------------------------------------------------------------------------
async def test_surface_of_two_parameters_is_whole_with_the_path():
    app = GradstepApp("rosenbrock")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "N", "s")
        view = app.screen
        s = view.surface
        assert view.full and not s.sliced and (s.x, s.y) == ("x", "y")
        path = view.query_one(HeatMap)._overlays[0]
        reference = Session(load_scenario(resolve_scenario("rosenbrock")))
        thetas = [reference.theta] + [reference.step().theta for _ in range(100)]
        np.testing.assert_array_equal(np.column_stack([path.xs, path.ys]), np.array(thetas))
        np.testing.assert_array_equal(s.point, view.session.theta)
        assert f"L(θ₁₀₀) = {num(s.loss)} ◆" in shown(view, "#surface-info")
        assert "path: 101 points" in shown(view, "#surface-info")


async def test_surface_follows_the_session_back_in_time_and_after_a_change_of_course():
    app = GradstepApp("rosenbrock")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "N", "s")
        view = app.screen
        with view.training.reading():
            view.session.goto(40)          # as the dashboard's time travel does
        await pilot.pause(0.4)
        await settle(pilot)
        assert "step 40" in shown(view, "#surface-info") and "path: 41 points" in shown(view, "#surface-info")
        np.testing.assert_array_equal(view.surface.point, view.session.theta)
        with view.training.reading():
            view.session.set_lr(0.05)      # a new branch: the replay no longer matches
            for _ in range(5):
                view.session.step()
        await pilot.pause(0.4)
        await settle(pilot)
        info = shown(view, "#surface-info")
        assert "step 45" in info and "the steps the history keeps" in info
        path = view.query_one(HeatMap)._overlays[0]
        assert (path.xs[-1], path.ys[-1]) == tuple(view.session.theta)


async def test_surface_of_three_parameters_is_a_slice_through_the_largest_gradients():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "s")
        view = app.screen
        s = view.surface
        grad = np.abs(view.session.record.grad)
        largest = [view.session.layout.names[i] for i in sorted(np.argsort(-grad)[:2])]
        assert s.sliced and [s.x, s.y] == largest == ["a", "b"]
        others = view.session.theta.copy()
        np.testing.assert_array_equal(s.point, others[:2])
        assert "the other entry stays at its step-10 value" in shown(view, "#surface-info")


# -- optimizer race --------------------------------------------------------------------------
def first_step_at_or_below(scenario, spec, threshold, steps):
    session = Session(replace(scenario, optimizer=spec, compare=()))
    for _ in range(steps):
        try:
            record = session.step()
        except Diverged:
            return None
        if record.loss <= threshold:
            return record.step
    return None


@pytest.mark.parametrize("name", ["rosenbrock-race", "spiral"])
async def test_race_steps_to_threshold_equal_single_sessions(name):
    app = GradstepApp(name)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "C", "space", "n", "n", "n", "n", "n")
        view = app.screen
        assert view.race.t == 501
        scenario = load_scenario(resolve_scenario(name))
        specs = default_specs(scenario)
        assert [r.kind for r in view.race.runners] == [s.kind for s in specs]
        first = Session(scenario)
        assert view.threshold == 1e-3 * first.loss_at(first.theta)
        table = shown(view, "#race-table")
        for summary, spec in zip(view.race.summary(view.threshold), specs):
            expected = first_step_at_or_below(scenario, spec, view.threshold, 501)
            assert summary.reached == expected
            row = next(line for line in table.splitlines() if f"━━ {summary.label} " in line)
            assert ("—" if expected is None else f" {expected} ") in row
            assert num(summary.final_loss) in row
        assert f"threshold L ≤ {num(view.threshold)}" in shown(view, "#race-head")


async def test_race_runs_and_pauses_on_r():
    app = GradstepApp("saddle-race")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "C")
        view = app.screen
        await pilot.press("r")
        await pilot.pause(0.4)
        assert view.running and "running" in shown(view, "#race-head")
        await pilot.press("r")
        await settle(pilot)
        stopped = view.race.t
        assert not view.running and stopped > 0
        await pilot.pause(0.2)
        assert view.race.t == stopped
        assert app.screen_stack[-2].session.t == 0, "the dashboard's session was not stepped"


# -- snapshots: one per view, 120x40 ----------------------------------------------------------
SNAPSHOTS = {
    "chain": ("sine-net", ["n", "right", "c"]),
    "gradcheck": ("xor", ["n", "k"]),
    "fit": ("moons", ["N", "f"]),
    "surface": ("rosenbrock", ["N", "N", "s"]),
    "race": ("rosenbrock-race", ["C", "n", "n", "n", "n", "n"]),
    "lab": ("adam-fabc", ["space", "space", "space", "M", "space"]),
}




@pytest.mark.parametrize("view", list(SNAPSHOTS))
def test_view_snapshot(snap_compare, view):
    name, keys = SNAPSHOTS[view]
    assert snap_compare(GradstepApp(name), terminal_size=SIZE, run_before=keys_then_settle(keys))
