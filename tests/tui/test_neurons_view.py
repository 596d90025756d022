"""The neurons view (`h`, issue 17): each hidden unit's output over the inputs, layer by layer,
at the parameters of the step shown, following the training."""

from __future__ import annotations

import numpy as np

from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.neurons_view import UNIT, NeuronsView

from .conftest import keys_then_settle, settle
from .test_views import plain


async def press(pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def layer1_by_hand(view):
    """tanh(x W1 + b1) at the view's grid, with the parameters of the step the dashboard shows."""
    snap = view.training.snapshot()
    layout = view.session.layout
    W, b = (snap.theta[layout.slices[layout.index[n]]].reshape(layout.shapes[layout.index[n]])
            for n in ("layer1.W", "layer1.b"))
    grid = view.maps[0][2]
    return np.tanh(grid @ W + b)


async def test_two_inputs_each_unit_is_a_map_of_its_output_over_the_plane_and_follows_training():
    app = GradstepApp("xor")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "n", "h")
        view = app.screen
        assert isinstance(view, NeuronsView)
        [(layer, activation, grid, values)] = view.maps
        assert (layer, activation, values.shape) == (1, "tanh", (2 * UNIT[1] * UNIT[0], 4))
        np.testing.assert_allclose(values, layer1_by_hand(view), rtol=1e-12)
        text = plain(view.query_one("#neurons-canvas").content, width=200)
        assert "layer 1: tanh, 4 units" in text
        assert all(f"a1[{j}]" in text for j in range(4))
        assert "step 10" in plain(view.query_one("#neurons-head").content)
        await press(pilot, "space")
        assert "step 11" in plain(view.query_one("#neurons-head").content)
        assert not np.array_equal(view.maps[0][3], values), "the maps move with the training"
        np.testing.assert_allclose(view.maps[0][3], layer1_by_hand(view), rtol=1e-12)
        await press(pilot, "escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_the_arrows_select_a_unit_whose_connections_in_are_shown():
    from gradstep.tui.format import num

    app = GradstepApp("moons")  # 2-16-16-2: two hidden layers
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "n", "h")
        view = app.screen
        await press(pilot, "right", "right", "down")  # unit 2, then the second hidden layer
        assert view.selected == (2, 2)
        text = plain(view.query_one("#neurons-selected").content, width=400)
        snap = view.training.snapshot()
        layout = view.session.layout
        k = layout.index["layer2.W"]
        W = snap.theta[layout.slices[k]].reshape(layout.shapes[k])  # (16 in, 16 units): W[i, j] is i -> j
        G = snap.record.grad[layout.slices[k]].reshape(layout.shapes[k])
        assert text.startswith("a2[2] at step 10: its connections in")
        for i in (0, 5, 15):
            assert f"a1[{i}] → w = {num(float(W[i, 2]))} ({num(float(G[i, 2]))})" in text
        b = snap.theta[layout.slices[layout.index["layer2.b"]]]
        assert f"b = {num(float(b[2]))}" in text
        await press(pilot, "up", "left", "left", "left")  # back to layer 1; unit 0 at the least
        assert view.selected == (1, 0)
        assert "x1 → w = " in plain(view.query_one("#neurons-selected").content, width=400)


async def test_one_input_each_unit_is_a_curve():
    app = GradstepApp("sine-net")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "h")
        view = app.screen
        [(layer, activation, grid, values)] = view.maps
        assert grid.shape == (UNIT[0], 1) and values.shape == (UNIT[0], 16)
        np.testing.assert_allclose(values, layer1_by_hand(view), rtol=1e-12)
        text = plain(view.query_one("#neurons-canvas").content, width=200)
        assert "layer 1: tanh, 16 units" in text and "a1[15]" in text
        assert any(ch in text for ch in "▁▂▃▄▅▆▇█")


async def test_an_objective_says_it_has_no_hidden_units():
    app = GradstepApp("chain-rule")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "h")
        assert "this scenario has none to draw" in plain(app.screen.query_one("#neurons-canvas").content)


def test_neurons_view_snapshot(snap_compare):
    assert snap_compare(GradstepApp("moons"), terminal_size=(80, 24), run_before=keys_then_settle(["N", "h"]))
