"""The cases of ``benchmarks/engine.py`` and the two steps it times beside the engine's.

The objective f(a,b,c) and four tanh/MSE/Adam networks (full batch), as gradstep scenarios
(:func:`engine_scenario`); the fused NumPy floor (:class:`Fused`: forward and backward written
out into preallocated arrays, Adam in place on one flat buffer with PyTorch's formulas); and a
plain PyTorch eager step (:func:`torch_step`). All start from the same initial parameters.
"""

from __future__ import annotations

import math

import numpy as np

from gradstep.engine.scenario import Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec, Scenario

__all__ = ["CASES", "DTYPES", "TORCH_TARGET", "FUSED_TARGET", "engine_scenario", "initial_params", "Fused",
           "torch_step", "adam_inplace", "make_data"]

OBJECTIVE = "(a-1)**2 + 10*(b+2)**2 + c**2"
OBJECTIVE_LR = 0.05
NETWORK_LR = 1e-3
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8

# name -> (label, layer sizes or None for the objective, batch, torch/engine target, fused target).
# Issue 15: on every case the engine's step, its record included, at least as fast as PyTorch
# eager and within 1.25x of the fused floor.
TORCH_TARGET, FUSED_TARGET = 1.0, 1.25
CASES = {
    "objective": ("f(a,b,c)", None, 0, TORCH_TARGET, FUSED_TARGET),
    "1-8-1": ("1-8-1", (1, 8, 1), 32, TORCH_TARGET, FUSED_TARGET),
    "2-16-16-1": ("2-16-16-1", (2, 16, 16, 1), 128, TORCH_TARGET, FUSED_TARGET),
    "2-64-64-1": ("2-64-64-1", (2, 64, 64, 1), 256, TORCH_TARGET, FUSED_TARGET),
    "784-128-10": ("784-128-10", (784, 128, 10), 128, TORCH_TARGET, FUSED_TARGET),
}
DTYPES = ("float64", "float32")


def make_data(sizes, batch, dtype, seed=0):
    rng = np.random.default_rng([seed, sizes[0], sizes[-1], batch])
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.standard_normal((batch, sizes[-1])).astype(dtype)
    return x, y


def engine_scenario(case, dtype):
    label, sizes, batch, _, _ = CASES[case]
    if sizes is None:
        import gradstep.engine.model.expr  # noqa: F401  (raises ImportError while the expression module is missing)
        params = {"a": np.array(0.0), "b": np.array(0.0), "c": np.array(0.0)}
        return Scenario(name=label, kind="objective", model=ExpressionSpec(expression=OBJECTIVE, params=params),
                        optimizer=OptimizerSpec("adam", OBJECTIVE_LR), dtype=dtype)
    x, y = make_data(sizes, batch, dtype)
    layers = tuple(LayerSpec(u, "tanh") for u in sizes[1:-1]) + (LayerSpec(sizes[-1]),)
    return Scenario(name=label, kind="network", model=NetworkSpec(sizes[0], layers), data=Dataset(x, y),
                    loss="mse", optimizer=OptimizerSpec("adam", NETWORK_LR), dtype=dtype)


def initial_params(case, dtype, session):
    """``[(name, array copy)]`` the three implementations start from."""
    if session is not None:
        return [(name, np.array(value)) for name, value in session.params.items()]
    label, sizes, *_ = CASES[case]
    if sizes is None:
        return [(name, np.zeros((), dtype)) for name in "abc"]
    from gradstep.engine.model.nn import network_parameters
    spec = engine_scenario(case, dtype).model
    return network_parameters(spec, np.random.default_rng(0), np.dtype(dtype))


def adam_inplace(theta, grad, m, v, tmp, t, lr):
    """One torch.optim.Adam step (single-tensor CPU path, defaults) in place on flat buffers."""
    np.subtract(grad, m, out=tmp)          # exp_avg.lerp_(grad, 1 - beta1)
    tmp *= 1 - BETA1
    m += tmp
    v *= BETA2                             # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    np.multiply(grad, grad, out=tmp)
    tmp *= 1 - BETA2
    v += tmp
    step_size = lr / (1 - BETA1 ** t)
    np.sqrt(v, out=tmp)                    # denom = exp_avg_sq.sqrt() / sqrt(bc2) + eps
    tmp /= math.sqrt(1 - BETA2 ** t)
    tmp += EPS
    np.divide(m, tmp, out=tmp)             # param.addcdiv_(exp_avg, denom, value=-step_size)
    tmp *= step_size
    theta -= tmp


