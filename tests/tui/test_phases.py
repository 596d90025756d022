"""Phases (`P`, issue 17): space uncovers one step's record in four phases, forward, loss,
backward, update, on the dashboard and in the graph view; r is the slow motion."""

from __future__ import annotations

import time

import numpy as np

from gradstep.tui import i18n
from gradstep.tui.app import GradstepApp
from gradstep.tui.phases import TICK
from gradstep.tui.screens.graph_view import GraphView

from .conftest import settle, until
from .test_views import plain


def status_text(app) -> str:
    status = app.screen.query_one("#status")
    return plain(status.render(), width=200)


async def test_four_phases_uncover_the_records_own_numbers_and_the_engine_steps_once():
    app = GradstepApp("xor")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("n")  # from step 10: the step before has gradients of its own
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        dashboard = app.screen
        before = dashboard.session.record
        taken = []
        step = dashboard.session.step
        dashboard.session.step = lambda: taken.append(step()) or taken[-1]  # count the engine's steps
        status = dashboard.query_one("#status")
        grad = dashboard.query_one("#grad")

        await pilot.press("space")  # ① forward: the step is taken, its record kept
        await settle(pilot)
        record = dashboard.phases.record
        assert len(taken) == 1 and taken[0] is record and dashboard.session.t == 11
        assert "① forward" in status_text(app) and status.loss is None and status.step == 11
        step10 = dashboard.grids[dashboard.layer_index].values(before.grads)
        np.testing.assert_array_equal(grad.values, step10)  # the panels: still step 10
        await until(pilot, lambda: dashboard.phases.fill == 1.0)
        assert "x → layer1 → layer2 → L" in status_text(app)

        await pilot.press("space")  # ② loss: the record's
        await settle(pilot)
        assert status.loss == record.loss and f"L = {record.loss:.4g}" in status_text(app)
        np.testing.assert_array_equal(grad.values, step10)

        await pilot.press("space")  # ③ backward: the gradients, from the loss down
        await until(pilot, lambda: dashboard.phases.fill == 1.0)
        await pilot.pause()
        shown = dashboard.grids[dashboard.layer_index].values(record.grads)
        np.testing.assert_array_equal(grad.values, shown)
        norms = dict(record.layer_grad_norms)
        assert f"layer2 ‖∇‖ {norms['layer2']:.3g}" in status_text(app)
        assert "t = 10" in dashboard.query_one("#state").border_title  # the state: not updated yet

        await pilot.press("space")  # ④ update: the whole record
        await settle(pilot)
        assert "④ update" in status_text(app) and "t = 11" in dashboard.query_one("#state").border_title
        assert len(taken) == 1, "the phases computed nothing a second time"

        await pilot.press("space")  # the next step's forward pass
        await settle(pilot)
        assert len(taken) == 2 and dashboard.session.t == 12 and dashboard.phases.index == 0

        await pilot.press("P")  # off: the step shown whole
        await settle(pilot)
        assert "forward" not in status_text(app) and status.loss == dashboard.session.record.loss


async def test_in_the_graph_view_values_fill_in_forward_and_gradients_backward():
    app = GradstepApp("chain-rule")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("P", "G")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, GraphView)
        await pilot.press("space")
        await until(pilot, lambda: view.dashboard.phases.fill == 1.0 and view.graph.step == 1)
        await until(pilot, lambda: view._seen is not None and view._seen[-1] == 1.0)
        record = view.dashboard.phases.record
        text = plain(view.query_one("#graph-canvas").content, width=300)
        loss = view.graph.loss
        assert loss.value == record.loss  # the graph of the step is the record's step
        assert "∇·" in text.replace(" ", "") and "∇1" not in text  # forward: no gradient yet
        await pilot.press("space", "space")  # loss, backward
        await until(pilot, lambda: view.dashboard.phases.index == 2 and view.dashboard.phases.fill == 1.0)
        await until(pilot, lambda: view._seen[-3:] == (True, 2, 1.0))
        text = plain(view.query_one("#graph-canvas").content, width=300)
        assert "·" not in text.replace("‖v‖", "")  # every value and gradient shows
        param = view.graph.node_of(record.layout.names[0])
        assert param.grad == record.grad[0]


async def test_a_phase_fills_in_completely_when_the_machine_is_too_busy_for_some_ticks():
    app = GradstepApp("xor")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("P", "space")
        dashboard = app.screen
        assert dashboard.phases.index == 0 and dashboard.phases.fill < 1.0
        time.sleep(4 * TICK)  # the event loop held up: the fill's timer misses ticks
        await until(pilot, lambda: dashboard.phases.fill == 1.0, timeout=30.0)
        assert dashboard.phases._filling is None  # and its timer stops there


async def test_r_in_phase_mode_is_the_slow_motion():
    app = GradstepApp("gd-fabc")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("P", "r")
        dashboard = app.screen
        await until(pilot, lambda: dashboard.phases.index == 3)  # the phases go by on their own
        assert dashboard.mode == "paused" and dashboard.session.t == 1
        await until(pilot, lambda: dashboard.session.t == 2)
        await pilot.press("r")
        index = dashboard.phases.index
        await pilot.pause(0.5)
        assert not dashboard.phases.slow and dashboard.phases.index == index


async def test_in_portuguese():
    i18n.install("pt")
    try:
        app = GradstepApp("xor")
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.press("P", "space")
            await settle(pilot)
            assert "① ida" in status_text(app) and "passo 1" in status_text(app)
            await pilot.press("space", "space")
            await settle(pilot)
            assert "③ volta" in status_text(app)
            titles = {command.title for command in app.get_system_commands(app.screen)}
            assert "fases (P)" in titles
    finally:
        i18n.install("en")


def test_snapshot_the_loss_phase(snap_compare):
    async def run_before(pilot):
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("P", "space")
        await until(pilot, lambda: pilot.app.screen.phases.fill == 1.0)
        await pilot.press("space")
        await settle(pilot)

    assert snap_compare(GradstepApp("xor"), terminal_size=(100, 30), run_before=run_before)
