"""The fused network path gives the autodiff graph's numbers (and so PyTorch's: tests/reference)."""

import numpy as np
import pytest

from gradstep.engine.scenario import Dataset, LayerSpec, NetworkSpec, OptimizerSpec, Scenario, load_scenario, resolve_scenario
from gradstep.engine.training.session import Session

ACTIVATIONS = ["tanh", "sigmoid", "relu", "leaky_relu", "elu", "softplus", "identity"]


@pytest.mark.parametrize("name", ["sine-net", "xor", "spiral", "moons"])
def test_bundled_networks(name):
    session = Session(load_scenario(resolve_scenario(name)))
    session.run(3)
    x, y = session._batches.full
    loss, grad = session._source.program.value_and_grad(session.theta, x.data, y)
    graph_loss, graph_grad = session.gradient_at(session.theta)
    assert float(loss) == pytest.approx(graph_loss, rel=1e-14)
    np.testing.assert_allclose(grad, graph_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "bce_logits", "cross_entropy"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_and_loss(activation, loss):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 3)) * 3
    out = 3 if loss == "cross_entropy" else 2
    y = rng.integers(0, 3, size=12) if loss == "cross_entropy" else (
        rng.integers(0, 2, size=(12, 2)).astype(float) if loss == "bce_logits" else rng.normal(size=(12, 2)))
    sc = Scenario(name="n", kind="network", model=NetworkSpec(3, (LayerSpec(5, activation), LayerSpec(4, activation), LayerSpec(out))),
                  data=Dataset(x, y), loss=loss, optimizer=OptimizerSpec("adam", 0.01))
    session = Session(sc)
    fused_loss, fused_grad = session._source.program.value_and_grad(session.theta, session._batches.full[0].data, y)
    graph_loss, graph_grad = session.gradient_at(session.theta)
    assert float(fused_loss) == graph_loss
    np.testing.assert_array_equal(fused_grad, graph_grad)  # the same kernels, in the same order
