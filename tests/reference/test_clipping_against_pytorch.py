"""Gradient clipping against ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.

Each case of ``clipping.npz`` (written by ``make_fixtures.py``) clipped the gradient after the
backward pass and before ``optimizer.step()``, and kept the raw gradient, its total norm (the
value ``clip_grad_norm_`` returns), the norm after clipping, the parameters and the optimizer
state. The engine's record keeps the raw gradient and both norms; its parameters and state follow
from the clipped one. One case also runs a cosine schedule (clipping and the schedule together).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gradstep.engine.scenario import ScheduleSpec
from gradstep.engine.scenario.schedule_reader import SCHEDULES
from gradstep.engine.training.session import Session
from tests.reference.test_against_pytorch import FLOOR, TOLERANCE, load_case, relative_error, scenario_for

FIXTURE = Path(__file__).resolve().parent / "clipping.npz"
with np.load(FIXTURE) as _f:
    CASES = sorted(key[: -len("/config")] for key in _f.files if key.endswith("/config"))


def clipped_scenario(name, case):
    scenario, cfg = scenario_for(name, case)
    training = replace(scenario.training, clip_norm=cfg.get("clip_norm"), clip_value=cfg.get("clip_value"))
    schedule = None
    if "schedule" in cfg:
        given = cfg["schedule"]
        schedule = ScheduleSpec(given["kind"], {key: given["args"].get(key, default)
                                                for key, default in SCHEDULES[given["kind"]].items()})
    return replace(scenario, training=training, schedule=schedule), cfg


def test_fixtures_cover_both_modes_and_optimizers_with_state():
    configs = [json.loads(str(load_case(FIXTURE, name)["config"])) for name in CASES]
    assert any("clip_norm" in c for c in configs) and any("clip_value" in c for c in configs)
    assert {c["dtype"] for c in configs} == {"float64", "float32"}


@pytest.mark.parametrize("name", CASES)
def test_clipping_matches_pytorch(name):
    case = load_case(FIXTURE, name)
    scenario, cfg = clipped_scenario(name, case)
    tol, floor = TOLERANCE[cfg["dtype"]], FLOOR[cfg["dtype"]]
    names = [key[len("params/"):] for key in case if key.startswith("params/")]
    state_keys = sorted({key.split("/")[1] for key in case if key.startswith("state/")})
    session = Session(scenario)
    clipped_steps = 0
    for t in range(1, cfg["steps"] + 1):
        record = session.step()
        where = f"{name}, step {t}"
        err = relative_error(record.loss, case["loss"][t - 1], floor)
        assert err <= tol, f"{where}: loss relative error {err:.3g}"
        if "raw_norm" in case:
            err = relative_error(record.grad_norm, case["raw_norm"][t - 1], floor)
            assert err <= tol, f"{where}: raw norm {record.grad_norm!r} vs {case['raw_norm'][t - 1]!r}"
        err = relative_error(record.clipped_norm, case["clipped_norm"][t - 1], floor)
        assert err <= tol, f"{where}: clipped norm {record.clipped_norm!r} vs {case['clipped_norm'][t - 1]!r}"
        clipped_steps += record.clipped_norm < record.grad_norm * (1 - 1e-6)
        for p in names:
            err = relative_error(record.grads[p], case[f"grads/{p}"][t - 1], floor)
            assert err <= tol, f"{where}: raw grads[{p}] relative error {err:.3g}"
            err = relative_error(record.params[p], case[f"params/{p}"][t - 1], floor)
            assert err <= tol, f"{where}: params[{p}] relative error {err:.3g}"
            for key in state_keys:
                err = relative_error(record.state[p][key], case[f"state/{key}/{p}"][t - 1], floor)
                assert err <= tol, f"{where}: state[{p}][{key}] relative error {err:.3g}"
    assert clipped_steps >= 5, "the case must clip for its test to mean anything"
