"""Write the PyTorch reference fixtures that the engine is tested against.

Run with a Python that has PyTorch (never needed by the package or its tests)::

    python tests/reference/make_fixtures.py   # a Python with torch==2.13.0 installed

Two sets of compressed ``.npz`` files are written beside this script:

``optimizers.npz``
    Each ``torch.optim`` optimizer alone: a random flat parameter vector fed a sequence of 50
    random gradients (float64 and float32), with the parameters and state after every step.
``network_<kind>.npz``
    Dense networks trained for 50 steps with optimizer ``<kind>`` on every loss: initial weights,
    data, and per step the loss, raw gradients, parameters and optimizer state.

How gradstep's optimizers and schedules are made as ``torch.optim`` objects is in
``torch_objects.py``. Every case is stored under a key prefix ``<case>/``; ``<case>/config`` is a JSON string. State
arrays use the engine's names: ``V`` (``exp_avg``, ``momentum_buffer``), ``S`` (``exp_avg_sq``,
``square_avg``, ``sum``) and ``S_max`` (``max_exp_avg_sq``). Everything is seeded: running the
script again writes the same numbers (with the same PyTorch build).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from torch_objects import NEW_KINDS, default_dtype, optimizer_state, torch_optimizer, torch_scheduler  # beside this file

HERE = Path(__file__).resolve().parent
STEPS = 50
KINDS = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw", "amsgrad",
         "adadelta", "adamax", "nadam", "radam")

def _config(**values):
    values["torch_version"] = torch.__version__
    return np.array(json.dumps(values, sort_keys=True))


# -- networks --------------------------------------------------------------------------------
NETWORKS = {
    # name: (inputs, hidden layers as (units, activation)); the last layer is added per loss.
    "tanh": (2, [(4, "tanh")]),
    "relu_sigmoid": (3, [(6, "relu"), (5, "sigmoid")]),
    "mixed": (2, [(5, "leaky_relu"), (4, "elu"), (3, "softplus")]),
}
OUTPUTS = {"tanh": 1, "relu_sigmoid": 2, "mixed": 2}   # output units for regression and bce
LOSSES = ("mse", "mae", "huber", "bce_logits", "cross_entropy")
CLASSES = 3

TORCH_ACTIVATIONS = {
    "identity": lambda a: a,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": lambda a: F.leaky_relu(a, 0.01),
    "elu": lambda a: F.elu(a, 1.0),
    "softplus": F.softplus,
}
TORCH_LOSSES = {
    "mse": F.mse_loss,
    "mae": F.l1_loss,
    "huber": lambda p, y: F.huber_loss(p, y, delta=1.0),
    "bce_logits": F.binary_cross_entropy_with_logits,
    "cross_entropy": F.cross_entropy,
}
LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.005, "adagrad": 0.05,
      "adam": 0.01, "adamw": 0.01, "amsgrad": 0.01,
      "adadelta": 1.0, "adamax": 0.01, "nadam": 0.01, "radam": 0.01}
# Hyperparameters per network: the first network uses the defaults, the others change them
# (every kind has weight decay on the second network).
NETWORK_HYPER = {
    "sgd": ({}, {"weight_decay": 0.01}, {}),
    "momentum": ({}, {"momentum": 0.8, "weight_decay": 1e-3}, {"momentum": 0.5}),
    "nesterov": ({}, {"momentum": 0.7, "weight_decay": 1e-3}, {"momentum": 0.95}),
    "rmsprop": ({}, {"rho": 0.9, "eps": 1e-6, "weight_decay": 1e-3}, {"momentum": 0.5}),
    "adagrad": ({}, {"eps": 1e-8, "weight_decay": 1e-3}, {"lr_decay": 0.01}),
    "adam": ({}, {"beta1": 0.8, "beta2": 0.99, "weight_decay": 1e-3}, {"eps": 1e-6, "beta1": 0.3}),
    "adamw": ({}, {"beta2": 0.99, "weight_decay": 0.1}, {"weight_decay": 0.0}),
    "amsgrad": ({}, {"beta1": 0.8, "beta2": 0.95, "weight_decay": 1e-3}, {"eps": 1e-7}),
    "adadelta": ({}, {"rho": 0.95, "eps": 1e-5, "weight_decay": 1e-3}, {"rho": 0.5}),
    "adamax": ({}, {"beta1": 0.8, "beta2": 0.99, "weight_decay": 1e-3}, {"eps": 1e-6, "beta1": 0.3}),
    "nadam": ({}, {"beta2": 0.99, "momentum_decay": 0.01, "weight_decay": 1e-3},
              {"weight_decay": 0.05, "decoupled_weight_decay": True}),
    "radam": ({}, {"beta1": 0.8, "beta2": 0.95, "weight_decay": 1e-3},
              {"beta2": 0.9, "weight_decay": 0.05, "decoupled_weight_decay": True}),
}


def network_layers(net, loss):
    inputs, hidden = NETWORKS[net]
    k = CLASSES if loss == "cross_entropy" else OUTPUTS[net]
    return inputs, [*hidden, (k, "identity")]


def make_data(rng, inputs, outputs, loss, n, vector_target):
    """Inputs and targets for ``loss``: smooth regression, 0/1 targets, or class labels."""
    x = rng.normal(size=(n, inputs))
    mix = rng.normal(size=(inputs, max(outputs, CLASSES)))
    z = x @ mix + 0.3 * rng.normal(size=(n, mix.shape[1]))
    if loss == "cross_entropy":
        return x, np.argmax(z[:, :CLASSES], axis=1).astype(np.int64)
    if loss == "bce_logits":
        y = (z[:, :outputs] > 0).astype(np.float64)
    else:
        y = np.sin(z[:, :outputs]) + 0.5
    return x, (y[:, 0] if vector_target else y)


def make_weights(rng, inputs, layers):
    weights = []
    fan_in = inputs
    for units, _ in layers:
        bound = np.sqrt(6.0 / (fan_in + units))
        weights.append({"W": rng.uniform(-bound, bound, size=(fan_in, units)),
                        "b": rng.normal(0.0, 0.1, size=units)})
        fan_in = units
    return weights


def batch_order(n, batch_size, shuffle, seed, steps):
    """Row indices of each step's batch, exactly as the engine draws them."""
    if batch_size == 0:
        return [np.arange(n)] * steps
    batches = []
    epoch = 0
    while len(batches) < steps:
        # each epoch's order comes from its own generator, seeded by (seed, 1, epoch)
        perm = np.random.default_rng([seed, 1, epoch]).permutation(n) if shuffle else np.arange(n)
        batches.extend(perm[i:i + batch_size] for i in range(0, n, batch_size))
        epoch += 1
    return batches[:steps]


