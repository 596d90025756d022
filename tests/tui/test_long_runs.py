"""Long runs in bounded memory: the dashboard's norm table merges rows (keeping each row's
largest norm), and the loss chart draws a few points per column that keep each column's extremes,
whatever the length of the run."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.training.session import Session
from gradstep.tui.format import sparkline
from gradstep.tui.history import TrainingHistory
from gradstep.tui.chart_sources import loss_curves
from gradstep.tui.widgets.loss_chart import TINY, LossChart

SMALL_SCALARS = dict(scalar_window=64, scalar_blocks=32, scalar_chunk=16)


def stepped(name, steps, **options):
    session = Session(load_scenario(resolve_scenario(name)), history_options=options or None)
    return session, [session.step() for _step in range(steps)]


def norms_of(records, name):
    """Each step's gradient norm of ``name``, computed here (not by the engine's norm row)."""
    return np.array([np.linalg.norm(np.ravel(r.grads[name])) for r in records])


def test_the_sparklines_keep_the_largest_norm_of_each_stretch_of_steps():
    session, records = stepped("xor", 3000)
    history = TrainingHistory(session)
    norms = history.grad_norms(columns=20)
    edges = np.linspace(0, 3000, 21).astype(int)  # 20 stretches of 150 steps
    for name in session.layout.names:
        every = norms_of(records, name)
        assert len(norms[name]) == 20
        np.testing.assert_allclose(norms[name], np.maximum.reduceat(every, edges[:-1]), rtol=1e-12)
        # the sparkline of a long run still shows its largest spike
        assert sparkline(norms[name], 20).count("█") >= 1


def test_the_sparklines_of_a_run_summarised_by_the_engine_keep_its_spike_in_bounded_values():
    session, records = stepped("xor", 3000, **SMALL_SCALARS)
    assert session.history.scalars.exact_from > 0  # older steps are min/max blocks
    norms = TrainingHistory(session).grad_norms(columns=30)
    for name in session.layout.names:
        every = norms_of(records, name)
        assert len(norms[name]) <= 30
        assert norms[name].max() == pytest.approx(every.max(), rel=1e-12)


def test_the_sparklines_are_exact_for_short_runs_and_follow_a_branch():
    session, records = stepped("xor", 50)
    history = TrainingHistory(session)
    every = norms_of(records, "layer1.W")
    np.testing.assert_allclose(history.grad_norms()["layer1.W"], every, rtol=1e-12)
    np.testing.assert_allclose(history.grad_norms(20)["layer1.W"], every[:20], rtol=1e-12)
    session.goto(30)
    session.set_lr(0.5)  # a branch: steps 31-50 are abandoned
    assert len(history) == 30 and len(history.grad_norms()["layer1.W"]) == 30


def test_a_summarised_block_reaching_past_a_branch_shows_none_of_the_abandoned_steps():
    session, records = stepped("adam-fabc", 300, **SMALL_SCALARS)
    session.goto(100)
    session.set_lr(0.5)
    kept = TrainingHistory(session).grad_norms()["a"]
    every = norms_of(records, "a")
    assert kept.max() <= every[:100].max()


@pytest.mark.parametrize("log", [False, True])
def test_the_loss_chart_of_a_long_run_keeps_its_extremes_in_few_points(log):
    session, records = stepped("adam-fabc", 5000, **SMALL_SCALARS)
    assert session.history.scalars.exact_from > 0  # summarised
    losses = np.array([r.loss for r in records])
    if log:
        losses = losses[losses >= TINY]
    curves = loss_curves(session.history)(100, TINY if log else None)
    steps, values, first, last = curves["train"]
    assert (first, last) == (1, 5000) and curves["ghost"] is None and curves["validation"] is None
    assert len(values) <= 200 and np.all(np.diff(steps) >= 0)
    assert values.max() == losses.max() and values.min() == losses.min()


def test_a_long_branch_is_drawn_bounded_beside_the_new_one():
    session, records = stepped("adam-fabc", 4000, **SMALL_SCALARS)
    session.goto(1000)
    session.set_lr(0.01)
    session.run(10)
    curves = loss_curves(session.history)(60, None)
    ghost_steps, ghost, first, last = curves["ghost"]
    assert (first, last) == (1001, 4000) and len(ghost) <= 120
    old = np.array([r.loss for r in records[1000:]])
    assert ghost.max() <= old.max() and ghost.min() >= old.min()
    assert session.history.ghost_log.nbytes <= 8 * (64 + 3 * 32 + 2 * 16)


class ChartApp(App):
    def compose(self) -> ComposeResult:
        yield LossChart()


async def test_the_chart_asks_again_when_its_width_or_scale_changes():
    session, records = stepped("adam-fabc", 5000, **SMALL_SCALARS)
    asked = []
    source = loss_curves(session.history)

    def counted(columns, low):
        asked.append((columns, low))
        return source(columns, low)

    app = ChartApp()
    async with app.run_test(size=(80, 20)) as pilot:
        chart = app.query_one(LossChart)
        chart.show(counted, marks=(2000,), current=3000)
        await pilot.pause()
        assert asked[-1] == (70, None) and len(chart._loss) <= 140
        assert chart._loss.max() == max(r.loss for r in records)
        chart.log_scale = True
        await pilot.pause()
        assert asked[-1] == (70, TINY)
        await pilot.resize_terminal(50, 20)
        await pilot.pause()
        assert asked[-1] == (40, TINY) and len(chart._loss) <= 80
        assert "step" in chart.render().plain if hasattr(chart.render(), "plain") else True
