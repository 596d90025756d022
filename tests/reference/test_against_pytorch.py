"""Whole training runs against PyTorch: every network fixture, every step, every array.

Each case of ``network_<kind>.npz`` (written by ``make_fixtures.py`` with ``torch.optim``) is
rebuilt as a :class:`~gradstep.engine.scenario.Scenario` with the stored initial weights and data, run
through :class:`~gradstep.engine.training.session.Session`, and compared at every step: the loss, each
parameter's raw gradient, each parameter after the update and the optimizer state (``V``,
``S``, ``S_max``). Errors are norm-wise relative errors, at most 1e-10 in float64 and 1e-5 in
float32.

The denominator never falls below ``FLOOR`` (1e-5 in float64, 0.1 in float32), so arrays
smaller than that are held to an absolute error of ``tolerance * FLOOR`` (1e-15, 1e-6) instead.
Gradients are sums that cancel: a mean absolute error's bias gradient is a sum of +-1/n that
comes out as exactly 0 in one library and as a residue such as 1e-17 in the other (summed in
another order), a relative error of 1 that means nothing; in float32, an output bias gradient of
0.01 made of O(1) residuals loses two digits the same way (relative errors near 1e-5 with a
floor of 0.01). A wrong formula still shows as an error of order one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gradstep.engine.scenario import Dataset, LayerSpec, NetworkSpec, OptimizerSpec, Scenario, TrainingSpec
from gradstep.engine.training.session import Session

HERE = Path(__file__).resolve().parent
FIXTURES = sorted(HERE.glob("network_*.npz"))
TOLERANCE = {"float64": 1e-10, "float32": 1e-5}
FLOOR = {"float64": 1e-5, "float32": 0.1}


def relative_error(actual, expected, floor=np.finfo(np.float64).tiny):
    """Norm-wise relative error ``||a - b|| / max(||b||, floor)``, computed in float64."""
    a = np.asarray(actual, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), floor))


def _case_ids():
    ids = []
    for path in FIXTURES:
        with np.load(path) as f:
            ids += [(path, key[: -len("/config")]) for key in f.files if key.endswith("/config")]
    return sorted(ids, key=lambda pc: pc[1])


CASES = _case_ids()


def load_case(path, name):
    """``{field: array}`` of one case, without its ``<name>/`` prefix."""
    prefix = f"{name}/"
    with np.load(path) as f:
        return {key[len(prefix):]: f[key] for key in f.files if key.startswith(prefix)}


def scenario_for(name, case):
    """The :class:`Scenario` that replays a fixture case in the engine."""
    cfg = json.loads(str(case["config"]))
    layers = tuple(LayerSpec(units, activation) for units, activation in cfg["layers"])
    weights = tuple({"W": case[f"init/layer{k}.W"], "b": case[f"init/layer{k}.b"]}
                    for k in range(1, len(layers) + 1))
    return Scenario(
        name=name,
        kind="network",
        model=NetworkSpec(inputs=cfg["inputs"], layers=layers, weights=weights),
        data=Dataset(x=case["x"], y=case["y"]),
        loss=cfg["loss"],
        optimizer=OptimizerSpec(kind=cfg["optimizer"], lr=cfg["lr"], hyper=cfg["hyper"]),
        training=TrainingSpec(steps=cfg["steps"], batch_size=cfg["batch_size"], shuffle=cfg["shuffle"]),
        seed=cfg["seed"],
        dtype=cfg["dtype"],
    ), cfg


def test_fixtures_cover_every_optimizer_and_loss():
    from gradstep.engine.model.losses import LOSSES
    from gradstep.engine.optim import OPTIMIZERS

    seen = {(n.split("-")[0], n.split("-")[2]) for _, n in CASES}
    assert seen >= {(k, loss) for k in OPTIMIZERS for loss in LOSSES}


@pytest.mark.parametrize("path, name", CASES, ids=[name for _, name in CASES])
def test_session_matches_pytorch(path, name):
    case = load_case(path, name)
    scenario, cfg = scenario_for(name, case)
    tol, floor = TOLERANCE[cfg["dtype"]], FLOOR[cfg["dtype"]]
    names = [key[len("params/"):] for key in case if key.startswith("params/")]
    state_keys = sorted({key.split("/")[1] for key in case if key.startswith("state/")})
    session = Session(scenario)
    for t in range(1, cfg["steps"] + 1):
        record = session.step()
        assert record.step == t
        where = f"{name}, step {t}"
        err = relative_error(record.loss, case["loss"][t - 1], floor)
        assert err <= tol, f"{where}: loss {record.loss!r} vs {case['loss'][t - 1]!r} (error {err:.3g})"
        for p in names:
            err = relative_error(record.grads[p], case[f"grads/{p}"][t - 1], floor)
            assert err <= tol, f"{where}: grads[{p}] relative error {err:.3g}"
            assert record.params[p].dtype == np.dtype(cfg["dtype"])
            err = relative_error(record.params[p], case[f"params/{p}"][t - 1], floor)
            assert err <= tol, f"{where}: params[{p}] relative error {err:.3g}"
            for key in state_keys:
                assert key in record.state[p], f"{where}: state[{p}] lacks {key}"
                err = relative_error(record.state[p][key], case[f"state/{key}/{p}"][t - 1], floor)
                assert err <= tol, f"{where}: state[{p}][{key}] relative error {err:.3g}"