def network_case(kind, net, loss, *, dtype="float64", **options):
    """One dense network trained 50 steps by PyTorch (see :func:`_network_case`)."""
    with default_dtype(kind, dtype):
        return _network_case(kind, net, loss, dtype=dtype, **options)


def _network_case(kind, net, loss, *, seed, hyper, dtype="float64", n=24, batch_size=0,
                  shuffle=False, vector_target=False, schedule=None, clip=None, penalty=None):
    rng = np.random.default_rng(seed)
    inputs, layers = network_layers(net, loss)
    x, y = make_data(rng, inputs, layers[-1][0], loss, n, vector_target)
    weights = make_weights(rng, inputs, layers)
    x = x.astype(dtype)
    if y.dtype.kind == "f":
        y = y.astype(dtype)
    weights = [{k: v.astype(dtype) for k, v in w.items()} for w in weights]

    names = [f"layer{k}.{p}" for k in range(1, len(layers) + 1) for p in ("W", "b")]
    tensors = [torch.tensor(w[p], requires_grad=True) for w in weights for p in ("W", "b")]
    lr = LR[kind]
    opt = torch_optimizer(kind, tensors, lr, hyper)
    scheduler = None if schedule is None else torch_scheduler(opt, *schedule)
    xt, yt = torch.tensor(x), torch.tensor(y)
    acts = [TORCH_ACTIVATIONS[a] for _, a in layers]
    loss_fn = TORCH_LOSSES[loss]

    batches = batch_order(n, batch_size, shuffle, seed, STEPS)
    record = {"loss": [], "full_loss": [], "batches": []}
    for idx in batches:
        opt.zero_grad(set_to_none=True)
        ti = torch.from_numpy(np.asarray(idx))
        a = xt[ti]
        for j, act in enumerate(acts):
            a = act(a @ tensors[2 * j] + tensors[2 * j + 1])
        if vector_target:
            a = a.squeeze(1)
        value = loss_fn(a, yt[ti])
        if penalty is not None:  # L1 and L2 terms of the loss, over every parameter
            l1_term = penalty[0] * sum(t.abs().sum() for t in tensors)
            l2_term = penalty[1] * sum(t.pow(2).sum() for t in tensors)
            value = value + l1_term + l2_term
            record.setdefault("l1_term", []).append(l1_term.item())
            record.setdefault("l2_term", []).append(l2_term.item())
        value.backward()
        with torch.no_grad():
            full = xt
            for j, act in enumerate(acts):
                full = act(full @ tensors[2 * j] + tensors[2 * j + 1])
            full_value = loss_fn(full.squeeze(1) if vector_target else full, yt)
        record["loss"].append(value.item())
        record["full_loss"].append(full_value.item())
        record["batches"].append(np.pad(np.asarray(idx), (0, n - len(idx)), constant_values=-1))
        for name, t in zip(names, tensors):
            record.setdefault(f"grads/{name}", []).append(t.grad.numpy().copy())
        if clip is not None:  # after the raw gradient is kept, before the optimizer's step
            if clip[0] == "norm":
                raw = torch.nn.utils.clip_grad_norm_(tensors, clip[1], foreach=False)
                record.setdefault("raw_norm", []).append(raw.item())
            else:
                torch.nn.utils.clip_grad_value_(tensors, clip[1], foreach=False)
            clipped = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t.grad) for t in tensors]))
            record.setdefault("clipped_norm", []).append(clipped.item())
        if scheduler is not None:  # what this step uses, before the scheduler moves on
            group = opt.param_groups[0]
            record.setdefault("lr", []).append(group["lr"])
            record.setdefault("momentum", []).append(group["betas"][0] if "betas" in group
                                                     else group.get("momentum", 0.0))
        opt.step()
        if scheduler is not None:
            scheduler.step()
        for name, t in zip(names, tensors):
            record.setdefault(f"params/{name}", []).append(t.detach().numpy().copy())
            for key, value in optimizer_state(opt, t).items():
                record.setdefault(f"state/{key}/{name}", []).append(value)

    extra = {} if schedule is None else {"schedule": {"kind": schedule[0], "args": schedule[1]},
                                         "torch_scheduler": type(scheduler).__name__}
    if clip is not None:
        extra[f"clip_{clip[0]}"] = clip[1]
    if penalty is not None:
        extra["l1"], extra["l2"] = penalty
    case = {
        "config": _config(
            inputs=inputs, layers=[[u, a] for u, a in layers], loss=loss, optimizer=kind, lr=lr,
            hyper=hyper, dtype=dtype, batch_size=batch_size, shuffle=shuffle, seed=seed,
            steps=STEPS, torch=repr(opt).replace("\n", " "), **extra),
        "x": x,
        "y": y,
    }
    for name, w in zip(names, (w[p] for w in weights for p in ("W", "b"))):
        case[f"init/{name}"] = w
    for key, values in record.items():
        arr = np.stack(values)
        if key in ("loss", "full_loss", "lr", "momentum", "raw_norm", "clipped_norm", "l1_term", "l2_term"):
            arr = arr.astype(np.float64)
        case[key] = arr
    return case


