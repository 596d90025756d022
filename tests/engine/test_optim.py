"""The optimizers against PyTorch's, step by step, and their contract (pure, stable state).

The reference numbers are ``tests/reference/optimizers.npz``, written by
``tests/reference/make_fixtures.py`` from ``torch.optim`` itself (see that folder's README).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gradstep.engine import optim

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "optimizers.npz"
TOLERANCE = {"float64": 1e-10, "float32": 1e-5}
STEPS = 50


def relative_error(actual, expected):
    """Norm-wise relative error ``||a - b|| / max(||b||, tiny)``, computed in float64."""
    a = np.asarray(actual, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(np.float64).tiny))


def _load_cases():
    with np.load(FIXTURE) as f:
        names = sorted({key.split("/", 1)[0] for key in f.files})
        return {name: {key.split("/", 1)[1]: f[key] for key in f.files
                       if key.split("/", 1)[0] == name} for name in names}


CASES = _load_cases()


def _config(case):
    return json.loads(str(case["config"]))


def test_fixture_covers_every_optimizer_and_dtype():
    seen = {(_config(c)["kind"], _config(c)["dtype"]) for c in CASES.values()}
    assert seen == {(k, d) for k in optim.OPTIMIZERS for d in ("float64", "float32")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch_step_by_step(name):
    case = CASES[name]
    cfg = _config(case)
    kind, dtype = cfg["kind"], cfg["dtype"]
    tol = TOLERANCE[dtype]
    hp = optim.hyperparameters(kind, cfg["lr"], **cfg["hyper"])
    step_fn = getattr(optim, f"{kind}_update")
    theta = case["theta0"]
    state = optim.init_state(kind, theta, hp)
    stored = sorted(k.split("/")[1] for k in case if k.startswith("state/"))
    for t in range(STEPS):
        theta, state = step_fn(theta, case["grads"][t], state, hp)
        assert state["t"] == t + 1
        assert theta.dtype == np.dtype(dtype)
        err = relative_error(theta, case["params"][t])
        assert err <= tol, f"{name}: params at step {t + 1}: relative error {err:.3g}"
        arrays = sorted(k for k, v in state.items() if isinstance(v, np.ndarray))
        assert arrays == stored, f"{name}: state keys"
        if "mu_product" in case:  # NAdam's product of momenta, a number beside t
            assert state["mu_product"] == case["mu_product"][t], f"{name}: mu_product at step {t + 1}"
        for key in stored:
            err = relative_error(state[key], case[f"state/{key}"][t])
            assert err <= tol, f"{name}: {key} at step {t + 1}: relative error {err:.3g}"


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if _config(CASES[n])["kind"] in optim.ADAM_FAMILY])
def test_bias_corrected_moments(name):
    case = CASES[name]
    cfg = _config(case)
    kind = cfg["kind"]
    hp = optim.hyperparameters(kind, cfg["lr"], **cfg["hyper"])
    theta = case["theta0"]
    state = optim.init_state(kind, theta)
    derived = optim.derived_state(kind, state, hp)
    assert set(derived) == {"V_hat", "S_hat"} and not np.any(derived["V_hat"])
    for t in range(1, 6):
        theta, state = optim.update(kind, theta, case["grads"][t - 1], state, hp)
        bc1, bc2 = optim.bias_corrections(kind, state, hp)
        assert bc1 == 1 - hp["beta1"] ** t and bc2 == 1 - hp["beta2"] ** t
        derived = optim.derived_state(kind, state, hp)
        second = case["state/S_max" if kind == "amsgrad" else "state/S"][t - 1]
        tol = TOLERANCE[cfg["dtype"]]
        assert relative_error(derived["V_hat"], case["state/V"][t - 1] / bc1) <= tol
        assert relative_error(derived["S_hat"], second / bc2) <= tol
        assert derived["V_hat"].dtype == theta.dtype


@pytest.mark.parametrize("kind", sorted(set(optim.OPTIMIZERS) - optim.ADAM_FAMILY))
def test_no_bias_correction_outside_adam_family(kind):
    hp = optim.hyperparameters(kind)
    state = optim.init_state(kind, np.zeros(3), hp)
    assert optim.bias_corrections(kind, state, hp) is None
    assert optim.derived_state(kind, state, hp) == {}


def _random_problem(dtype, n=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=n).astype(dtype), rng.normal(size=(12, n)).astype(dtype)


def _hyper(kind):
    """Non-default hyperparameters that switch every branch on (weight decay, momentum)."""
    extra = {"weight_decay": 0.01}
    if kind == "rmsprop":
        extra["momentum"] = 0.5
    return optim.hyperparameters(kind, 0.01, **extra)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", optim.OPTIMIZERS)
def test_updates_are_pure(kind, dtype):
    theta, grads = _random_problem(dtype)
    hp = _hyper(kind)
    state = optim.init_state(kind, theta, hp)
    for g in grads:
        before = (theta.copy(), g.copy(), {k: np.copy(v) for k, v in state.items()})
        new_theta, new_state = optim.update(kind, theta, g, state, hp)
        np.testing.assert_array_equal(theta, before[0])
        np.testing.assert_array_equal(g, before[1])
        assert state.keys() == before[2].keys()
        for key, value in state.items():
            np.testing.assert_array_equal(value, before[2][key])
        inputs = [theta, g, *(v for v in state.values() if isinstance(v, np.ndarray))]
        outputs = [new_theta, *(v for v in new_state.values() if isinstance(v, np.ndarray))]
        for out in outputs:
            assert not any(np.shares_memory(out, x) for x in inputs)
        for i, a in enumerate(outputs):
            assert not any(np.shares_memory(a, b) for b in outputs[i + 1:])
        assert new_state is not state
        theta, state = new_theta, new_state


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", optim.OPTIMIZERS)
def test_state_shapes_and_dtypes_are_stable(kind, dtype):
    theta, grads = _random_problem(dtype, n=7)
    hp = _hyper(kind)
    names = optim.state_names(kind, hp)
    state = optim.init_state(kind, theta, hp)
    stored = {k for k, v in state.items() if isinstance(v, np.ndarray)}
    assert stored == {n for n in names if not n.endswith("_hat")}
    for t, g in enumerate(grads, start=1):
        theta, state = optim.update(kind, theta, g, state, hp)
        assert state["t"] == t
        assert theta.shape == (7,) and theta.dtype == np.dtype(dtype)
        assert {k for k, v in state.items() if isinstance(v, np.ndarray)} == stored
        shown = {k: v for k, v in {**state, **optim.derived_state(kind, state, hp)}.items()
                 if isinstance(v, np.ndarray)}
        assert set(shown) == set(names)
        for name in names:
            assert shown[name].shape == (7,) and shown[name].dtype == np.dtype(dtype), name


def test_state_names_display_order():
    assert optim.STATE_NAMES["adam"] == ("V", "S", "V_hat", "S_hat")
    assert optim.STATE_NAMES["amsgrad"] == ("V", "S", "S_max", "V_hat", "S_hat")
    assert optim.state_names("rmsprop", optim.hyperparameters("rmsprop")) == ("S",)
    assert optim.state_names("rmsprop", optim.hyperparameters("rmsprop", momentum=0.9)) == ("S", "V")
    assert set(optim.STATE_NAMES) == set(optim.OPTIMIZERS) == set(optim.DEFAULTS)


def test_rmsprop_momentum_without_hp_in_init_state():
    theta, grads = _random_problem("float64")
    hp = optim.hyperparameters("rmsprop", 0.01, momentum=0.5)
    a_theta, a_state = theta, optim.init_state("rmsprop", theta, hp)
    b_theta, b_state = theta, optim.init_state("rmsprop", theta)
    for g in grads:
        a_theta, a_state = optim.rmsprop_update(a_theta, g, a_state, hp)
        b_theta, b_state = optim.rmsprop_update(b_theta, g, b_state, hp)
    np.testing.assert_array_equal(a_theta, b_theta)
    np.testing.assert_array_equal(a_state["V"], b_state["V"])


def test_hyperparameters_fill_defaults():
    hp = optim.hyperparameters("adam", 0.01, beta1=0.8)
    assert dict(hp) == {"lr": 0.01, "beta1": 0.8, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}
    assert optim.hyperparameters("adamw")["weight_decay"] == 0.01
    assert optim.hyperparameters("sgd", None)["lr"] == optim.DEFAULTS["sgd"]["lr"]
    assert optim.hyperparameters("rmsprop", rho=None)["rho"] == 0.99
    assert all(type(v) is float for v in optim.hyperparameters("sgd", 1).values())
    with pytest.raises(TypeError):
        optim.hyperparameters("adam")["lr"] = 1.0


def test_hyperparameters_reject_unknown_key():
    with pytest.raises(ValueError, match=r"unknown hyperparameter 'beta1' for sgd \(expected one of lr, weight_decay\)"):
        optim.hyperparameters("sgd", 0.1, beta1=0.9)
    with pytest.raises(ValueError, match="rho.*eps.*momentum.*weight_decay"):
        optim.hyperparameters("rmsprop", alpha=0.9)


def test_hyperparameters_reject_unknown_kind():
    with pytest.raises(ValueError, match="unknown optimizer 'adamx'.*sgd, momentum, nesterov"):
        optim.hyperparameters("adamx")
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.update("adamx", np.zeros(2), np.zeros(2), {"t": 0}, {})
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.init_state("adamx", np.zeros(2))


@pytest.mark.parametrize("kind, key, value, message", [
    ("adam", "lr", -0.1, r"lr of adam must lie in \[0, inf\]"),
    ("adam", "beta1", 1.0, r"beta1 of adam must lie in \[0, 1\)"),
    ("adam", "beta2", -0.5, r"beta2 of adam must lie in \[0, 1\)"),
    ("sgd", "weight_decay", -1e-3, "weight_decay of sgd must lie in"),
    ("rmsprop", "eps", float("nan"), "eps of rmsprop must be a finite number"),
    ("momentum", "momentum", float("inf"), "momentum of momentum must be a finite number"),
    ("adam", "eps", "1e-8", "eps of adam must be a finite number"),
    ("sgd", "lr", True, "lr of sgd must be a finite number"),
    ("nesterov", "momentum", 0.0, "nesterov needs momentum > 0"),
])
def test_hyperparameters_reject_bad_values(kind, key, value, message):
    with pytest.raises(ValueError, match=message):
        optim.hyperparameters(kind, **{key: value})


def test_optimizer_class_matches_functions():
    theta, grads = _random_problem("float64")
    opt = optim.Optimizer("adamw", lr=0.02, beta2=0.99)
    hp = optim.hyperparameters("adamw", 0.02, beta2=0.99)
    assert opt.hp == hp and opt.lr == 0.02 and opt.state_names == optim.STATE_NAMES["adamw"]
    a_theta, a_state = theta, opt.init(theta)
    b_theta, b_state = theta, optim.init_state("adamw", theta)
    for g in grads:
        a_theta, a_state = opt.update(a_theta, g, a_state)
        b_theta, b_state = optim.adamw_update(b_theta, g, b_state, hp)
    np.testing.assert_array_equal(a_theta, b_theta)
    assert opt.bias_corrections(a_state) == optim.bias_corrections("adamw", b_state, hp)
    np.testing.assert_array_equal(opt.derived(a_state)["S_hat"],
                                  optim.derived_state("adamw", b_state, hp)["S_hat"])


def test_optimizer_with_lr_returns_a_new_optimizer():
    opt = optim.Optimizer("momentum", lr=0.1, momentum=0.5)
    faster = opt.with_lr(0.3)
    assert faster is not opt and faster.lr == 0.3 and faster.hp["momentum"] == 0.5
    assert opt.lr == 0.1
    assert faster == optim.Optimizer("momentum", 0.3, momentum=0.5)
    with pytest.raises(ValueError):
        optim.Optimizer("momentum", lr=0.1, rho=0.9)
