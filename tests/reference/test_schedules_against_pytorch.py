"""Learning-rate schedules against ``torch.optim.lr_scheduler``: every case, every step.

Each case of ``schedules.npz`` (written by ``make_fixtures.py``) trained a network with a
PyTorch optimizer and scheduler, ``scheduler.step()`` after each ``optimizer.step()``, and kept
the learning rate (and β1 or momentum) each step used. The case gave PyTorch only the arguments
it sets, so the engine's defaults (``SCHEDULES``) are checked against PyTorch's here. The engine
must use the same α at every step (the record's ``lr``), and so reach the same parameters.
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

FIXTURE = Path(__file__).resolve().parent / "schedules.npz"
with np.load(FIXTURE) as _f:
    CASES = sorted(key[: -len("/config")] for key in _f.files if key.endswith("/config"))


def test_fixtures_cover_every_schedule():
    kinds = set()
    for name in CASES:
        kinds.add(json.loads(str(load_case(FIXTURE, name)["config"]))["schedule"]["kind"])
    assert kinds == set(SCHEDULES)


@pytest.mark.parametrize("name", CASES)
def test_schedule_matches_pytorch(name):
    case = load_case(FIXTURE, name)
    scenario, cfg = scenario_for(name, case)
    given = cfg["schedule"]
    args = {key: given["args"].get(key, default) for key, default in SCHEDULES[given["kind"]].items()}
    session = Session(replace(scenario, schedule=ScheduleSpec(given["kind"], args)))
    tol, floor = TOLERANCE[cfg["dtype"]], FLOOR[cfg["dtype"]]
    names = [key[len("params/"):] for key in case if key.startswith("params/")]
    moment = "beta1" if "beta1" in session.hyper else "momentum"
    for t in range(1, cfg["steps"] + 1):
        record = session.step()
        where = f"{name}, step {t}"
        expected = case["lr"][t - 1]
        assert abs(record.lr - expected) <= 1e-13 * expected, f"{where}: α {record.lr!r} vs {expected!r}"
        assert session.alpha_at(t) == record.lr
        if moment in record.hyper:
            assert abs(record.hyper[moment] - case["momentum"][t - 1]) <= 1e-13, f"{where}: {moment}"
        err = relative_error(record.loss, case["loss"][t - 1], floor)
        assert err <= tol, f"{where}: loss relative error {err:.3g}"
        for p in names:
            err = relative_error(record.params[p], case[f"params/{p}"][t - 1], floor)
            assert err <= tol, f"{where}: params[{p}] relative error {err:.3g}"
