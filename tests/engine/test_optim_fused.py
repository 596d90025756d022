"""The fused updates the training loop steps with: the formulas by hand, and bit for bit the pure updates.

:class:`gradstep.engine.optim.FusedUpdate` must compute exactly what the registry's pure updates
compute (which ``test_optim.py`` checks against PyTorch): the same NumPy operations in the same
order, only with scratch arrays and 0-d hyperparameters. Records are compared with
``np.array_equal``: every step of a replayed history must equal the straight run's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradstep.engine import optim

# Every optimizer, and settings that take each branch of its formulas (L2 decay, AdamW's decay,
# RMSprop's momentum, Adagrad's lr decay, lerp's second formula when 1 - beta1 >= 0.5).
SETTINGS = [
    ("sgd", {}), ("sgd", {"weight_decay": 0.1}),
    ("momentum", {}), ("momentum", {"weight_decay": 0.1}),
    ("nesterov", {}), ("nesterov", {"weight_decay": 0.1}),
    ("rmsprop", {}), ("rmsprop", {"momentum": 0.5, "weight_decay": 0.1}),
    ("adagrad", {}), ("adagrad", {"lr_decay": 0.1, "weight_decay": 0.1}),
    ("adam", {}), ("adam", {"weight_decay": 0.1}), ("adam", {"beta1": 0.3}),
    ("adamw", {}), ("adamw", {"weight_decay": 0.0}),
    ("amsgrad", {}), ("amsgrad", {"weight_decay": 0.1}),
    # issue 18's: L2 and decoupled decay, lerp's second formula, RAdam never rectified (β2 = 0.5)
    ("adadelta", {}), ("adadelta", {"rho": 0.5, "weight_decay": 0.1}),
    ("adamax", {}), ("adamax", {"beta1": 0.3, "weight_decay": 0.1}),
    ("nadam", {}), ("nadam", {"weight_decay": 0.1}), ("nadam", {"beta1": 0.4}),
    ("nadam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam", {}), ("radam", {"beta2": 0.5, "weight_decay": 0.1}),
    ("radam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
]


def test_every_optimizer_has_kernels():
    assert optim.FUSED_KINDS == set(optim.OPTIMIZERS)
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.stepper("adamx")


@pytest.mark.parametrize("kind", ["adadelta", "nadam", "radam"])
def test_step_checks_the_second_moments(kind):
    """A second moment that overflows (g² of a huge g) fails the step's finite check, so the
    session calls it a divergence (Adamax's U is |g| + ε: it overflows only with g itself)."""
    hp = optim.hyperparameters(kind, 1e-3)
    theta = np.ones(3)
    state = optim.init_state(kind, theta, hp)
    _theta, _state, finite = optim.FusedUpdate(kind).step(theta, np.array([1.0, 2.0, 3.0]), state, hp)
    assert finite is True
    with np.errstate(all="ignore"):
        _theta, _state, finite = optim.FusedUpdate(kind).step(theta, np.array([1e200, 2.0, 3.0]), state, hp)
    assert finite is False


def test_adam_two_steps_by_hand():
    """Two Adam steps on two parameters, PyTorch's formulas written out on Python floats."""
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    theta0 = [1.0, -2.0]
    grads = ([0.5, -3.0], [-0.25, 4.0])
    hp = optim.hyperparameters("adam", lr)
    update = optim.FusedUpdate("adam")
    theta = np.array(theta0)
    state = optim.init_state("adam", theta, hp)
    want_theta, V, S = list(theta0), [0.0, 0.0], [0.0, 0.0]
    for t, g in enumerate(grads, start=1):
        theta, state = update(theta, np.array(g), state, hp)
        for i in range(2):
            V[i] = V[i] + (g[i] - V[i]) * (1 - b1)          # exp_avg.lerp_(grad, 1 - beta1)
            S[i] = S[i] * b2 + g[i] * (1 - b2) * g[i]       # mul_(beta2).addcmul_(g, g, 1 - beta2)
            denom = math.sqrt(S[i]) / math.sqrt(1 - b2 ** t) + eps
            want_theta[i] = want_theta[i] - V[i] / denom * (lr / (1 - b1 ** t))
        assert state["t"] == t
        assert state["V"].tolist() == V
        assert state["S"].tolist() == S
        assert theta.tolist() == want_theta


def test_momentum_two_steps_by_hand():
    """V_1 = g_1, V_2 = m V_1 + g_2; theta moves by -lr V each step."""
    hp = optim.hyperparameters("momentum", 0.5)
    update = optim.FusedUpdate("momentum")
    theta = np.array([2.0])
    state = optim.init_state("momentum", theta, hp)
    theta, state = update(theta, np.array([1.0]), state, hp)
    assert state["V"].tolist() == [1.0] and theta.tolist() == [1.5]
    theta, state = update(theta, np.array([3.0]), state, hp)
    assert state["V"].tolist() == [0.9 * 1.0 + 3.0] and theta.tolist() == [1.5 - 0.5 * (0.9 + 3.0)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind, hyper", SETTINGS, ids=[f"{k}-{'-'.join(h) or 'default'}" for k, h in SETTINGS])
def test_equals_the_pure_update_bit_for_bit(kind, hyper, dtype):
    rng = np.random.default_rng(7)
    hp = optim.hyperparameters(kind, 0.05, **hyper)
    fused = optim.FusedUpdate(kind)
    theta = rng.standard_normal(37).astype(dtype)
    state = optim.init_state(kind, theta, hp)
    pure_theta, pure_state = theta, state
    for _step in range(6):
        grad = (rng.standard_normal(37) * 10.0 ** rng.integers(-3, 3)).astype(dtype)
        theta, state = fused(theta, grad, state, hp)
        pure_theta, pure_state = optim.update(kind, pure_theta, grad, pure_state, hp)
        assert theta.dtype == pure_theta.dtype and np.array_equal(theta, pure_theta)
        assert state.keys() == pure_state.keys() and state["t"] == pure_state["t"]
        for name, value in pure_state.items():
            if not isinstance(value, np.ndarray):  # t, NAdam's mu_product
                assert state[name] == value, name
            else:
                assert state[name].dtype == value.dtype and np.array_equal(state[name], value), name


@pytest.mark.parametrize("kind, hyper", SETTINGS, ids=[f"{k}-{'-'.join(h) or 'default'}" for k, h in SETTINGS])
def test_never_writes_into_inputs_nor_into_what_it_handed_out(kind, hyper):
    """Records keep the arrays an update returns: a later step must not write into them."""
    rng = np.random.default_rng(3)
    hp = optim.hyperparameters(kind, 0.05, **hyper)
    fused = optim.FusedUpdate(kind)
    theta = rng.standard_normal(5)
    state = optim.init_state(kind, theta, hp)
    kept = []
    for _step in range(4):
        grad = rng.standard_normal(5)
        for array in (theta, grad, *(v for v in state.values() if isinstance(v, np.ndarray))):
            array.flags.writeable = False  # writing into an input raises
        theta, state = fused(theta, grad, state, hp)
        arrays = [theta, *(v for v in state.values() if isinstance(v, np.ndarray))]
        kept.append([(a, a.copy()) for a in arrays])
    for step in kept:
        for array, copy in step:
            assert np.array_equal(array, copy)


def test_follows_new_hyperparameters_and_sizes():
    """A changed learning rate (a new ``hp``) or a parameter vector of another size or dtype
    takes effect at once."""
    fused = optim.FusedUpdate("sgd")
    state = {"t": 0}
    one = optim.hyperparameters("sgd", 1.0)
    half = optim.hyperparameters("sgd", 0.5)
    assert fused(np.array([1.0]), np.array([1.0]), state, one)[0].tolist() == [0.0]
    assert fused(np.array([1.0]), np.array([1.0]), state, half)[0].tolist() == [0.5]
    out = fused(np.array([1.0, 2.0], np.float32), np.array([1.0, 1.0], np.float32), state, half)[0]
    assert out.dtype == np.float32 and out.tolist() == [0.5, 1.5]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind, hyper", SETTINGS, ids=[f"{k}-{'-'.join(h) or 'default'}" for k, h in SETTINGS])
def test_a_new_set_of_hyperparameters_each_step_equals_the_pure_update(kind, hyper, dtype):
    """A schedule hands the update a new mapping every step, its α changing, sometimes back to
    an earlier value, and β1 or the momentum moving (one-cycle): each step computes with the
    values it is given, bit for bit the pure update's, however the constants are kept."""
    rng = np.random.default_rng(11)
    fused = optim.FusedUpdate(kind)
    theta = rng.standard_normal(19).astype(dtype)
    first = optim.hyperparameters(kind, 0.05, **hyper)
    state = optim.init_state(kind, theta, first)
    pure_theta, pure_state = theta, state
    cycled = "beta1" if "beta1" in first else "momentum" if "momentum" in first else None
    for step, lr in enumerate([0.05, 0.02, 0.05, 0.3, 0.3, 0.01, 0.05]):
        changes = dict(hyper)
        if cycled is not None and (cycled != "momentum" or first["momentum"] > 0):
            changes[cycled] = (0.85, 0.95, 0.3, 0.85)[step % 4] if cycled == "beta1" else (0.5, 0.9)[step % 2]
        hp = optim.hyperparameters(kind, lr, **changes)
        grad = (rng.standard_normal(19) * 10.0 ** rng.integers(-2, 2)).astype(dtype)
        theta, state = fused(theta, grad, state, hp)
        pure_theta, pure_state = optim.update(kind, pure_theta, grad, pure_state, hp)
        assert np.array_equal(theta, pure_theta), (step, lr)
        for name, value in pure_state.items():
            if name != "t":
                assert np.array_equal(state[name], value), (step, name)

