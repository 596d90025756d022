"""The misconception lab's variants, against two steps worked out by hand.

f(a) = a**2 from a = 1 (so df/da = 2a), Adam with lr 0.1, beta1 0.9, beta2 0.999, eps 1e-8.
Each expected value below is the arithmetic a learner would do on paper, written out.
"""

import math

import numpy as np
import pytest

from gradstep.engine.analysis.misconceptions import Lab
from gradstep.engine.scenario import loads_scenario

B1, B2, EPS, LR = 0.9, 0.999, 1e-8, 0.1


def scenario(kind="adam", expression="a**2", params="a = 1.0"):
    return loads_scenario(f'name = "lab"\n[objective]\nexpression = "{expression}"\nparams = {{ {params} }}\n'
                          f'[optimizer]\nkind = "{kind}"\nlr = {LR}\n')


def a_of(run):
    return float(np.asarray(run.theta).ravel()[0])


def two_steps():
    lab = Lab(scenario())
    lab.step()
    first = {name: a_of(v) for name, v in lab.variants.items()} | {"correct": a_of(lab.correct)}
    lab.step()
    second = {name: a_of(v) for name, v in lab.variants.items()} | {"correct": a_of(lab.correct)}
    return lab, first, second


def test_correct_adam_by_hand():
    _, first, second = two_steps()
    g1 = 2 * 1.0
    V1, S1 = (1 - B1) * g1, (1 - B2) * g1 ** 2
    a1 = 1.0 - LR * (V1 / (1 - B1)) / (math.sqrt(S1 / (1 - B2)) + EPS)
    g2 = 2 * a1
    V2, S2 = B1 * V1 + (1 - B1) * g2, B2 * S1 + (1 - B2) * g2 ** 2
    a2 = a1 - LR * (V2 / (1 - B1 ** 2)) / (math.sqrt(S2 / (1 - B2 ** 2)) + EPS)
    assert first["correct"] == pytest.approx(a1, rel=1e-14)
    assert second["correct"] == pytest.approx(a2, rel=1e-14)


def test_the_tutorials_formulas_by_hand():
    # V = (b1 S + (1 - b1) g) / (1 - b1^t), S = (b2 S + (1 - b2) g^2) / (1 - b2^t): V from the
    # previous S, and these corrected values carried to the next step.
    lab, first, second = two_steps()
    g1 = 2 * 1.0
    V1 = (B1 * 0.0 + (1 - B1) * g1) / (1 - B1)        # = 2: the same as Adam's V_hat at step 1
    S1 = (B2 * 0.0 + (1 - B2) * g1 ** 2) / (1 - B2)   # = 4
    a1 = 1.0 - LR * V1 / (math.sqrt(S1) + EPS)
    g2 = 2 * a1
    V2 = (B1 * S1 + (1 - B1) * g2) / (1 - B1 ** 2)    # from S1 = 4, not from V1: about 19.9
    S2 = (B2 * S1 + (1 - B2) * g2 ** 2) / (1 - B2 ** 2)
    a2 = a1 - LR * V2 / (math.sqrt(S2) + EPS)
    assert first["tutorial"] == pytest.approx(a1, rel=1e-14)
    assert second["tutorial"] == pytest.approx(a2, rel=1e-14)
    # Step 1 agrees with Adam (S starts at 0); the mistake shows from step 2.
    assert first["tutorial"] == pytest.approx(first["correct"], rel=1e-14)
    assert lab.variants["tutorial"].departed_at == 2
    assert V2 > 10 and abs(second["tutorial"] - second["correct"]) > 0.01


