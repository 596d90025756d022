"""L1 and L2 terms of the loss against PyTorch code that adds them by hand.

Each case of ``penalties.npz`` (written by ``make_fixtures.py``) trained a network on
``loss = data loss + l1 · Σ|θ| + l2 · Σθ²`` over every parameter, and kept the loss, both terms,
the gradient of the whole loss, the parameters and the optimizer state at every step. One case
adds AdamW's weight decay, which is the optimizer's and not a term of the loss.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gradstep.engine.training.session import Session
from tests.reference.test_against_pytorch import FLOOR, TOLERANCE, load_case, relative_error, scenario_for

FIXTURE = Path(__file__).resolve().parent / "penalties.npz"
with np.load(FIXTURE) as _f:
    CASES = sorted(key[: -len("/config")] for key in _f.files if key.endswith("/config"))


def test_fixtures_have_each_term_alone_and_both():
    terms = {(c["l1"] > 0, c["l2"] > 0) for c in (json.loads(str(load_case(FIXTURE, n)["config"])) for n in CASES)}
    assert terms == {(True, False), (False, True), (True, True)}


@pytest.mark.parametrize("name", CASES)
def test_penalties_match_pytorch(name):
    case = load_case(FIXTURE, name)
    scenario, cfg = scenario_for(name, case)
    session = Session(replace(scenario, l1=cfg["l1"], l2=cfg["l2"]))
    tol, floor = TOLERANCE[cfg["dtype"]], FLOOR[cfg["dtype"]]
    names = [key[len("params/"):] for key in case if key.startswith("params/")]
    state_keys = sorted({key.split("/")[1] for key in case if key.startswith("state/")})
    for t in range(1, cfg["steps"] + 1):
        record = session.step()
        where = f"{name}, step {t}"
        err = relative_error(record.loss, case["loss"][t - 1], floor)
        assert err <= tol, f"{where}: loss {record.loss!r} vs {case['loss'][t - 1]!r}"
        for term in ("l1", "l2"):
            expected = case[f"{term}_term"][t - 1]
            got = record.metrics[term] if cfg[term] else 0.0
            assert relative_error(got, expected, floor) <= tol, f"{where}: {term} term {got!r} vs {expected!r}"
        for p in names:
            err = relative_error(record.grads[p], case[f"grads/{p}"][t - 1], floor)
            assert err <= tol, f"{where}: grads[{p}] relative error {err:.3g}"
            err = relative_error(record.params[p], case[f"params/{p}"][t - 1], floor)
            assert err <= tol, f"{where}: params[{p}] relative error {err:.3g}"
            for key in state_keys:
                err = relative_error(record.state[p][key], case[f"state/{key}/{p}"][t - 1], floor)
                assert err <= tol, f"{where}: state[{p}][{key}] relative error {err:.3g}"
