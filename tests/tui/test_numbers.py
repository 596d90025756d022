"""The numbers on screen are the engine's: an independent session, stepped as far, formats to
exactly the text the widgets show."""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import Tabs

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.session import Session
from gradstep.tui.app import GradstepApp
from gradstep.tui.format import fit, num, subscript
from gradstep.tui.widgets.equations_view import EquationsView
from gradstep.tui.widgets.matrix_view import CELL, MatrixView
from gradstep.tui.widgets.state_table import StateTable
from gradstep.tui.widgets.status_line import StatusLine

from .conftest import settle


def reference(name: str, steps: int):
    """The record of step ``steps`` of a session the app knows nothing about."""
    return Session(load_scenario(resolve_scenario(name))).run(steps)


def table(widget) -> dict[str, list[str]]:
    """``{row label: [cell texts]}`` from a matrix or table widget's rendering."""
    rows = {}
    for line in widget.render().plain.splitlines():
        words = line.split()
        if len(words) > 1:  # a table wrapped into blocks lists a row's cells in each block
            rows.setdefault(words[0], []).extend(words[1:])
    return rows


async def run(app, pilot, keys):
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


@pytest.mark.parametrize("keys, steps", [(["space"] * 3, 3), (["n", "space", "space"], 12)])
async def test_network_numbers_equal_the_engines_record(keys, steps):
    expected = reference("xor", steps)
    app = GradstepApp("xor")
    async with app.run_test(size=(160, 50)) as pilot:
        await run(app, pilot, keys)
        screen = app.screen
        record = screen.session.record
        assert record.step == steps
        assert np.array_equal(record.theta, expected.theta)  # the same training, bit for bit

        status = screen.query_one(StatusLine).render().plain
        assert f"step {steps} " in status
        assert f"L(θ{subscript(steps - 1)}) = {num(expected.loss)} " in status

        shown = table(screen.query_one("#grad", MatrixView))
        columns = len(shown["x1"])
        assert columns >= 2
        assert shown["x1"] == [fit(v, CELL - 1) for v in expected.grads["layer1.W"][0, :columns]]
        assert shown["b"] == [fit(v, CELL - 1) for v in expected.grads["layer1.b"][:columns]]
        arrays = {key: expected.state["layer1.W"][key] for key in ("V", "S", "V_hat", "S_hat")}
        arrays["update"] = expected.update["layer1.W"]
        for key, array in arrays.items():
            screen.query_one("#state-tabs", Tabs).active = f"tab-{key}"  # one tab at a time
            await pilot.pause()
            shown = table(screen.query_one(f"#view-{key}", MatrixView))["x2"]
            assert len(shown) >= 2
            assert shown == [fit(v, CELL - 1) for v in array[1, :len(shown)]], key

        results = [result for _, result in screen.query_one(EquationsView).lines]
        state = expected.state["layer1.W"]
        assert results == [num(expected.grads["layer1.W"][0, 0]), num(state["V"][0, 0]),
                           num(state["S"][0, 0]), num(state["V_hat"][0, 0]), num(state["S_hat"][0, 0]),
                           num(expected.params["layer1.W"][0, 0]), num(expected.update["layer1.W"][0, 0])]
        subtitle = str(screen.query_one("#state").border_subtitle)
        assert f"1−β1ᵗ = {num(expected.bias_correction1)}" in subtitle
        assert f"1−β2ᵗ = {num(expected.bias_correction2)}" in subtitle


async def test_objective_numbers_equal_the_engines_record():
    steps = 12
    expected = reference("adam-fabc", steps)
    previous = reference("adam-fabc", steps - 1)
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        await run(app, pilot, ["n", "space", "space", "down"])
        screen = app.screen
        shown = table(screen.query_one(StateTable))
        for name in ("a", "b", "c"):
            state = expected.state[name]
            assert shown[name] == [fit(float(state[k]), 9) for k in ("V", "S", "V_hat", "S_hat")] + [
                fit(float(expected.update[name]), 9), fit(float(expected.effective_lr[name]), 9)], name
        assert table(screen.query_one("#grad", MatrixView))[fit(expected.grads["a"], 9)] == [
            fit(expected.grads[n], 9) for n in ("b", "c")]

        # "down" moved the cursor to b: its update, written out with the previous step's numbers
        lines = dict(screen.query_one(EquationsView).lines)
        b0, s = previous.state["b"], expected.state["b"]
        v_line = next(eq for eq in lines if eq.startswith("V = "))
        assert f"0.9·{num(b0['V'])}" in v_line.replace("(", "").replace(")", "")
        assert lines[v_line] == num(s["V"])
        update = next(eq for eq in lines if eq.startswith("b ← "))
        assert f"= {num(previous.params['b'])} − 0.05·" in update
        assert lines[update] == num(expected.params["b"])
