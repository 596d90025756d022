"""The chain-rule view: paths and layer sums read off the graph equal the engine's gradient."""

import math

import numpy as np
import pytest

from gradstep.engine import autodiff as ad
from gradstep.engine.analysis.chain import MAX_PATHS, chain_report
from gradstep.engine.analysis.local_derivatives import OPS, local_derivative, push_tangent
from gradstep.engine.model.losses import LOSSES
from gradstep.engine.scenario import ExpressionSpec, OptimizerSpec, Scenario, load_scenario, resolve_scenario
from gradstep.engine.training.session import Session


from tests.engine.sessions import bundled, objective  # noqa: E402


def entries(session):
    for name, shape in zip(session.layout.names, session.layout.shapes):
        for index in np.ndindex(*shape):
            yield name, index


def close(a, b, rel=1e-12):
    return a == pytest.approx(b, rel=rel, abs=rel * 1e-3)


@pytest.mark.parametrize("name", ["adam-fabc", "chain-rule", "mse-3x5", "linear-regression", "xor", "sine-net"])
@pytest.mark.parametrize("steps", [0, 3])
def test_every_entry_sums_to_the_engines_gradient(name, steps):
    session = bundled(name)
    session.run(steps)
    reports = {entry: chain_report(session, *entry) for entry in entries(session)}
    record = session.record if steps else session.step()  # at step 0 the report explains step 1
    for (pname, index), report in reports.items():
        engine = float(record.grads[pname][index])
        assert report.step == record.step
        assert report.gradient == engine                  # the graph's own grad, bit for bit
        assert report.path_count == len(report.paths) >= 1
        assert close(sum(p.product for p in report.paths), engine)
        assert close(report.total, engine)
        for path in report.paths:
            if path.local_product is not None:
                assert close(path.local_product, path.product)
        if session.scenario.kind == "network":
            assert close(report.entry.total, engine)
            assert report.entry.terms.shape == (len(session.scenario.data.x),)


def test_chain_rule_scenario_by_hand():
    """dg/da = dg/dh1 * dh1/da = 2(h1 + h2 - y) * (1 - h1**2) * x1, at the scenario's start."""
    a, b, c, d = 0.5, -0.5, 0.3, -0.2
    x1, x2, y = 0.5, -1.0, 1.0
    h1, h2 = math.tanh(a * x1 + b), math.tanh(c * x2 + d)
    dg_dh1 = 2 * (h1 + h2 - y)
    dh1_da = (1 - h1 ** 2) * x1
    report = chain_report(bundled("chain-rule"), "a")
    (path,) = report.paths
    assert [f.op for f in path.factors] == ["pow", "sub", "add", "tanh", "add", "mul"]
    assert [f.symbol for f in path.factors] == ["∂(u²)/∂u", "∂(u - v)/∂u", "∂(u + v)/∂u",
                                                "∂tanh(u)/∂u", "∂(u + v)/∂u", "∂(u·v)/∂u"]
    assert path.factors[0].node == "(tanh(a*x1 + b) + tanh(c*x2 + d) - y)**2"
    assert path.factors[3].node == "tanh(a*x1 + b)" and path.factors[3].operand == "a*x1 + b"
    assert path.factors[-1].operand == "a"
    locals_ = [f.local_at_entry for f in path.factors]
    expected = [dg_dh1, 1.0, 1.0, 1 - h1 ** 2, 1.0, x1]
    assert locals_ == pytest.approx(expected, rel=1e-15)
    assert path.factors[3].value == pytest.approx(h1, rel=1e-15)
    assert path.product == pytest.approx(dg_dh1 * dh1_da, rel=1e-14)
    assert report.gradient == pytest.approx(dg_dh1 * dh1_da, rel=1e-14)
    # after each factor, carried holds d(node)/da along the path
    assert path.factors[3].carried == pytest.approx(dh1_da, rel=1e-15)


