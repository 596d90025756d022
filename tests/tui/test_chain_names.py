"""The chain-rule view in the tutorial's names (issue 16): ``∂g/∂a = ∂g/∂h1 · ∂h1/∂a`` with each
factor's number, from the loss downwards; ``d`` shows the node-by-node paths and back."""

from __future__ import annotations

import math

from gradstep.tui.app import GradstepApp
from gradstep.tui.format import num
from gradstep.tui.screens.chain_view import ChainView

from .test_views import SIZE, press, shown


async def test_chain_view_groups_by_the_tutorials_names_and_d_shows_every_node():
    app = GradstepApp("chain-rule")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "c")
        view = app.screen
        assert isinstance(view, ChainView)
        # By hand at the start: a, b, c, d = 0.5, -0.5, 0.3, -0.2; x1, x2, y = 0.5, -1, 1.
        h1, h2 = math.tanh(0.5 * 0.5 - 0.5), math.tanh(0.3 * -1 - 0.2)
        dg_dh1, dh1_da = 2 * (h1 + h2 - 1), (1 - h1 ** 2) * 0.5
        body = shown(view, "#chain-text")
        assert "∂g/∂a = ∂g/∂h1 · ∂h1/∂a" in body
        lines = body.splitlines()
        row_g = next(line for line in lines if line.lstrip().startswith("g = (h1 + h2 - y)**2"))
        row_h1 = next(line for line in lines if line.lstrip().startswith("h1 = tanh(a*x1 + b)"))
        row_a = next(line for line in lines if line.lstrip().startswith("a ") and "∂h1/∂a" in line)
        assert row_g.split()[-1] == num(1.0)                          # so far starts at the loss
        assert row_h1.split()[-3:] == ["∂g/∂h1", num(dg_dh1), num(dg_dh1)]
        assert row_a.split()[-3:] == ["∂h1/∂a", num(dh1_da), num(dg_dh1 * dh1_da)]
        assert lines.index(row_g) < lines.index(row_h1) < lines.index(row_a)
        assert "u₁" not in body
        assert "d: node by node" in shown(view, "#chain-head")
        assert f"∂g/∂a = the path's product = {num(dg_dh1 * dh1_da)}" in shown(view, "#chain-result")
        assert "✓" in shown(view, "#chain-result")

        await press(pilot, "d")
        body = shown(view, "#chain-text")
        assert "∂L/∂a = ∂L/∂u₁ · ∂u₁/∂u₂" in body and "∂g/∂h1" not in body
        assert "d: by the names" in shown(view, "#chain-head")
        await press(pilot, "d")
        assert "∂g/∂a = ∂g/∂h1 · ∂h1/∂a" in shown(view, "#chain-text")


def test_chain_view_by_the_names_snapshot(snap_compare):
    from .conftest import keys_then_settle

    assert snap_compare(GradstepApp("chain-rule"), terminal_size=SIZE,
                        run_before=keys_then_settle(["space", "c"]))
