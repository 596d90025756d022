"""Learning-rate schedules in the engine: α by hand, scaling, branches, replays, traces, races.

The values each kind gives are checked against PyTorch in ``tests/reference``; here they are
worked by hand, and the session's bookkeeping around them is checked: a step's record carries
the α it used, ``set_lr`` scales the schedule, and going back replays the same α bit for bit.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from gradstep.engine.analysis.race import Race
from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import OptimizerSpec, loads_scenario
from gradstep.engine.training.session import Session

F_ABC = '''name = "t"
[objective]
expression = "(a - 1)**2 + 10*(b + 2)**2 + c**2"
params = { a = 0.0, b = 0.0, c = 1.0 }
[optimizer]
kind = "%s"
lr = 0.04
[schedule]
'''


def session(schedule, kind="sgd", **options):
    return Session(loads_scenario(F_ABC % kind + schedule), history_options=options or None)


def alphas(s, n):
    return [s.step().lr for _t in range(n)]


def test_step_halves_every_step_size_steps():
    s = session('kind = "step"\nstep_size = 3\ngamma = 0.5\n')
    assert alphas(s, 7) == [0.04, 0.04, 0.04, 0.02, 0.02, 0.02, 0.01]


def test_step_gamma_defaults_to_a_tenth():
    s = session('kind = "step"\nstep_size = 2\n')
    assert alphas(s, 3) == [0.04, 0.04, 0.04 * 0.1]


def test_exponential_multiplies_by_gamma_each_step():
    s = session('kind = "exponential"\ngamma = 0.5\n')
    assert alphas(s, 4) == [0.04, 0.02, 0.01, 0.005]


def test_cosine_goes_from_lr_to_eta_min_in_t_max_steps_and_back():
    s = session('kind = "cosine"\nt_max = 4\neta_min = 0.01\n')
    got = alphas(s, 9)
    # n = t - 1: cos(0) = 1, cos(π/4) = √2/2, cos(π/2) = 0, cos(π) = -1, then up again
    half = 0.01 + 0.03 * (1 + math.sqrt(0.5)) / 2
    expected = [0.04, half, 0.025, 0.01 + 0.03 * (1 - math.sqrt(0.5)) / 2, 0.01,
                0.01 + 0.03 * (1 - math.sqrt(0.5)) / 2, 0.025, half, 0.04]
    assert got == pytest.approx(expected, rel=1e-14)


def test_warmup_defaults_rise_from_a_third_over_five_steps():
    s = session('kind = "warmup"\n')
    lr = 0.04
    assert alphas(s, 7) == pytest.approx([lr / 3, lr * 7 / 15, lr * 9 / 15, lr * 11 / 15, lr * 13 / 15, lr, lr],
                                         rel=1e-14)


def test_one_cycle_rises_to_max_lr_and_falls_with_beta1_moving_the_other_way():
    s = session('kind = "one_cycle"\nmax_lr = 0.1\ntotal_steps = 11\npct_start = 0.5\n'
                'anneal_strategy = "linear"\n', kind="adam")
    records = [s.step() for _t in range(12)]
    # rise over n = 0 ... 4.5 (pct_start · total_steps - 1), fall over 4.5 ... 10
    initial, lowest = 0.1 / 25, 0.1 / 25 / 1e4
    assert records[0].lr == pytest.approx(initial, rel=1e-14)
    assert records[0].hyper["beta1"] == 0.95
    assert records[4].lr == pytest.approx(initial + (0.1 - initial) * 4 / 4.5, rel=1e-14)
    assert records[4].hyper["beta1"] == pytest.approx(0.95 - 0.1 * 4 / 4.5, rel=1e-14)
    assert records[5].lr == pytest.approx(0.1 + (lowest - 0.1) * 0.5 / 5.5, rel=1e-14)
    assert records[10].lr == pytest.approx(lowest, rel=1e-14)
    assert records[11].lr == records[10].lr, "past total_steps α stays at its last value"
    assert records[10].hyper["beta1"] == pytest.approx(0.95, rel=1e-14)
    assert s.hyper["beta1"] == 0.9, "the session's own β1 is the file's; the step used the cycled one"


def test_set_lr_scales_the_schedule_from_the_next_step():
    s = session('kind = "exponential"\ngamma = 0.5\n')
    alphas(s, 2)
    s.set_lr(0.4)  # ten times the file's 0.04
    assert alphas(s, 2) == [0.1, 0.05]
    assert [s.alpha_at(t) for t in (1, 2, 3, 4)] == [0.04, 0.02, 0.1, 0.05]


def test_going_back_replays_the_same_alphas_bit_for_bit():
    # no kept records: every goto replays from a keyframe (or step 0)
    s = session('kind = "cosine"\nt_max = 7\n', kind="momentum", max_window=1, max_keyframes=2)
    first = [s.step() for _t in range(10)]
    s.goto(4)
    s.set_lr(0.08)  # a branch at step 4
    branch = [s.step() for _t in range(6)]
    assert [r.lr for r in branch] == [2 * r.lr for r in first[4:]]
    for t in (3, 7, 10):
        again = s.goto(t)
        expected = first[t - 1] if t <= 4 else branch[t - 5]
        assert again.lr == expected.lr
        assert np.array_equal(again.theta, expected.theta)


def test_the_trace_records_the_alpha_each_step_used():
    s = session('kind = "step"\nstep_size = 2\ngamma = 0.5\n')
    s.run(5)
    out = io.StringIO()
    s.export(out, "jsonl", full=False)
    assert [json.loads(line)["lr"] for line in out.getvalue().splitlines()] == [0.04, 0.04, 0.02, 0.02, 0.01]


def test_a_race_follows_the_schedule_from_each_racers_lr():
    scenario = loads_scenario(F_ABC % "sgd" + 'kind = "exponential"\ngamma = 0.5\n')
    race = Race(scenario, (OptimizerSpec("sgd", lr=0.04), OptimizerSpec("momentum", lr=0.02)))
    race.step()
    race.step()
    assert [[r.session.alpha_at(t) for t in (1, 2)] for r in race.runners] == [[0.04, 0.02], [0.02, 0.01]]
    assert [r.session.record.lr for r in race.runners] == [0.02, 0.01]


def test_cycle_momentum_is_refused_for_a_racer_without_momentum():
    text = F_ABC % "adam" + 'kind = "one_cycle"\nmax_lr = 0.1\ntotal_steps = 20\n[[compare]]\nkind = "adagrad"\n'
    with pytest.raises(ScenarioError, match="adagrad has neither"):
        loads_scenario(text)
    loads_scenario(text.replace("total_steps = 20", "total_steps = 20\ncycle_momentum = false"))


def test_a_schedule_that_grows_past_the_largest_float_diverges_with_a_message():
    from gradstep.engine.training.session import Diverged

    s = session('kind = "exponential"\ngamma = 1e10\n')
    assert s.alpha_at(40) == math.inf  # 0.04 · 1e10^39 is past 1.8e308: no OverflowError
    with pytest.raises(Diverged, match="diverged at step"):
        s.run(40)