def test_mse_3x5_entry_by_hand():
    """dMSE/dY_pred[1, 2] = 1/15 * 2 (Y_pred - Y)[1, 2] = 2 * (1.6 - 0.7) / 15."""
    report = chain_report(bundled("mse-3x5"), "Y_pred", (1, 2))
    (path,) = report.paths
    assert [f.op for f in path.factors] == ["mean", "pow", "sub"]
    assert [f.entry for f in path.factors] == [(1, 2)] * 3
    assert [f.local_at_entry for f in path.factors] == pytest.approx([1 / 15, 2 * (1.6 - 0.7), 1.0], rel=1e-14)
    assert path.local_product == pytest.approx(2 * (1.6 - 0.7) / 15, rel=1e-14)
    assert report.gradient == pytest.approx(2 * (1.6 - 0.7) / 15, rel=1e-14)


def test_a_fit_over_data_carries_a_vector():
    """w in w*x + b reaches every data row: the factors below the loss are vectors."""
    session = bundled("linear-regression")
    report = chain_report(session, "w")
    (path,) = report.paths
    loss_factor, add_factor, mul_factor = path.factors
    assert loss_factor.op == "mse" and loss_factor.node == "L" and loss_factor.operand == "w*x + b"
    x = session.scenario.data.x[:, 0]
    np.testing.assert_array_equal(mul_factor.carried, x)          # d(w*x)/dw = x
    assert mul_factor.local_at_entry is None and path.local_product is None
    assert path.product == pytest.approx(float(np.sum(loss_factor.local * x)), rel=1e-14)


def test_several_paths_add_up():
    a = 0.7
    report = chain_report(objective("a*a + sin(a)*exp(a)", a=a), "a")
    assert report.path_count == 4
    products = [p.product for p in report.paths]
    assert products == pytest.approx([a, a, math.cos(a) * math.exp(a), math.sin(a) * math.exp(a)], rel=1e-15)
    want = 2 * a + math.cos(a) * math.exp(a) + math.sin(a) * math.exp(a)
    assert sum(products) == pytest.approx(want, rel=1e-14)
    assert report.gradient == pytest.approx(want, rel=1e-14)


def test_power_with_a_parameter_exponent():
    report = chain_report(objective("x**y + y", x=1.5, y=2.5), "y")
    assert report.path_count == 2
    assert [p.factors[-1].symbol for p in report.paths] == ["∂(uᵛ)/∂v", "∂(u + v)/∂v"]
    assert sum(p.product for p in report.paths) == pytest.approx(1.5 ** 2.5 * math.log(1.5) + 1, rel=1e-14)


def test_many_paths_are_listed_up_to_the_limit_and_counted_in_full():
    n = MAX_PATHS + 8
    report = chain_report(objective("*".join(["a"] * n), a=1.01), "a")
    assert report.path_count == n and len(report.paths) == MAX_PATHS
    assert report.total == pytest.approx(n * 1.01 ** (n - 1), rel=1e-13)
    assert report.total == pytest.approx(report.gradient, rel=1e-13)


def test_unused_parameter_has_no_path():
    report = chain_report(objective("a**2 + 0*b", a=1.0, b=2.0), "b")
    assert report.path_count == 1 and report.gradient == 0.0 == report.paths[0].product


@pytest.mark.parametrize("name,steps", [("xor", 0), ("sine-net", 4), ("moons", 5), ("spiral", 2)])
def test_network_layers_hand_the_error_down(name, steps):
    session = bundled(name)
    session.run(steps)
    record = session.record or session.step()
    report = chain_report(session, "layer1.W", (0, 1))
    layers = report.layers
    assert [layer.layer for layer in layers] == list(range(len(layers), 0, -1))    # last first
    assert len(layers) == len(session.scenario.model.layers)
    np.testing.assert_allclose(layers[0].dL_da, np.reshape(report.output.value, layers[0].a.shape), rtol=1e-15)
    for upper, lower in zip(layers, layers[1:]):
        np.testing.assert_allclose(lower.dL_da, upper.delta @ upper.W.T, rtol=1e-13, atol=1e-18)
    for layer in layers:
        k = layer.layer
        np.testing.assert_allclose(layer.delta, layer.dL_da * layer.act_prime, rtol=1e-13, atol=1e-18)
        np.testing.assert_allclose(layer.dW, layer.a_prev.T @ layer.delta, rtol=1e-13, atol=1e-18)
        np.testing.assert_allclose(layer.db, layer.delta.sum(axis=0), rtol=1e-13, atol=1e-18)
        np.testing.assert_array_equal(layer.dW, record.grads[f"layer{k}.W"])
        np.testing.assert_array_equal(layer.db, record.grads[f"layer{k}.b"])
        assert not layer.delta.flags.writeable and not layer.a_prev.flags.writeable


