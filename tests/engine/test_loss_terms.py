"""L1 and L2 terms of the loss, and accuracy: worked by hand, through the graph, in the trace.

PyTorch's numbers for the terms are checked in ``tests/reference/test_penalties_against_pytorch.py``.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import loads_scenario
from gradstep.engine.training.session import Session

LINE = '''name = "t"
[model]
expression = "w*x"
params = { w = 2.0 }
[data]
x = [1.0, 2.0]
y = [1.0, 1.0]
[loss]
kind = "mse"
l1 = 0.1
l2 = 0.01
[optimizer]
kind = "sgd"
lr = 0.1
'''


def test_l1_and_l2_are_terms_of_the_loss_worked_by_hand():
    record = Session(loads_scenario(LINE)).step()
    # data: mean((2·1 - 1)², (2·2 - 1)²) = (1 + 9) / 2 = 5; l1 · |w| = 0.2; l2 · w² = 0.04
    assert record.loss == pytest.approx(5.24, rel=1e-15)
    assert dict(record.metrics) == pytest.approx({"l1": 0.2, "l2": 0.04}, rel=1e-15)
    # d/dw: mean(2 (w x - y) x) = (2·1·1 + 2·3·2) / 2 = 7; + 0.1 sign(w) + 2 · 0.01 · w = 7.14
    assert float(record.grads["w"]) == pytest.approx(7.14, rel=1e-15)
    assert float(record.params["w"]) == pytest.approx(2 - 0.1 * 7.14, rel=1e-15)


def test_terms_are_not_weight_decay():
    # weight decay is the optimizer's: it leaves the loss and the gradient as they were
    decayed = Session(loads_scenario(LINE.replace("l1 = 0.1\nl2 = 0.01\n", "").replace(
        'lr = 0.1\n', 'lr = 0.1\nweight_decay = 0.02\n'))).step()
    assert decayed.loss == 5.0 and float(decayed.grads["w"]) == 7.0 and decayed.metrics is None
    # for SGD, l2 = λ/2 takes the same step as weight_decay = λ
    halved = Session(loads_scenario(LINE.replace("l1 = 0.1\nl2 = 0.01\n", "l2 = 0.01\n"))).step()
    assert float(halved.params["w"]) == pytest.approx(float(decayed.params["w"]), rel=1e-15)


NETWORK = '''name = "net"
seed = 3
[model]
inputs = 2
layers = [{ units = 5, activation = "tanh" }, { units = 3 }]
[data]
generator = "spiral"
n = 60
validation = 0.25
[loss]
kind = "cross_entropy"
l1 = 0.001
l2 = 0.002
[optimizer]
kind = "adam"
lr = 0.01
'''


def test_the_fast_network_program_and_the_graph_agree_on_the_terms():
    session = Session(loads_scenario(NETWORK))
    session.run(3)
    theta, batch = session.step_inputs(4)  # what step 4 learns from
    record = session.step()
    loss, grad = session.gradient_at(theta, batch)  # through the graph, the chain rule's
    assert loss == pytest.approx(record.loss, rel=1e-13)
    assert np.allclose(grad, record.grad, rtol=1e-12, atol=1e-15)
    assert record.val_loss > record.metrics["l1"] + record.metrics["l2"], "validation includes the terms"


def test_accuracy_of_a_network_worked_by_hand():
    text = '''name = "acc"
[model]
inputs = 1
layers = [{ units = 2 }]
weights = [{ W = [[1.0, -1.0]], b = [0.0, 0.0] }]
[data]
x = [1.0, -1.0, 2.0, -3.0]
y = [0, 1, 1, 1]
[loss]
kind = "cross_entropy"
[optimizer]
kind = "sgd"
lr = 1e-9
'''
    record = Session(loads_scenario(text)).step()
    # logits (x, -x): class 0 for x > 0, class 1 for x < 0: predicted 0, 1, 0, 1 against 0, 1, 1, 1
    assert dict(record.metrics) == {"accuracy": 0.75}


def test_binary_accuracy_and_validation_accuracy_of_a_parametric_model():
    text = '''name = "bce"
[model]
expression = "w*x + b"
params = { w = 1.0, b = 0.0 }
[data]
x = [-2.0, -1.0, 1.0, 2.0, -4.0, 3.0, 5.0, -6.0]
y = [0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0]
validation = 0.5
[loss]
kind = "bce_logits"
[optimizer]
kind = "sgd"
lr = 1e-9
'''
    scenario = loads_scenario(text)
    record = Session(scenario).step()
    d = scenario.data

    def right(x, y):  # logit x > 0 says 1
        return float(np.mean((np.ravel(x) > 0) == (np.ravel(y) > 0.5)))
    assert record.metrics["accuracy"] == right(d.x, d.y)
    assert record.metrics["val_accuracy"] == right(d.x_val, d.y_val)


def test_the_trace_has_the_terms_and_accuracy_as_columns():
    session = Session(loads_scenario(NETWORK))
    records = [session.step() for _t in range(3)]
    out = io.StringIO()
    session.export(out, "jsonl", full=False)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    for row, record in zip(rows, records):
        assert {k: row[k] for k in ("l1", "l2", "accuracy", "val_accuracy")} == dict(record.metrics)
    out = io.StringIO()
    session.export(out, "csv", full=False)
    header, *lines = out.getvalue().splitlines()
    assert header.split(",")[-4:] == ["l1", "l2", "accuracy", "val_accuracy"]
    assert [float(v) for v in lines[2].split(",")[-4:]] == list(records[2].metrics.values())


def test_the_chart_history_of_metrics_follows_a_branch():
    session = Session(loads_scenario(NETWORK))
    first = [session.step().metrics["l2"] for _t in range(6)]
    session.goto(3)
    session.set_lr(0.1)
    branch = [session.step().metrics["l2"] for _t in range(2)]
    steps, values = session.metrics.envelope("l2", 100, stop=session.furthest)
    assert list(steps) == [1, 2, 3, 4, 5] and list(values) == first[:3] + branch


@pytest.mark.parametrize("key, value, message", [
    ("l1", "-0.1", "loss.l1: out of range"),
    ("l2", '"a lot"', "loss.l2: expected a number"),
])
def test_bad_terms(key, value, message):
    with pytest.raises(ScenarioError, match=message):
        loads_scenario(LINE.replace(f"{key} = ", f"{key} = {value}\n# ").replace("# 0.", "# "))


def test_a_network_s_accuracy_is_its_step_s_batch_and_the_validation_split_classified():
    from gradstep.engine.scenario import resolve_scenario, load_scenario

    session = Session(load_scenario(resolve_scenario("moons")))  # minibatches of 32, a validation split
    d = session.scenario.data
    for t in range(1, 8):
        theta, (inputs, targets) = session.step_inputs(t)
        record = session.step()
        batch_logits = session.predict(inputs.data, theta)
        val_logits = session.predict(d.x_val, theta)
        assert session.scenario.loss == "cross_entropy"  # the class of the largest logit
        assert record.metrics["accuracy"] == np.mean(np.argmax(batch_logits, axis=1) == targets)
        assert record.metrics["val_accuracy"] == np.mean(np.argmax(val_logits, axis=1) == d.y_val)
