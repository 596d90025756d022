"""The data behind the graph view and the neurons view (issue 17): the loss's graph of a step
with each node's value and gradient, and each hidden unit's output at rows of inputs, checked
against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradstep.engine import Session, load_scenario, resolve_scenario
from gradstep.engine.analysis.loss_graph import loss_graph
from gradstep.engine.analysis.neurons import hidden_units


def params(session, theta):
    layout = session.layout
    return {name: theta[layout.slices[k]].reshape(layout.shapes[k]) for k, name in enumerate(layout.names)}


def test_the_chain_rule_graph_holds_the_tutorials_numbers():
    session = Session(load_scenario(resolve_scenario("chain-rule")))
    graph = loss_graph(session)              # step 1's graph: a, b, c, d = 0.5, -0.5, 0.3, -0.2
    by_label = {node.label: node for node in graph.nodes}
    h1, h2 = math.tanh(0.5 * 0.5 - 0.5), math.tanh(0.3 * -1 - 0.2)
    e = h1 + h2 - 1
    assert by_label["tanh(a*x1 + b)"].value == pytest.approx(h1, rel=1e-14)
    assert graph.loss.value == pytest.approx(e ** 2, rel=1e-14) and graph.loss.grad == 1.0
    assert by_label["a"].grad == pytest.approx(2 * e * (1 - h1 ** 2) * 0.5, rel=1e-14)
    assert by_label["d"].grad == pytest.approx(2 * e * (1 - h2 ** 2), rel=1e-14)
    assert by_label["x1"].kind == "const" and by_label["x1"].grad is None
    record = session.step()
    assert {n: by_label[n].grad for n in "abcd"} == {n: float(record.grads[n]) for n in "abcd"}
    a = graph.node_of("a").key
    assert {graph.nodes[k].label for k in graph.chain_path(a)} == {
        "a", "a*x1", "a*x1 + b", "tanh(a*x1 + b)", "tanh(a*x1 + b) + tanh(c*x2 + d)",
        "tanh(a*x1 + b) + tanh(c*x2 + d) - y", "(tanh(a*x1 + b) + tanh(c*x2 + d) - y)**2"}


def test_hidden_units_are_the_networks_activations_at_the_inputs():
    session = Session(load_scenario(resolve_scenario("moons")))
    for _ in range(5):
        session.step()
    p = params(session, session.theta)
    grid = np.array([[-1.0, 0.5], [0.0, 0.0], [2.0, -0.5]])
    a1 = np.tanh(grid @ p["layer1.W"] + p["layer1.b"])
    a2 = np.tanh(a1 @ p["layer2.W"] + p["layer2.b"])
    layers = hidden_units(session, grid)
    assert [(layer.layer, layer.activation) for layer in layers] == [(1, "tanh"), (2, "tanh")]
    np.testing.assert_allclose(layers[0].values, a1, rtol=1e-12)
    np.testing.assert_allclose(layers[1].values, a2, rtol=1e-12)
    theta0 = session.step_inputs(1)[0]        # at other parameters, handed in
    p0 = params(session, theta0)
    first = hidden_units(session, grid, theta=theta0)[0].values
    np.testing.assert_allclose(first, np.tanh(grid @ p0["layer1.W"] + p0["layer1.b"]), rtol=1e-12)


def test_an_objective_has_no_hidden_units():
    with pytest.raises(ValueError):
        hidden_units(Session(load_scenario(resolve_scenario("adam-fabc"))), np.zeros((1, 1)))