def test_network_entry_sum_written_out():
    session = bundled("xor")
    report = chain_report(session, "layer2.W", (3, 0))
    layer2 = report.layers[0]
    np.testing.assert_array_equal(report.entry.inputs, layer2.a_prev[:, 3])
    np.testing.assert_array_equal(report.entry.deltas, layer2.delta[:, 0])
    assert report.entry.total == pytest.approx(sum(layer2.a_prev[n, 3] * layer2.delta[n, 0] for n in range(4)),
                                               rel=1e-14)
    bias = chain_report(session, "layer1.b", 2)
    assert bias.entry.inputs is None and bias.entry.layer == 1
    assert bias.entry.total == pytest.approx(bias.gradient, rel=1e-14)


def test_report_follows_time_travel_and_minibatches():
    session = bundled("moons")            # minibatches of 32, shuffled each epoch
    records = [session.step() for _ in range(7)]
    for t in (1, 4, 6, 7):
        report = chain_report(session, "layer2.W", (5, 3), step=t)
        assert report.gradient == float(records[t - 1].grads["layer2.W"][5, 3])
        assert report.loss == records[t - 1].loss
    session.goto(3)
    assert chain_report(session, "layer3.b", (1,)).gradient == float(records[2].grads["layer3.b"][1])
    assert session.t == 3
    with pytest.raises(ValueError):
        chain_report(session, "layer3.b", (1,), step=9)


def test_bad_requests():
    session = bundled("adam-fabc")
    with pytest.raises(KeyError, match="no parameter named 'z'"):
        chain_report(session, "z")
    with pytest.raises(IndexError):
        chain_report(session, "a", (0,))
    with pytest.raises(IndexError):
        chain_report(bundled("mse-3x5"), "Y_pred", (3, 0))


