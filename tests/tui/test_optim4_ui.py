"""Issue 18's optimizers on the dashboard: the state table shows their state by the tutorial's
names, the border their step-wide numbers, the up-close panel their worked update, help their
equations; travel back and forth shows the straight run's numbers. The numbers are compared with
an independent session of the engine (whose updates ``tests/reference`` holds to PyTorch)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gradstep.engine import optim
from gradstep.engine.optim.adam_variants import nadam_momentum, radam_rectification
from gradstep.engine.scenario import OptimizerSpec, load_scenario
from gradstep.engine.training.session import Session
from gradstep.tui.app import GradstepApp
from gradstep.tui.format import fit, num
from gradstep.tui.screens.help import HelpScreen
from gradstep.tui.widgets.equations_view import EquationsView
from gradstep.tui.widgets.state_table import StateTable

from .conftest import settle
from .screen_text import screen_text
from .test_keys import rendered
from .test_numbers import run, table

SIZE = (120, 40)
# kind: (learning rate, state columns as the table titles them, the first words of the
# equation of the update in the up-close panel)
KINDS = {
    "adadelta": (1.0, ("S", "D"), "a ← a − α·δ"),
    "adamax": (0.05, ("V", "U"), "a ← a − α/(1−β1ᵗ)·V/U"),
    "nadam": (0.05, ("V", "S"), "a ← a − α·(1−μₜ)/(1−Πₜ)"),
    "radam": (0.05, ("V", "S", "V̂", "Ŝ"), "a ← a − α·rₜ·V̂"),
}
STATE_KEYS = {"V̂": "V_hat", "Ŝ": "S_hat"}


@pytest.mark.parametrize("kind", KINDS)
async def test_state_table_notes_and_worked_update(kind, write_scenario):
    lr, columns, update = KINDS[kind]
    path = write_scenario(kind, kind=kind, lr=lr)
    steps = 12
    expected = Session(load_scenario(path)).run(steps)
    app = GradstepApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await run(app, pilot, ["n", "space", "space"])
        screen = app.screen
        assert screen.session.t == steps
        shown = table(screen.query_one(StateTable))
        for name in ("a", "b", "c"):
            state = expected.state[name]
            want = [fit(float(state[STATE_KEYS.get(k, k)]), 9) for k in columns]
            want.append(fit(float(expected.update[name]), 9))
            if optim.step_size_varies(kind):  # Adadelta's is α everywhere: no column for it
                want.append(fit(float(expected.effective_lr[name]), 9))
            assert shown[name] == want, name
        header = screen.query_one(StateTable).render().plain.splitlines()[0].split()
        assert header[:len(columns)] == list(columns)
        subtitle = str(screen.query_one("#state").border_subtitle)
        hp = expected.hyper
        if kind == "nadam":
            assert f"μₜ = {num(nadam_momentum(steps, hp))}" in subtitle
            assert f"Πₜ = {num(expected.opt_state['mu_product'])}" in subtitle
        elif kind == "radam":
            rho, rect = radam_rectification(steps, hp)
            assert f"ρₜ = {num(rho)}" in subtitle and f"rₜ = {num(rect)}" in subtitle
            assert f"1−β1ᵗ = {num(1 - 0.9 ** steps)}" in subtitle
        elif kind == "adamax":
            assert f"1−β1ᵗ = {num(1 - 0.9 ** steps)}" in subtitle
        lines = dict(screen.query_one(EquationsView).lines)
        equation = next(eq for eq in lines if eq.startswith("a ← "))
        assert equation.startswith(update)
        assert lines[equation] == num(expected.params["a"])


@pytest.mark.parametrize("kind", KINDS)
async def test_back_and_forth_shows_the_straight_runs_numbers(kind, write_scenario):
    lr, columns, _update = KINDS[kind]
    path = write_scenario(kind, kind=kind, lr=lr)
    straight = Session(load_scenario(path))
    records = [straight.step() for _ in range(20)]
    app = GradstepApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await run(app, pilot, ["n", "n", "b", "b", "b", "comma", "full_stop", "space"])  # 10, 20, 19, 18, 17, 7, 17, 18
        screen = app.screen
        t = screen.session.t
        assert t == 18, t  # a step taken in the past replays the branch's next record
        expected = records[t - 1]
        shown = table(screen.query_one(StateTable))
        for name in ("a", "b", "c"):
            want = [fit(float(expected.state[name][STATE_KEYS.get(k, k)]), 9) for k in columns]
            assert shown[name][:len(columns)] == want, (t, name)


@pytest.mark.parametrize("kind", KINDS)
async def test_help_shows_the_equations(kind, write_scenario):
    lr, _columns, _update = KINDS[kind]
    app = GradstepApp(write_scenario(kind, kind=kind, lr=lr))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(rendered(w.content) for w in app.screen.query("Static"))
        assert optim.optimizer_title(kind) in text
        for line in optim.symbolic_lines(kind):
            assert line.split("   ")[0].strip() in text
        assert {"adadelta": "running mean of its squared steps", "adamax": "infinity norm: a decaying maximum",
                "nadam": "the product μ₁·…·μₜ", "radam": "the rectification once ρₜ > 5"}[kind] in text


RACE = """
name = "four-race"
[objective]
expression = "(a - 1)**2 + 10*(b + 2)**2"
params = { a = 0.0, b = 0.0 }
[[compare]]
kind = "adadelta"
lr = 1.0
[[compare]]
kind = "adamax"
lr = 0.05
[[compare]]
kind = "nadam"
lr = 0.05
decoupled_weight_decay = true
weight_decay = 0.01
[[compare]]
kind = "radam"
lr = 0.05
"""


async def test_the_race_view_races_the_four(write_scenario):
    """C races them; each runner is its kind's own run, and the table names every one."""
    path = write_scenario("four-race", text=RACE)
    scenario = load_scenario(path)
    app = GradstepApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        race = app.screen.race
        assert race.t == 100  # n races 100 steps
        text = screen_text(app)
        for spec, runner in zip(scenario.compare, race.runners):
            assert spec.kind in text
            alone = Session(replace(scenario, optimizer=OptimizerSpec(spec.kind, spec.lr, spec.hyper), compare=()))
            alone.run(100)
            assert (runner.session.theta == alone.theta).all(), spec.kind


@pytest.mark.parametrize("kind", KINDS)
async def test_brackets_scale_the_rate_and_the_lab_says_why_not(kind, write_scenario):
    lr, _columns, _update = KINDS[kind]
    app = GradstepApp(write_scenario(kind, kind=kind, lr=lr))
    async with app.run_test(size=SIZE) as pilot:
        await run(app, pilot, ["space", "right_square_bracket", "space"])
        record = app.screen.session.record
        assert record.step == 2 and record.lr == 2 * lr
        await run(app, pilot, ["left_square_bracket", "left_square_bracket", "space"])
        assert app.screen.session.record.lr == lr / 2
        await pilot.press("M")  # the misconception lab is about Adam's own mistakes
        await pilot.pause()
        assert app.screen is not None and app.screen.session.t == 3
        notes = [n.message for n in app._notifications]
        assert any("misconception lab needs an Adam-family optimizer" in n and kind in n for n in notes)