class Fused:
    """The floor: a hand-written NumPy step over one flat buffer (theta | grad | m | v | scratch)."""

    def __init__(self, case, dtype, params):
        dtype = np.dtype(dtype)
        sizes = CASES[case][1]
        n = sum(int(np.size(p)) for _, p in params)
        self.buf = np.zeros(5 * n, dtype)
        self.theta, self.grad, self.m, self.v, self.tmp = (self.buf[i * n:(i + 1) * n] for i in range(5))
        self.theta[:] = np.concatenate([np.ravel(p) for _, p in params])
        self.t = 0
        if sizes is None:
            self.lr = OBJECTIVE_LR
            # f = sum_i w_i (theta_i - s_i)^2 with w = (1, 10, 1), s = (1, -2, 0); grad = 2 w (theta - s)
            self.w = np.array([1.0, 10.0, 1.0], dtype)
            self.w2 = 2 * self.w
            self.s = np.array([1.0, -2.0, 0.0], dtype)
            self.r = np.zeros(3, dtype)
            self.step = self._objective_step
            return
        self.lr = NETWORK_LR
        self.x, self.y = make_data(sizes, CASES[case][2], dtype)
        batch = len(self.x)
        self.layers = []
        offset = 0
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            views = []
            for shape in ((fan_in, fan_out), (fan_out,)):
                size = int(np.prod(shape))
                views.append((self.theta[offset:offset + size].reshape(shape),
                              self.grad[offset:offset + size].reshape(shape)))
                offset += size
            (W, dW), (b, db) = views
            tanh = k < len(sizes) - 2
            self.layers.append((W, b, dW, db, tanh, np.empty((batch, fan_out), dtype),
                                np.empty((batch, fan_out), dtype), np.empty((batch, fan_out), dtype)))
        self.scale = 2.0 / (batch * sizes[-1])
        self.step = self._network_step

    def _objective_step(self):
        r, theta = self.r, self.theta
        np.subtract(theta, self.s, out=r)
        loss = np.dot(self.w * r, r)
        np.multiply(r, self.w2, out=self.grad)
        self.t += 1
        adam_inplace(theta, self.grad, self.m, self.v, self.tmp, self.t, self.lr)
        return loss

    def _network_step(self):
        layers = self.layers
        a = self.x
        for W, b, _, _, tanh, A, _, _ in layers:       # forward: A_k = act(A_{k-1} @ W_k + b_k)
            np.matmul(a, W, out=A)
            A += b
            if tanh:
                np.tanh(A, out=A)
            a = A
        D = layers[-1][6]
        np.subtract(a, self.y, out=D)                   # MSE: L = mean(d^2), dL/dout = 2 d / N
        flat = D.reshape(-1)
        loss = np.dot(flat, flat) / flat.size
        D *= self.scale
        for k in range(len(layers) - 1, -1, -1):        # backward
            W, _, dW, db, _, _, D, _ = layers[k]
            a_prev = self.x if k == 0 else layers[k - 1][5]
            np.matmul(a_prev.T, D, out=dW)
            np.sum(D, axis=0, out=db)
            if k:
                _, _, _, _, tanh, A, Dp, S = layers[k - 1]
                np.matmul(D, W.T, out=Dp)
                if tanh:                                # tanh' = 1 - a^2
                    np.multiply(A, A, out=S)
                    np.subtract(1.0, S, out=S)
                    Dp *= S
        self.t += 1
        adam_inplace(self.theta, self.grad, self.m, self.v, self.tmp, self.t, self.lr)
        return loss


def torch_step(torch, case, dtype, params):
    """A plain PyTorch eager training step, as a closure returning the loss tensor."""
    tdtype = getattr(torch, dtype)
    sizes = CASES[case][1]
    if sizes is None:
        a, b, c = (torch.tensor(float(p), dtype=tdtype, requires_grad=True) for _, p in params)
        opt = torch.optim.Adam([a, b, c], lr=OBJECTIVE_LR)

        def step():
            opt.zero_grad()
            loss = (a - 1) ** 2 + 10 * (b + 2) ** 2 + c ** 2
            loss.backward()
            opt.step()
            return loss
        return step
    x, y = (torch.from_numpy(v) for v in make_data(sizes, CASES[case][2], dtype))
    modules = []
    values = [p for _, p in params]
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = torch.nn.Linear(fan_in, fan_out, dtype=tdtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(values[2 * k].T)))
            linear.bias.copy_(torch.from_numpy(values[2 * k + 1]))
        modules.append(linear)
        if k < len(sizes) - 2:
            modules.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*modules)
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=NETWORK_LR)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step