def network_cases(kind):
    cases = {}
    seed = 1000 * (KINDS.index(kind) + 1)
    for i, net in enumerate(NETWORKS):
        hyper = NETWORK_HYPER[kind][i]
        for loss in LOSSES:
            seed += 1
            cases[f"{kind}-{net}-{loss}"] = network_case(kind, net, loss, seed=seed, hyper=hyper)
    # A one-unit output against targets of shape (n,), never broadcast to (n, n).
    for loss in ("mse", "mae", "huber"):
        seed += 1
        cases[f"{kind}-tanh-{loss}-vector_target"] = network_case(
            kind, "tanh", loss, seed=seed, hyper=NETWORK_HYPER[kind][1], vector_target=True)
    # Minibatches of 16 from 40 rows (the last batch of each epoch has 8).
    net = list(NETWORKS)[KINDS.index(kind) % 3]
    loss = LOSSES[KINDS.index(kind) % len(LOSSES)]
    shuffle = kind not in ("momentum", "adagrad")
    seed += 1
    cases[f"{kind}-{net}-{loss}-minibatch"] = network_case(
        kind, net, loss, seed=seed, hyper=NETWORK_HYPER[kind][1], n=40, batch_size=16,
        shuffle=shuffle)
    if kind in ("sgd", "adam"):
        for i, net in enumerate(NETWORKS):
            for loss in ("mse", "cross_entropy"):
                seed += 1
                cases[f"{kind}-{net}-{loss}-float32"] = network_case(
                    kind, net, loss, seed=seed, hyper=NETWORK_HYPER[kind][i], dtype="float32")
        seed += 1
        cases[f"{kind}-mixed-bce_logits-minibatch-float32"] = network_case(
            kind, "mixed", "bce_logits", seed=seed, hyper={}, dtype="float32", n=40,
            batch_size=16, shuffle=True)
    return cases


def save(path, cases):
    flat = {f"{case}/{key}": value for case, arrays in cases.items() for key, value in arrays.items()}
    np.savez_compressed(path, **flat)
    print(f"{path.name}: {len(cases)} cases, {path.stat().st_size / 1024:.0f} KiB")


def main(only=()):
    """Write every fixture file, or only those named in ``only`` (``schedules``, ``clipping``,
    ``penalties``; ``optimizers4``: the network files of :data:`NEW_KINDS` and ``optimizers.npz``)."""
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    import training_fixtures  # beside this file: the schedules', clipping's and terms' cases

    if not only or "schedules" in only:
        save(HERE / "schedules.npz", training_fixtures.schedule_cases())
    if not only or "clipping" in only:
        save(HERE / "clipping.npz", training_fixtures.clip_cases())
    if not only or "penalties" in only:
        save(HERE / "penalties.npz", training_fixtures.penalty_cases())
    if only and "optimizers4" not in only:
        return
    from optimizer_fixtures import optimizer_cases  # beside this file

    optimizers = {}
    for kind in KINDS:
        rng = np.random.default_rng([KINDS.index(kind), 2024])
        optimizers.update(optimizer_cases(kind, rng))
        if not only or kind in NEW_KINDS:
            save(HERE / f"network_{kind}.npz", network_cases(kind))
    save(HERE / "optimizers.npz", optimizers)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