# -- every operation's local derivative agrees with its backward pass --------------------------
def _cases(rng):
    def arr(*shape, low=-2.0, high=2.0):
        return rng.uniform(low, high, size=shape)

    pos = dict(low=0.3, high=2.0)
    y01 = (rng.random(5) > 0.5).astype(float)
    labels = rng.integers(0, 3, size=4)
    onehot = np.eye(3)[labels]
    yield ad.add, [arr(3, 1), arr(1, 4)]
    yield ad.add, [arr(), arr(3)]
    yield ad.sub, [arr(3, 1), arr(4)]
    yield ad.mul, [arr(2, 3), arr(3)]
    yield ad.div, [arr(2, 3), arr(2, 1, **pos)]
    yield ad.maximum, [arr(3, 4), arr(4)]
    yield ad.minimum, [arr(3, 4), arr(3, 1)]
    yield ad.maximum, [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])]     # ties split in half
    for k in (2.0, 3.0, 0.0, -1.5):
        yield (lambda u, k=k: ad.power(u, k)), [arr(2, 3, **pos)]
    yield ad.power, [arr(2, 3, **pos), arr(3)]
    yield ad.power, [np.array([0.0, 1.5]), np.array([2.0, 0.0])]
    for fn in (ad.neg, ad.exp, ad.sin, ad.cos, ad.tan, ad.tanh, ad.sigmoid, ad.relu, ad.leaky_relu, ad.elu,
               ad.abs):
        yield fn, [arr(3, 2, low=-1.2, high=1.2)]
    yield ad.relu, [np.array([-1.0, 0.0, 2.0])]
    yield ad.abs, [np.array([-1.0, 0.0, 2.0])]
    yield ad.log, [arr(4, **pos)]
    yield ad.sqrt, [arr(4, **pos)]
    yield (lambda u: ad.softplus(u, beta=2.0, threshold=3.0)), [arr(6, low=-3, high=3)]
    yield (lambda u: ad.leaky_relu(u, 0.2)), [arr(5)]
    yield (lambda u: ad.elu(u, 0.7)), [arr(5)]
    yield (lambda u: ad.clip(u, -0.5, 0.5)), [np.array([-1.0, -0.5, 0.1, 0.5, 0.9])]
    yield ad.sum, [arr(2, 3, 4)]
    yield (lambda u: ad.sum(u, axis=(0, 2), keepdims=True)), [arr(2, 3, 4)]
    yield ad.mean, [arr(2, 3)]
    yield (lambda u: ad.mean(u, axis=1)), [arr(2, 3)]
    yield (lambda u: ad.reshape(u, (3, 2))), [arr(2, 3)]
    yield ad.transpose, [arr(2, 3, 4)]
    yield (lambda u: ad.transpose(u, (1, 2, 0))), [arr(2, 3, 4)]
    yield ad.matmul, [arr(2, 3), arr(3, 4)]
    yield ad.matmul, [arr(3), arr(3, 4)]
    yield ad.matmul, [arr(2, 3), arr(3)]
    yield ad.linear, [arr(5, 3), arr(3, 2), arr(2)]
    yield ad.log_softmax, [arr(4, 3)]
    yield (lambda u: ad.log_softmax(u, axis=0)), [arr(4, 3)]
    for name in ("mse", "mae", "huber"):
        yield (lambda u, f=LOSSES[name]: f(u, np.linspace(-1, 1, 5))), [arr(5, 1)]
    yield (lambda u: LOSSES["huber"](u, np.zeros(4))), [np.array([-3.0, -0.5, 0.5, 3.0])]
    yield (lambda u: LOSSES["bce_logits"](u, y01)), [arr(5, 1)]
    yield (lambda u: LOSSES["cross_entropy"](u, labels)), [arr(4, 3)]
    yield (lambda u: LOSSES["cross_entropy"](u, onehot)), [arr(4, 3)]


def test_every_local_derivative_agrees_with_backward():
    """<g, J t> from the local derivative equals <J^T g, t> from the engine's backward."""
    rng = np.random.default_rng(7)
    seen = set()
    for fn, values in _cases(rng):
        nodes = [ad.parameter(v) for v in values]
        out = fn(*nodes)
        seen.add(out._op)
        g = rng.normal(size=np.shape(out.data))
        out.backward(g if np.ndim(out.data) else np.float64(g))
        for k, node in enumerate(nodes):
            t = rng.normal(size=np.shape(node.data))
            local = local_derivative(out, k)
            pushed = push_tangent(out, k, local, t)
            assert np.shape(pushed) == np.shape(out.data), out._op
            assert float(np.sum(g * pushed)) == pytest.approx(float(np.sum(node.grad * t)), rel=1e-12, abs=1e-14), \
                f"{out._op} operand {k}"
    assert seen == OPS


def test_leaves_have_no_local_derivative():
    with pytest.raises(ValueError):
        local_derivative(ad.parameter(1.0), 0)
    with pytest.raises(ValueError):
        local_derivative(ad.exp(ad.parameter(1.0)), 1)


def test_report_at_a_step_whose_predecessor_is_no_longer_kept():
    """The parameters before step 20 are replayed when record 19 has been dropped."""
    scenario = load_scenario(resolve_scenario("sine-net"))
    session = Session(scenario, history_options=dict(window_bytes=1, keyframe_seconds=1e9, max_interval=10))
    records = [session.step() for _ in range(30)]
    session.goto(20)
    assert session.history.cached(19) is None
    report = chain_report(session, "layer1.W", (0, 4))
    assert report.step == 20 and report.gradient == float(records[19].grads["layer1.W"][0, 4])
    assert session.t == 20 and np.array_equal(session.theta, records[19].theta)
