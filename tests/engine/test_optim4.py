"""Issue 18's optimizers (Adadelta, Adamax, NAdam, RAdam) beyond their PyTorch fixtures: their
scenario keys, a history travelled back and forth bit for bit, a race, a switch in mid-run, a
one-cycle schedule, and the numbers the dashboard shows beside the state.

The update rules themselves are held to PyTorch by ``test_optim.py`` and
``tests/reference/test_against_pytorch.py`` (fixtures written by ``make_fixtures.py``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from gradstep.engine import optim
from gradstep.engine.analysis.race import Race
from gradstep.engine.errors import ScenarioError
from gradstep.engine.optim.adam_variants import radam_rectification
from gradstep.engine.scenario import OptimizerSpec, loads_scenario
from gradstep.engine.training.session import Session
from tests.engine.test_history import assert_same, net_scenario

NEW = ("adadelta", "adamax", "nadam", "radam")
# Few records kept, keyframes far apart: most gotos replay.
FAR = dict(window_bytes=1, max_interval=40, keyframe_seconds=1e9)

OBJ = '''name = "t"
[objective]
expression = "(a - 1)**2 + 10*(b + 2)**2"
params = { a = 0.0, b = 0.0 }
'''


def scenario_of(kind, **hyper):
    return replace(net_scenario(), optimizer=OptimizerSpec(kind, 0.05 if kind != "adadelta" else 1.0, hyper))


def same_state(r1, r2):
    """Records equal bit for bit, the state's numbers beside t (NAdam's μ product) too."""
    assert_same(r1, r2)
    scalars = {k: v for k, v in r1.opt_state.items() if not isinstance(v, np.ndarray)}
    assert scalars == {k: v for k, v in r2.opt_state.items() if not isinstance(v, np.ndarray)}


# -- scenario keys ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, lines, expected", [
    ("adadelta", "rho = 0.95\neps = 1e-5\nweight_decay = 0.01", {"rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}),
    ("adamax", "beta1 = 0.8\nbeta2 = 0.99", {"beta1": 0.8, "beta2": 0.99}),
    ("nadam", "momentum_decay = 0.01\ndecoupled_weight_decay = true\nweight_decay = 0.1",
     {"momentum_decay": 0.01, "decoupled_weight_decay": 1.0, "weight_decay": 0.1}),
    ("radam", "decoupled_weight_decay = false\nbeta2 = 0.9", {"decoupled_weight_decay": 0.0, "beta2": 0.9}),
])
def test_scenario_keys(kind, lines, expected):
    sc = loads_scenario(OBJ + f'[optimizer]\nkind = "{kind}"\nlr = 0.01\n{lines}\n')
    assert sc.optimizer.kind == kind and dict(sc.optimizer.hyper) == expected
    session = Session(sc)
    hp = dict(session.hyper)
    assert {k: hp[k] for k in expected} == expected
    # the rest are PyTorch's defaults (test_optim_registry.py holds them to PyTorch's)
    assert {k: v for k, v in hp.items() if k not in expected and k != "lr"} == \
        {k: v for k, v in optim.DEFAULTS[kind].items() if k not in expected and k != "lr"}
    session.run(5)


def test_decoupled_weight_decay_is_a_switch():
    assert optim.hyperparameters("nadam", decoupled_weight_decay=True)["decoupled_weight_decay"] == 1.0
    assert optim.hyperparameters("radam", decoupled_weight_decay=0)["decoupled_weight_decay"] == 0.0
    with pytest.raises(ValueError, match="decoupled_weight_decay of nadam is a switch: true or false"):
        optim.hyperparameters("nadam", decoupled_weight_decay=0.5)
    with pytest.raises(ScenarioError, match=r"^<text>:7: optimizer.decoupled_weight_decay: expected true or false"):
        loads_scenario(OBJ + '[optimizer]\nkind = "radam"\ndecoupled_weight_decay = "yes"\n')


def test_decoupled_weight_decay_changes_the_step():
    """Decoupled (AdamW's way), a step is the step without decay from θ·(1 − α·λ); as L2 the
    decay enters the moments instead, and the runs part."""
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(10, 4))
    for kind in ("nadam", "radam"):
        decoupled = optim.hyperparameters(kind, 0.1, weight_decay=0.5, decoupled_weight_decay=True)
        plain = optim.hyperparameters(kind, 0.1)
        l2 = optim.hyperparameters(kind, 0.1, weight_decay=0.5)
        theta = a = rng.normal(size=4)
        sa, sl = (optim.init_state(kind, theta, hp) for hp in (decoupled, l2))
        for g in grads:
            want, _state = optim.update(kind, a * (1 - 0.1 * 0.5), g, sa, plain)
            a, sa = optim.update(kind, a, g, sa, decoupled)
            np.testing.assert_array_equal(a, want)
            theta, sl = optim.update(kind, theta, g, sl, l2)
        assert np.max(np.abs(theta - a)) > 1e-3


# -- hand calculations of the first step --------------------------------------------------------
def test_first_steps_by_hand():
    """Step 1 of each from zero state, g = 2 at θ = 1, PyTorch's defaults, written out here."""
    theta, grad = np.array([1.0]), np.array([2.0])

    def first(kind):
        hp = optim.hyperparameters(kind)
        new, state = optim.update(kind, theta, grad, optim.init_state(kind, theta, hp), hp)
        return float(new[0]), state, hp

    # Adadelta: S = 0.1·4, δ = √(0 + 1e-6)/√(0.4 + 1e-6)·2, D = 0.1·δ², θ − 1·δ
    new, state, _hp = first("adadelta")
    delta = math.sqrt(1e-6) / math.sqrt(0.4 + 1e-6) * 2
    assert new == pytest.approx(1 - delta, rel=1e-14) and state["D"][0] == pytest.approx(0.1 * delta ** 2, rel=1e-14)
    # Adamax: V = 0.2, U = max(0, 2 + 1e-8), θ − 0.002/(1 − 0.9)·V/U
    new, state, _hp = first("adamax")
    assert state["U"][0] == 2 + 1e-8 and new == pytest.approx(1 - 0.002 / 0.1 * 0.2 / (2 + 1e-8), rel=1e-14)
    # NAdam: μ1 = 0.9·(1 − ½·0.96^0.004), Π1 = μ1, μ2 likewise at 0.008
    new, state, _hp = first("nadam")
    mu1, mu2 = 0.9 * (1 - 0.5 * 0.96 ** 0.004), 0.9 * (1 - 0.5 * 0.96 ** 0.008)
    assert state["mu_product"] == mu1  # float64 parameters: a float64 product
    denom = math.sqrt(0.001 * 4 / 0.001) + 1e-8
    want = 1 - 0.002 * (1 - mu1) / (1 - mu1) * 2 / denom - 0.002 * mu2 / (1 - mu1 * mu2) * 0.2 / denom
    assert new == pytest.approx(want, rel=1e-14)
    # RAdam: ρ1 = ρ∞ − 2·0.999/0.001 = 1 ≤ 5, so θ − α·V̂ = 1 − 0.001·2
    new, _state, hp = first("radam")
    assert optim.step_notes("radam", _state, hp) == [("ρₜ", pytest.approx(1.0, rel=1e-9))]
    assert new == pytest.approx(1 - 0.001 * 2, rel=1e-14)


def test_radam_is_rectified_from_step_6_at_the_defaults():
    """ρₜ = ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ) passes 5 between t = 5 and 6 for β2 = 0.999."""
    hp = optim.hyperparameters("radam")
    rho_inf = 2 / (1 - 0.999) - 1
    for t in range(1, 10):
        rho, rect = radam_rectification(t, hp)
        assert rho == pytest.approx(rho_inf - 2 * t * 0.999 ** t / (1 - 0.999 ** t), rel=1e-12)
        assert (rect is not None) == (t >= 6)


# -- travel, races, switches --------------------------------------------------------------------
@pytest.mark.parametrize("kind", NEW)
def test_goto_back_and_forth_replays_bit_for_bit(kind):
    scenario = scenario_of(kind)
    straight = Session(scenario)
    expected = [straight.step() for _ in range(90)]
    s = Session(scenario, history_options=FAR)
    s.run(90)
    for t in (17, 83, 3, 61, 40, 90, 1, 75):
        record = s.goto(t)
        same_state(record, expected[t - 1])
        np.testing.assert_array_equal(s.theta, expected[t - 1].theta)
    s.goto(50)
    for t in range(51, 91):  # and on from there as the straight run went
        same_state(s.step(), expected[t - 1])


@pytest.mark.parametrize("kind", NEW)
def test_switching_to_a_new_kind_in_mid_run(kind):
    """set_optimizer starts the kind's state afresh: the steps after it are those of a session
    of that kind started from the parameters there."""
    s = Session(scenario_of("adam"))
    s.run(10)
    s.set_optimizer(kind)
    hp = s.hyper
    theta = s.theta.copy()
    state = optim.init_state(kind, theta, hp)
    for _step in range(5):
        record = s.step()
        grad = record.grad
        theta, state = optim.update(kind, theta, grad, state, hp)
        np.testing.assert_array_equal(record.theta, theta)
    assert record.optimizer == kind


def test_a_race_of_the_new_kinds():
    race = Race(net_scenario(), [OptimizerSpec(k, 0.05 if k != "adadelta" else 1.0) for k in NEW])
    race.run(30)
    assert race.t == 30
    for runner, kind in zip(race.runners, NEW):
        alone = Session(scenario_of(kind))
        alone.run(30)
        np.testing.assert_array_equal(runner.session.theta, alone.theta)


def test_one_cycle_cycles_nadams_beta1():
    """One-cycle moves β1 of the Adam relatives (PyTorch cycles their ``betas[0]``)."""
    sc = loads_scenario(OBJ + '[optimizer]\nkind = "nadam"\n[schedule]\nkind = "one_cycle"\n'
                              'max_lr = 0.1\ntotal_steps = 20\n')
    s = Session(sc)
    betas = [s.step().hyper["beta1"] for _ in range(20)]
    assert betas[0] == pytest.approx(0.95) and min(betas) == pytest.approx(0.85, abs=0.02)


# -- what the dashboard shows beside the state ----------------------------------------------------
def test_nadams_mu_product_is_kept_in_the_parameters_dtype():
    """As PyTorch keeps it when its default dtype is the parameters' (the exported scripts')."""
    hp = optim.hyperparameters("nadam")
    for dtype in (np.float32, np.float64):
        theta = np.zeros(2, dtype)
        state = optim.init_state("nadam", theta, hp)
        product = dtype(1.0)
        for t in range(1, 30):
            theta, state = optim.update("nadam", theta, np.ones(2, dtype), state, hp)
            product = product * dtype(0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)))
            assert state["mu_product"] == float(product)


