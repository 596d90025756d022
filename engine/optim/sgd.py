"""Gradient descent and its momentum variants: ``torch.optim.SGD``, three ways.

``momentum`` and ``nesterov`` are ``torch.optim.SGD`` with ``momentum=0.9`` (PyTorch's own
default is 0, i.e. plain SGD) and dampening 0. Their velocity ``V`` is PyTorch's
``momentum_buffer``, which PyTorch sets to the first gradient. Every parameter gets the same step
size ``α``.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import numpy as np

from gradstep.engine.i18n import N_, _
from gradstep.engine.optim.entry import OptimizerEntry
from gradstep.engine.optim.numerics import add_l2

__all__ = ["sgd_update", "momentum_update", "nesterov_update", "SGD", "MOMENTUM", "NESTEROV"]


def sgd_update(theta, grad, state, hp):
    """Plain gradient descent (``torch.optim.SGD``, ``momentum=0``); keeps no state but ``t``.

    ``theta_t = theta_{t-1} - lr g_t``
    """
    g = add_l2(grad, theta, hp["weight_decay"])
    return theta - hp["lr"] * g, {"t": state["t"] + 1}


def momentum_update(theta, grad, state, hp):
    """SGD with (heavy-ball) momentum: ``torch.optim.SGD(momentum=m, dampening=0)``.

    ``V`` is PyTorch's ``momentum_buffer``. PyTorch sets it to the first gradient, so::

        V_1 = g_1;  V_t = m V_{t-1} + g_t
        theta_t = theta_{t-1} - lr V_t
    """
    g = add_l2(grad, theta, hp["weight_decay"])
    V = g.copy() if state["t"] == 0 else state["V"] * hp["momentum"] + g
    return theta - hp["lr"] * V, {"t": state["t"] + 1, "V": V}


def nesterov_update(theta, grad, state, hp):
    """SGD with Nesterov momentum: ``torch.optim.SGD(momentum=m, nesterov=True)``.

    ``V`` is PyTorch's ``momentum_buffer``; the step looks ahead along it (Sutskever et al.
    2013, in PyTorch's formulation)::

        V_1 = g_1;  V_t = m V_{t-1} + g_t
        theta_t = theta_{t-1} - lr (g_t + m V_t)
    """
    m = hp["momentum"]
    g = add_l2(grad, theta, hp["weight_decay"])
    V = g.copy() if state["t"] == 0 else state["V"] * m + g
    step = g + m * V
    return theta - hp["lr"] * step, {"t": state["t"] + 1, "V": V}


# -- step size and direction -------------------------------------------------------------------
def _same_for_all(state, hp, size, dtype=np.float64):
    return np.full(size, hp["lr"], dtype=dtype)


def _same_for_all_text(hp):
    return "α, " + _("the same for every θ")


def _gradient(theta, grad, state, hp):
    return add_l2(grad, theta, hp["weight_decay"])


def _velocity(theta, grad, state, hp):
    return state["V"]


def _look_ahead(theta, grad, state, hp):
    return add_l2(grad, theta, hp["weight_decay"]) + hp["momentum"] * state["V"]


def _needs_momentum(hp):
    if hp["momentum"] <= 0:
        raise ValueError(_("nesterov needs momentum > 0"))


# -- equations ---------------------------------------------------------------------------------
def _first_step():
    return "V = μ·V + g        " + _("(V = g at the first step, as in PyTorch)")


def _velocity_line(s, g, numbers):
    if s.t == 1:
        return ("V = g  " + _("(PyTorch starts V at the first gradient)"), numbers.num(s.state["V"]))
    mu = numbers.short(s.hyper["momentum"])
    return (f"V = μ·V + g = {mu}·{numbers.factor(s.prev['V'])} + {g}", numbers.num(s.state["V"]))


def _sgd_worked(s, g, numbers):
    n, lr = s.name, numbers.short(s.hyper["lr"])
    return [(f"{n} ← {n} − α·g = {numbers.num(s.before)} − {lr}·{g}", numbers.num(s.after))]


def _momentum_worked(s, g, numbers):
    n, lr = s.name, numbers.short(s.hyper["lr"])
    return [_velocity_line(s, g, numbers),
            (f"{n} ← {n} − α·V = {numbers.num(s.before)} − {lr}·{numbers.factor(s.state['V'])}",
             numbers.num(s.after))]


def _nesterov_worked(s, g, numbers):
    n, lr, mu = s.name, numbers.short(s.hyper["lr"]), numbers.short(s.hyper["momentum"])
    return [_velocity_line(s, g, numbers),
            (f"{n} ← {n} − α·(g + μ·V) = {numbers.num(s.before)} − {lr}·({g} + {mu}·"
             f"{numbers.factor(s.state['V'])})", numbers.num(s.after))]


# -- the entries -------------------------------------------------------------------------------
SGD = OptimizerEntry(
    name="sgd",
    title=N_("gradient descent (SGD)"),
    defaults=MappingProxyType({"lr": 1e-3, "weight_decay": 0.0}),
    state_names=(),
    update=sgd_update,
    step_size=_same_for_all,
    direction=_gradient,
    step_size_text=_same_for_all_text,
    symbolic=lambda: ["θ ← θ − α·g"],
    worked=_sgd_worked,
    torch="torch.optim.SGD",
    torch_state=MappingProxyType({}),
    same_step_for_all=True,
)

MOMENTUM = OptimizerEntry(
    name="momentum",
    title=N_("SGD with momentum"),
    defaults=MappingProxyType({"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0}),
    state_names=("V",),
    update=momentum_update,
    step_size=_same_for_all,
    direction=_velocity,
    step_size_text=_same_for_all_text,
    symbolic=lambda: [_first_step(), "θ ← θ − α·V"],
    worked=_momentum_worked,
    torch="torch.optim.SGD(momentum=0.9)",
    torch_state=MappingProxyType({"V": "momentum_buffer"}),
    same_step_for_all=True,
)

# Nesterov is momentum that looks ahead along V.
NESTEROV = replace(
    MOMENTUM,
    name="nesterov",
    title=N_("SGD with Nesterov momentum"),
    update=nesterov_update,
    direction=_look_ahead,
    symbolic=lambda: [_first_step(), "θ ← θ − α·(g + μ·V)"],
    worked=_nesterov_worked,
    torch="torch.optim.SGD(momentum=0.9, nesterov=True)",
    validate=_needs_momentum,
)