def test_adam_without_bias_correction_by_hand():
    lab, first, second = two_steps()
    g1 = 2 * 1.0
    V1, S1 = (1 - B1) * g1, (1 - B2) * g1 ** 2        # 0.2 and 0.004, used as they are
    a1 = 1.0 - LR * V1 / (math.sqrt(S1) + EPS)         # a step of 0.1 * 0.2 / 0.0632 = 0.316
    g2 = 2 * a1
    V2, S2 = B1 * V1 + (1 - B1) * g2, B2 * S1 + (1 - B2) * g2 ** 2
    a2 = a1 - LR * V2 / (math.sqrt(S2) + EPS)
    assert first["no_bias_correction"] == pytest.approx(a1, rel=1e-14)
    assert second["no_bias_correction"] == pytest.approx(a2, rel=1e-14)
    assert lab.variants["no_bias_correction"].departed_at == 1
    assert (1 - first["no_bias_correction"]) / (1 - first["correct"]) == pytest.approx(
        (1 - B1) / math.sqrt(1 - B2), rel=1e-6)        # the first step 3.16 times as long


def test_a_forgotten_zero_grad_by_hand():
    # loss.backward() without optimizer.zero_grad(): the gradient fed to Adam at step 2 is
    # g1 + g2, the sum of both steps' gradients.
    lab, first, second = two_steps()
    g1 = 2 * 1.0
    V1, S1 = (1 - B1) * g1, (1 - B2) * g1 ** 2
    a1 = 1.0 - LR * (V1 / (1 - B1)) / (math.sqrt(S1 / (1 - B2)) + EPS)
    G2 = g1 + 2 * a1
    V2, S2 = B1 * V1 + (1 - B1) * G2, B2 * S1 + (1 - B2) * G2 ** 2
    a2 = a1 - LR * (V2 / (1 - B1 ** 2)) / (math.sqrt(S2 / (1 - B2 ** 2)) + EPS)
    assert first["no_zero_grad"] == pytest.approx(a1, rel=1e-14)
    assert second["no_zero_grad"] == pytest.approx(a2, rel=1e-14)
    assert lab.variants["no_zero_grad"].departed_at == 2


def test_the_correct_run_is_the_engines_own_run_bit_for_bit():
    from gradstep.engine.training.session import Session

    lab = Lab(scenario(expression="(a - 1)**2 + 10*(b + 2)**2 + c**2", params="a = 0.0, b = 0.0, c = 1.0"))
    alone = Session(lab.correct.scenario)
    for _ in range(30):
        lab.step()
        alone.step()
    assert np.array_equal(lab.correct.theta, alone.theta)
    assert all(len(v.losses) == 30 for v in lab.variants.values())


def test_losses_are_taken_before_each_update():
    lab = Lab(scenario())
    lab.step()
    assert lab.variants["tutorial"].losses == [1.0]      # f(1) = 1, before the first update


def test_only_the_adam_family_enters_the_lab():
    with pytest.raises(ValueError):
        Lab(scenario(kind="sgd"))


def test_each_run_leaves_a_path_through_the_two_traced_entries():
    # f(a, b) = a**2 + b**2 from (1, 1): two entries, traced in order. Hand-worked steps above
    # give a; by symmetry b is the same for every run.
    lab = Lab(scenario(expression="a**2 + b**2", params="a = 1.0, b = 1.0"))
    assert lab.traced == (("a", ()), ("b", ()))
    lab.step()
    lab.step()
    paths = lab.paths()
    assert set(paths) == {"correct", "tutorial", "no_bias_correction", "no_zero_grad"}
    g1 = 2 * 1.0
    V1, S1 = (1 - B1) * g1, (1 - B2) * g1 ** 2
    a1 = 1.0 - LR * (V1 / (1 - B1)) / (math.sqrt(S1 / (1 - B2)) + EPS)
    correct = paths["correct"]
    assert correct.shape == (3, 2) and tuple(correct[0]) == (1.0, 1.0)
    assert correct[1] == pytest.approx([a1, a1], rel=1e-14)
    for name, variant in lab.variants.items():  # each path ends where its run stands
        assert tuple(paths[name][-1]) == tuple(float(x) for x in variant.theta)


def test_a_single_entry_has_no_path():
    lab = Lab(scenario())
    lab.step()
    assert lab.traced is None and lab.paths() == {}
