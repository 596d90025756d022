"""gradstep's optimizers and learning-rate schedules as ``torch.optim`` objects, and their state
by the engine's names: what every fixture script here builds its PyTorch side with."""

from __future__ import annotations

import contextlib
import inspect

import torch

# The kinds issue 18 added: ``make_fixtures.py optimizers4`` writes their network files and
# optimizers.npz (every kind's cases) without touching the other network files.
NEW_KINDS = ("adadelta", "adamax", "nadam", "radam")
TORCH_STATE_NAMES = {
    "exp_avg": "V", "momentum_buffer": "V",
    "exp_avg_sq": "S", "square_avg": "S", "sum": "S",
    "max_exp_avg_sq": "S_max", "exp_inf": "U", "acc_delta": "D",
}
# gradstep's own default for the momentum kinds (torch.optim.SGD's default momentum is 0).
GRADSTEP_MOMENTUM = 0.9


def _default(cls, name):
    return inspect.signature(cls.__init__).parameters[name].default


def torch_optimizer(kind, params, lr, hyper):
    """The ``torch.optim`` optimizer for a gradstep kind, hyperparameters by gradstep's names.

    Only the hyperparameters the case sets are passed (plus the momentum of the momentum kinds),
    so the engine's defaults are checked against PyTorch's.
    """
    kw = {} if lr is None else {"lr": lr}
    if "weight_decay" in hyper:
        kw["weight_decay"] = hyper["weight_decay"]
    if "eps" in hyper:
        kw["eps"] = hyper["eps"]
    if kind in ("sgd", "momentum", "nesterov"):
        if kind != "sgd":
            kw["momentum"] = hyper.get("momentum", GRADSTEP_MOMENTUM)
        return torch.optim.SGD(params, nesterov=kind == "nesterov", foreach=False, **kw)
    if kind == "rmsprop":
        if "rho" in hyper:
            kw["alpha"] = hyper["rho"]
        if "momentum" in hyper:
            kw["momentum"] = hyper["momentum"]
        return torch.optim.RMSprop(params, foreach=False, **kw)
    if kind == "adadelta":
        if "rho" in hyper:
            kw["rho"] = hyper["rho"]
        return torch.optim.Adadelta(params, foreach=False, **kw)
    if kind in ("adamax", "nadam", "radam"):
        cls = {"adamax": torch.optim.Adamax, "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam}[kind]
        betas = _default(cls, "betas")
        kw["betas"] = (hyper.get("beta1", betas[0]), hyper.get("beta2", betas[1]))
        if "momentum_decay" in hyper:
            kw["momentum_decay"] = hyper["momentum_decay"]
        if "decoupled_weight_decay" in hyper:
            kw["decoupled_weight_decay"] = bool(hyper["decoupled_weight_decay"])
        return cls(params, foreach=False, **kw)
    if kind == "adagrad":
        if "lr_decay" in hyper:
            kw["lr_decay"] = hyper["lr_decay"]
        return torch.optim.Adagrad(params, foreach=False, **kw)
    cls = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
    betas = _default(cls, "betas")
    kw["betas"] = (hyper.get("beta1", betas[0]), hyper.get("beta2", betas[1]))
    return cls(params, amsgrad=kind == "amsgrad", foreach=False, **kw)


@contextlib.contextmanager
def default_dtype(kind, dtype):
    """Issue 18's kinds run with PyTorch's default dtype set to the case's, as the scripts of
    ``gradstep export --torch`` do (only NAdam's ``mu_product``, a scalar tensor of the default
    dtype, depends on it); the earlier kinds' cases are made as they always were."""
    if kind not in NEW_KINDS:
        yield
        return
    before = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype))
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def optimizer_state(opt, param):
    """The optimizer's state for ``param`` by the engine's names, as NumPy copies."""
    out = {}
    for key, value in opt.state[param].items():
        if key in TORCH_STATE_NAMES and value is not None:
            out[TORCH_STATE_NAMES[key]] = value.detach().numpy().copy()
    return out


# -- learning-rate schedules ------------------------------------------------------------------
TORCH_SCHEDULERS = {
    "step": "StepLR", "exponential": "ExponentialLR", "cosine": "CosineAnnealingLR",
    "warmup": "LinearLR", "one_cycle": "OneCycleLR",
}
# gradstep's snake-case argument names that differ from PyTorch's
TORCH_SCHEDULE_ARGS = {"t_max": "T_max"}

def torch_scheduler(opt, kind, args):
    """The ``torch.optim.lr_scheduler`` scheduler of a gradstep schedule, given only ``args``."""
    cls = getattr(torch.optim.lr_scheduler, TORCH_SCHEDULERS[kind])
    return cls(opt, **{TORCH_SCHEDULE_ARGS.get(k, k): v for k, v in args.items()})
