"""Dense networks built from a :class:`~gradstep.engine.scenario.NetworkSpec`.

Layer k computes ``a_k = act_k(a_{k-1} @ W_k + b_k)`` with ``W_k`` of shape (inputs, units) and
``b_k`` of shape (units,); ``a_0`` is the input batch. Parameters are named ``layer1.W``,
``layer1.b``, ``layer2.W``, ... (1-based). The pre-activation ``z_k = a_{k-1} @ W_k + b_k`` is
one ``linear`` node, so the chain-rule view finds each layer's error ``dL/dz_k`` on it.
"""

from __future__ import annotations

import numpy as np

from gradstep.engine import autodiff as ad

__all__ = ["INITS", "network_parameters", "network_forward", "parameter_names", "activation_bytes",
           "ACTIVATION_COPIES"]

INITS = ("xavier_uniform", "he_normal", "normal", "zeros")
"""Weight initialisations a scenario may ask for; biases always start at zero."""


ACTIVATION_COPIES = {"identity": 2, "linear": 2, "tanh": 4, "relu": 4, "sigmoid": 5,
                     "leaky_relu": 5, "elu": 6, "softplus": 6}
"""Arrays of (rows, units) a layer keeps through one step and the views' graph, by activation:
the pre-activation z and its gradient, then the activation's output and gradient and whatever
its backward pass keeps (a mask, exp(z)). Measured with tracemalloc (benchmarks/loader_memory.py);
the network's input counts 2 and the loss 4 arrays of the last layer's width."""


def activation_bytes(spec, rows, itemsize=8):
    """Bytes of the activations and their gradients of ``rows`` rows through the network, with
    :data:`ACTIVATION_COPIES` arrays of (rows, units) per layer (Python integers: no overflow
    however large)."""
    columns = 2 * spec.inputs + 4 * spec.layers[-1].units
    columns += sum(ACTIVATION_COPIES[layer.activation] * layer.units for layer in spec.layers)
    return int(rows) * columns * int(itemsize)


def parameter_names(spec):
    """``["layer1.W", "layer1.b", ...]`` for a network spec, in order."""
    return [f"layer{k}.{p}" for k in range(1, len(spec.layers) + 1) for p in ("W", "b")]


def network_parameters(spec, rng, dtype=np.float64):
    """Initial values of every parameter, in order, as ``[(name, array), ...]``.

    Weights come from ``spec.weights`` when given; otherwise they are drawn layer by layer from
    ``rng`` (a seeded ``numpy.random.Generator``, so the same seed gives the same numbers):

    - ``xavier_uniform``: U(-r, r) with r = sqrt(6 / (fan_in + fan_out)) (PyTorch's
      ``xavier_uniform_`` with gain 1);
    - ``he_normal``: N(0, 2 / fan_in) (``kaiming_normal_``, fan_in mode, relu gain);
    - ``normal``: N(0, init_std^2);
    - ``zeros``: all zero (every unit of a layer then learns the same thing: a lesson in
      symmetry).
    """
    params = []
    fan_in = spec.inputs
    for k, layer in enumerate(spec.layers, start=1):
        fan_out = layer.units
        if spec.weights is not None:
            W = np.array(spec.weights[k - 1]["W"], dtype=dtype).reshape(fan_in, fan_out)
            b = np.array(spec.weights[k - 1]["b"], dtype=dtype).reshape(fan_out)
        else:
            W = _draw(spec, rng, fan_in, fan_out).astype(dtype)
            b = np.zeros(fan_out, dtype=dtype)
        params.append((f"layer{k}.W", W))
        params.append((f"layer{k}.b", b))
        fan_in = fan_out
    return params


def _draw(spec, rng, fan_in, fan_out):
    if spec.init == "xavier_uniform":
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, size=(fan_in, fan_out))
    if spec.init == "he_normal":
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    if spec.init == "normal":
        return rng.normal(0.0, spec.init_std, size=(fan_in, fan_out))
    if spec.init == "zeros":
        return np.zeros((fan_in, fan_out))
    raise ValueError(f"unknown init {spec.init!r} (expected one of {', '.join(INITS)})")


def network_forward(spec, nodes, x):
    """The network's output node for the input node ``x``.

    Args:
        spec: The network.
        nodes: Parameter nodes in :func:`parameter_names` order.
        x: Input batch node, shape (n, inputs).
    """
    a = x
    for k, layer in enumerate(spec.layers):
        a = ad.linear(a, nodes[2 * k], nodes[2 * k + 1])
        activation = ad.ACTIVATIONS[layer.activation]
        if activation is not ad.identity:
            a = activation(a)
    return a
