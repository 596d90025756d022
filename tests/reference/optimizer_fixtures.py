"""The fixtures of each optimizer alone, for ``make_fixtures.py``: a random flat vector fed 50
random gradients, in float64 and float32, with default and changed hyperparameters (see the
README's ``optimizers.npz``). Run ``make_fixtures.py``, not this file.
"""

from __future__ import annotations

import numpy as np
import torch

from make_fixtures import STEPS, _config
from torch_objects import default_dtype, optimizer_state, torch_optimizer

# -- optimizers alone ------------------------------------------------------------------------
OPTIM_VARIANTS = {
    # variant: (vector length, lr (None = default), {kind: hyper})
    "default": (37, None, {}),
    "custom": (37, 0.05, {
        "sgd": {"weight_decay": 0.1},
        "momentum": {"momentum": 0.7, "weight_decay": 0.05},
        "nesterov": {"momentum": 0.8, "weight_decay": 0.05},
        "rmsprop": {"rho": 0.9, "eps": 1e-6, "momentum": 0.6, "weight_decay": 0.05},
        "adagrad": {"lr_decay": 0.05, "eps": 1e-8, "weight_decay": 0.05},
        "adam": {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.05},
        "adamw": {"beta1": 0.85, "beta2": 0.95, "weight_decay": 0.2},
        "amsgrad": {"beta1": 0.8, "beta2": 0.9, "weight_decay": 0.05},
        "adadelta": {"rho": 0.8, "eps": 1e-5, "weight_decay": 0.05},
        "adamax": {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.05},
        "nadam": {"beta1": 0.85, "beta2": 0.95, "momentum_decay": 0.01, "weight_decay": 0.05},
        "radam": {"beta1": 0.8, "beta2": 0.9, "weight_decay": 0.1, "decoupled_weight_decay": True},
    }),
    # A 3-vector (PyTorch's scalar loops), and lerp weights >= 0.5 for the Adam family.
    "small": (3, 0.02, {
        "momentum": {"momentum": 0.3},
        "nesterov": {"momentum": 0.5},
        "rmsprop": {"rho": 0.5},
        "adam": {"beta1": 0.3, "beta2": 0.5},
        "adamw": {"beta1": 0.4, "beta2": 0.6, "weight_decay": 0.0},
        "amsgrad": {"beta1": 0.2, "beta2": 0.4},
        "adadelta": {"rho": 0.4},
        "adamax": {"beta1": 0.3, "beta2": 0.5},
        "nadam": {"beta1": 0.4, "beta2": 0.6, "weight_decay": 0.1, "decoupled_weight_decay": True},
        "radam": {"beta1": 0.3, "beta2": 0.5},  # rho_inf = 3: never rectified
    }),
}


def gradient_sequence(rng, n):
    """50 gradients whose scale shrinks and jumps (so AMSGrad's maximum matters), some zeros."""
    scale = 2.0 * 0.9 ** np.arange(STEPS) + 0.05
    scale[30] = 3.0
    grads = rng.normal(size=(STEPS, n)) * scale[:, None]
    grads[5, : n // 2] = 0.0
    return grads


def _steps(opt, p, gs, params, states, products):
    """Feed the gradients ``gs`` to ``opt`` one step at a time, keeping what each step leaves."""
    for g in gs:
        p.grad = torch.tensor(g)
        opt.step()
        params.append(p.detach().numpy().copy())
        if "mu_product" in opt.state[p]:  # NAdam's, a scalar tensor of the default dtype
            products.append(opt.state[p]["mu_product"].item())
        for key, value in optimizer_state(opt, p).items():
            states.setdefault(key, []).append(value)


def optimizer_cases(kind, rng):
    cases = {}
    for variant, (n, lr, hypers) in OPTIM_VARIANTS.items():
        hyper = hypers.get(kind, {})
        theta0 = rng.uniform(-1.0, 1.0, size=n)
        grads = gradient_sequence(rng, n)
        for dtype in ("float64", "float32"):
            name = f"{kind}-{variant}-{dtype}"
            th0 = theta0.astype(dtype)
            gs = grads.astype(dtype)
            p = torch.tensor(th0, requires_grad=True)
            opt = torch_optimizer(kind, [p], lr, hyper)
            params, states, products = [], {}, []
            with default_dtype(kind, dtype):
                _steps(opt, p, gs, params, states, products)
            case = {
                "config": _config(kind=kind, lr=lr, hyper=hyper, dtype=dtype,
                                  torch=repr(opt).replace("\n", " ")),
                "theta0": th0,
                "grads": gs,
                "params": np.stack(params),
            }
            for key, values in states.items():
                case[f"state/{key}"] = np.stack(values)
            if products:
                case["mu_product"] = np.array(products, np.float64)
            cases[name] = case
    return cases
