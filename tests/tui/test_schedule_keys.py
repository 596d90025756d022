"""What issue 18 shows on the dashboard: the chart's views (``A``: loss with its L1 and L2 terms, α,
accuracy), the status line under a schedule and with clipping, ``[`` / ``]`` scaling a schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.equations_view import EquationsView
from gradstep.tui.widgets.loss_chart import LossChart
from gradstep.tui.widgets.status_line import StatusLine

from .conftest import OBJECTIVE, settle

SIZE = (120, 40)

# α = 0.04 for steps 1-5, 0.02 for 6-10, 0.01 for 11-15 (StepLR: step_size 5, gamma 0.5)
STEPPED = OBJECTIVE.format(name="stepped", kind="sgd", lr=0.04) + """
[schedule]
kind = "step"
step_size = 5
gamma = 0.5
"""


def status(app) -> str:
    return app.screen.query_one(StatusLine).render().plain


async def test_capital_a_charts_alpha_over_the_steps(tmp_path):
    path = tmp_path / "stepped.toml"
    path.write_text(STEPPED)
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert screen.session.t == 10
        assert "α 0.01 " in status(app), "the status line shows the α of the next step"
        chart = screen.query_one(LossChart)
        await pilot.press("A")
        await settle(pilot)
        assert chart.shows == "alpha"
        assert "α" in str(screen.query_one("#loss-panel").border_title)
        steps, values, first, last = chart._curves["alpha"]
        assert (first, last) == (1, 10)
        assert list(steps) == list(range(1, 11))
        assert np.array_equal(values, [0.04] * 5 + [0.02] * 5)
        await pilot.press("A")
        await settle(pilot)
        assert chart.shows == "loss" and chart._curves.get("alpha") is None, "no accuracy: back to the loss"
        assert str(screen.query_one("#loss-panel").border_title) == "loss"


async def test_brackets_scale_the_schedule_and_branch_in_the_past(tmp_path):
    path = tmp_path / "stepped.toml"
    path.write_text(STEPPED)
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        session = screen.session
        await pilot.press("left_square_bracket")  # at step 10: α of step 11 on is halved
        await settle(pilot)
        assert session.hyper["lr"] == 0.02
        assert session.alpha_at(11) == 0.005
        await pilot.press("space")
        await settle(pilot)
        assert session.record.lr == 0.005, "the record carries the α the step used"
        await pilot.press("comma")  # back to step 1, then double there: a branch
        await settle(pilot)
        assert session.t == 1
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert session.furthest == 1 and session.history.ghost_span is not None
        await pilot.press("space")
        await settle(pilot)
        assert session.record.lr == 0.08  # α of step 2 (0.04) times the new rate over the file's (0.08 / 0.04)


CLIPPED = OBJECTIVE.format(name="clipped", kind="sgd", lr=0.05) + """
[training]
clip_norm = 1.0
"""


async def test_the_status_line_shows_the_raw_and_the_clipped_norm(tmp_path):
    from gradstep.tui.format import num

    path = tmp_path / "clipped.toml"
    path.write_text(CLIPPED)
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await settle(pilot)
        # at (a, b, c) = (0.5, 0, 2): g = (2(a - 1), 20(b + 2), 2c) = (-1, 40, 4)
        raw = math.sqrt(1 + 1600 + 16)
        clipped = raw / (raw + 1e-6)  # scaled to norm 1 by 1 / (‖g‖ + 1e-6), as PyTorch does
        assert f"‖g‖ {num(raw)} → {num(clipped)} clipped" in status(app)
        assert app.screen.session.record.update["b"] == pytest.approx(-0.05 * 40 / (raw + 1e-6), rel=1e-12)
        # the up-close panel (on a, the first entry) works the update from the clipped g
        lines = [text for text, _style in app.screen.query_one(EquationsView).lines]
        assert lines[0].startswith(f"clipped: ∂L/∂θ = {num(-1.0)} → g = {num(-1 / (raw + 1e-6))}")


async def test_a_gradient_under_the_limit_is_not_clipped(tmp_path):
    path = tmp_path / "loose.toml"
    path.write_text(CLIPPED.replace("clip_norm = 1.0", "clip_norm = 100.0"))
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await settle(pilot)
        assert "not clipped" in status(app) and "→" not in status(app).split("loss")[-1].split("sgd")[0]
        assert not app.screen.query_one(EquationsView).lines[0][0].startswith("clipped")


CLASSIFIER = """
name = "classifier"
seed = 2
[model]
inputs = 2
layers = [{ units = 4, activation = "tanh" }, { units = 3 }]
[data]
generator = "spiral"
n = 60
validation = 0.25
[loss]
kind = "cross_entropy"
l1 = 0.001
l2 = 0.01
[optimizer]
kind = "adam"
lr = 0.01
"""


async def test_the_chart_shows_the_loss_terms_then_alpha_then_accuracy(tmp_path):
    path = tmp_path / "classifier.toml"
    path.write_text(CLASSIFIER)
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        chart = screen.query_one(LossChart)
        session = screen.session
        records = [session.history.cached(t) or session.goto(t) for t in range(1, 11)]
        session.goto(10)
        _steps, l2, first, last = chart._curves["l2"]
        assert (first, last) == (1, 10)
        assert list(l2) == [r.metrics["l2"] for r in records], "the L2 term of each step"
        await pilot.press("A", "A")
        await settle(pilot)
        assert chart.shows == "accuracy"
        assert str(screen.query_one("#loss-panel").border_title) == "accuracy"
        _steps, accuracy, _first, _last = chart._curves["accuracy"]
        assert list(accuracy) == [r.metrics["accuracy"] for r in records]
        assert chart._curves["val_accuracy"] is not None and chart._curves.get("train") is None
        await pilot.press("A")
        await settle(pilot)
        assert chart.shows == "loss"
