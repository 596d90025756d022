"""The optimizer race: lockstep runs equal single runs, bit for bit."""

from dataclasses import replace

import numpy as np
import pytest

from gradstep.engine.analysis.race import Race
from gradstep.engine.scenario import ExpressionSpec, OptimizerSpec, Scenario, load_scenario, resolve_scenario
from gradstep.engine.training.session import Diverged, Session
from gradstep.engine.analysis.surface import surface


def single_run(scenario, spec, steps):
    """One optimizer alone: its records (until it diverges) and the step it diverged at."""
    session = Session(replace(scenario, optimizer=spec, compare=()))
    records = []
    try:
        for _ in range(steps):
            records.append(session.step())
    except Diverged as exc:
        return records, exc.step
    return records, None


@pytest.mark.parametrize("name,steps", [("rosenbrock-race", 400), ("saddle-race", 150)])
def test_race_equals_single_runs(name, steps):
    scenario = load_scenario(resolve_scenario(name))
    race = Race(scenario)
    assert [r.label for r in race.runners] == [s.kind for s in scenario.compare]
    race.run(steps)
    assert race.t == steps
    for runner, spec in zip(race.runners, scenario.compare):
        records, diverged = single_run(scenario, spec, steps)
        assert diverged is None and not runner.diverged
        assert runner.kind == spec.kind and runner.hyper["lr"] == spec.lr
        assert runner.losses == [r.loss for r in records]                      # bit for bit
        np.testing.assert_array_equal(runner.session.theta, records[-1].theta)
        path = race.trajectories()[runner.label]
        assert path.shape == (steps + 1, 2)
        np.testing.assert_array_equal(path[0], [scenario.model.params["x"], scenario.model.params["y"]])
        np.testing.assert_array_equal(path[1:], np.array([r.theta for r in records]))

    # steps to reach a threshold, from the single runs' losses
    threshold = 1e-2 if name == "rosenbrock-race" else -0.2
    summary = race.summary(threshold)
    for s, spec in zip(summary, scenario.compare):
        losses = [r.loss for r in single_run(scenario, spec, steps)[0]]
        first = next((t for t, loss in enumerate(losses, start=1) if loss <= threshold), None)
        assert s.reached == first
        assert s.final_loss == losses[-1] and s.best_loss == min(losses) and s.steps == steps
    assert any(s.reached is not None for s in summary)
    if name == "saddle-race":
        by = {s.label: s.reached for s in summary}
        assert by["adam"] < by["sgd"] and by["rmsprop"] < by["sgd"]          # the lesson of the scenario


def test_a_diverging_runner_stops_and_the_others_go_on():
    scenario = Scenario(name="bowl", kind="objective",
                        model=ExpressionSpec("x**2 + 10*y**2", {"x": np.array(1.0), "y": np.array(1.0)}),
                        optimizer=OptimizerSpec("sgd", 0.01))
    specs = [OptimizerSpec("sgd", 0.05), OptimizerSpec("sgd", 5.0), OptimizerSpec("adam", 0.1)]
    race = Race(scenario, specs)
    assert [r.label for r in race.runners] == ["sgd (lr=0.05)", "sgd (lr=5)", "adam"]
    race.run(300)
    fine, wild, adam = race.runners
    _, diverged = single_run(scenario, specs[1], 300)
    assert diverged is not None and wild.diverged_at == diverged and "diverged" in wild.message
    assert len(wild.losses) == diverged - 1 and len(race.trajectories()["sgd (lr=5)"]) == diverged
    assert not fine.diverged and len(fine.losses) == 300 and len(adam.losses) == 300
    summary = race.summary(1e-6)
    assert summary[1].diverged_at == diverged and summary[1].steps == diverged - 1
    assert summary[0].reached is not None and summary[0].diverged_at is None
    assert race.summary()[0].reached is None


def test_defaults_and_surface_overlay():
    scenario = load_scenario(resolve_scenario("rosenbrock"))      # no compare list: its optimizer alone
    race = Race(scenario)
    assert [r.label for r in race.runners] == ["adam"]
    assert race.traced == (("x", ()), ("y", ())) and race.traced_labels == ("x", "y")
    race.run(50)
    path = race.trajectories()["adam"]
    s = surface(race.runners[0].session, trajectory=path)
    assert s.xs[0] <= path[:, 0].min() and s.xs[-1] >= path[:, 0].max()
    labels = [r.label for r in Race(scenario, [OptimizerSpec("sgd", 0.1)] * 2).runners]
    assert labels == ["sgd (lr=0.1) #1", "sgd (lr=0.1) #2"]
    net = Race(load_scenario(resolve_scenario("xor")))
    assert net.traced == (("layer1.W", (0, 0)), ("layer1.W", (0, 1)))