def test_step_notes():
    hp = optim.hyperparameters("nadam")
    theta = np.zeros(2)
    state = optim.init_state("nadam", theta, hp)
    assert state["mu_product"] == 1.0 and optim.step_notes("nadam", state, hp) == []
    product = 1.0
    for t in range(1, 4):
        theta, state = optim.update("nadam", theta, np.ones(2), state, hp)
        mu = 0.9 * (1 - 0.5 * 0.96 ** (t * 0.004))
        product *= mu
        (mu_label, mu_value), (pi_label, pi_value) = optim.step_notes("nadam", state, hp)
        assert (mu_label, pi_label) == ("μₜ", "Πₜ")
        assert mu_value == pytest.approx(mu, rel=1e-15) and pi_value == pytest.approx(product, rel=1e-15)
    hp = optim.hyperparameters("adamax")
    _theta, state = optim.update("adamax", np.zeros(1), np.ones(1), optim.init_state("adamax", np.zeros(1), hp), hp)
    assert optim.step_notes("adamax", state, hp) == [("1−β1ᵗ", pytest.approx(0.1))]
    assert optim.step_notes("adam", state, hp) == []


# -- gradstep export --torch --------------------------------------------------------------------
@pytest.mark.parametrize("kind, lines, cls, keywords", [
    ("adadelta", "lr = 1.0\nrho = 0.95", "Adadelta", {"lr": 1.0, "rho": 0.95, "eps": 1e-6, "weight_decay": 0}),
    ("adamax", "beta1 = 0.8", "Adamax", {"lr": 0.002, "betas": (0.8, 0.999), "eps": 1e-8, "weight_decay": 0}),
    ("nadam", "momentum_decay = 0.01\nweight_decay = 0.1\ndecoupled_weight_decay = true", "NAdam",
     {"lr": 0.002, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1, "momentum_decay": 0.01,
      "decoupled_weight_decay": True}),
    ("radam", "", "RAdam", {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                            "decoupled_weight_decay": False}),
])
def test_the_torch_script_makes_pytorchs_optimizer(kind, lines, cls, keywords):
    """Every hyperparameter under PyTorch's name (tests/reference/README.md); the numbers
    themselves: tests/reference/check_torch_scripts.py with PyTorch, by hand."""
    import ast

    from gradstep.engine.training.torch_script import torch_script

    text = torch_script(loads_scenario(OBJ + f'[optimizer]\nkind = "{kind}"\n{lines}\n'))
    found = [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Call)
             and ast.unparse(node.func).startswith("torch.optim.")]
    assert len(found) == 1 and ast.unparse(found[0].func) == f"torch.optim.{cls}"
    assert {k.arg: ast.literal_eval(k.value) for k in found[0].keywords} == keywords
