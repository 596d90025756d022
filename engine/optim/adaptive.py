"""Step sizes adapted per parameter by the squared gradients: RMSprop and Adagrad.

Both keep ``S``, a running mean (RMSprop, PyTorch's ``square_avg``) or a sum (Adagrad, PyTorch's
``sum``) of squared gradients, and divide the step by ``√S + ε``. RMSprop's ``rho`` is PyTorch's
``alpha``; Adagrad's initial accumulator is always 0.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from gradstep.engine.i18n import _
from gradstep.engine.optim.entry import OptimizerEntry
from gradstep.engine.optim.numerics import add_l2, ema_square

__all__ = ["rmsprop_update", "adagrad_update", "RMSPROP", "ADAGRAD"]


def rmsprop_update(theta, grad, state, hp):
    """RMSprop (Hinton's lecture 6e; ``torch.optim.RMSprop(alpha=rho)``, not centred).

    ``S`` is PyTorch's ``square_avg``; ``V`` (only when ``momentum > 0``) its
    ``momentum_buffer``::

        S_t = rho S_{t-1} + (1 - rho) g_t^2
        theta_t = theta_{t-1} - lr g_t / (sqrt(S_t) + eps)            (momentum = 0)
        V_t = momentum V_{t-1} + g_t / (sqrt(S_t) + eps);  theta_t = theta_{t-1} - lr V_t
    """
    g = add_l2(grad, theta, hp["weight_decay"])
    S = ema_square(state["S"], g, hp["rho"])
    avg = np.sqrt(S)
    avg += hp["eps"]
    step = g / avg
    new_state = {"t": state["t"] + 1, "S": S}
    momentum = hp["momentum"]
    if momentum > 0:
        V = state.get("V")
        step = step if V is None else V * momentum + step
        new_state["V"] = step
    return theta - hp["lr"] * step, new_state


def adagrad_update(theta, grad, state, hp):
    """Adagrad (Duchi et al. 2011; ``torch.optim.Adagrad``, initial accumulator 0).

    ``S`` is PyTorch's ``sum``::

        S_t = S_{t-1} + g_t^2
        lr_t = lr / (1 + (t - 1) lr_decay)
        theta_t = theta_{t-1} - lr_t g_t / (sqrt(S_t) + eps)
    """
    t = state["t"] + 1
    g = add_l2(grad, theta, hp["weight_decay"])
    clr = hp["lr"] / (1 + (t - 1) * hp["lr_decay"])
    S = g * g
    S += state["S"]
    std = np.sqrt(S)
    std += hp["eps"]
    step = g / std
    step *= clr
    return theta - step, {"t": t, "S": S}


# -- step size and direction -------------------------------------------------------------------
def _rmsprop_step_size(state, hp, size, dtype=np.float64):
    return hp["lr"] / (np.sqrt(state["S"]) + hp["eps"])


def _adagrad_step_size(state, hp, size, dtype=np.float64):
    clr = hp["lr"] / (1 + (max(state["t"], 1) - 1) * hp.get("lr_decay", 0.0))
    return clr / (np.sqrt(state["S"]) + hp["eps"])


def _gradient(theta, grad, state, hp):
    return add_l2(grad, theta, hp["weight_decay"])


def _velocity_carried(theta, state, hp):
    # With momentum, V_t = μ V_{t-1} + g/(√S + ε): the step α V_t is α_eff g plus α μ V_{t-1}.
    V = state.get("V")
    return 0.0 if hp["momentum"] <= 0 or V is None else hp["lr"] * hp["momentum"] * V


def _rmsprop_state(hp):
    # With momentum RMSprop also keeps a velocity, shown after S.
    return ("S", "V") if hp["momentum"] > 0 else ("S",)


def _adagrad_step_size_text(hp):
    return "α/(1+(t−1)·lr_decay)/(√S+ε)" if hp.get("lr_decay") else "α/(√S+ε)"


# -- equations ---------------------------------------------------------------------------------
def _rmsprop_symbolic():
    return ["S = ρ·S + (1−ρ)·g²",
            "θ ← θ − α·g/(√S + ε)",
            _("with momentum μ > 0:") + "  V = μ·V + g/(√S + ε);  θ ← θ − α·V"]


def _rmsprop_worked(s, g, numbers):
    num, short, factor = numbers.num, numbers.short, numbers.factor
    h, n, st, pv = s.hyper, s.name, s.state, s.prev
    lr, before = short(h["lr"]), num(s.before)
    rho, eps = short(h["rho"]), short(h["eps"])
    root = f"√{num(st['S'])}"
    lines = [(f"S = ρ·S + (1−ρ)·g² = {rho}·{factor(pv['S'])} + {numbers.one_minus(h['rho'])}·{g}²",
              num(st["S"]))]
    if h.get("momentum", 0) > 0:
        mu = short(h["momentum"])
        lines.append((f"V = μ·V + g/(√S + ε) = {mu}·{factor(pv.get('V', 0.0))} + {g}/({root} + {eps})",
                      num(st["V"])))
        lines.append((f"{n} ← {n} − α·V = {before} − {lr}·{factor(st['V'])}", num(s.after)))
    else:
        lines.append((f"{n} ← {n} − α·g/(√S + ε) = {before} − {lr}·{g}/({root} + {eps})",
                      num(s.after)))
    return lines


def _adagrad_worked(s, g, numbers):
    num, short = numbers.num, numbers.short
    h, n, st = s.hyper, s.name, s.state
    lr, eps = short(h["lr"]), short(h["eps"])
    rate = lr
    if h.get("lr_decay", 0):
        rate = f"{lr}/(1 + {s.t - 1}·{short(h['lr_decay'])})"
    return [(f"S = S + g² = {num(s.prev['S'])} + {g}²", num(st["S"])),
            (f"{n} ← {n} − α·g/(√S + ε) = {num(s.before)} − {rate}·{g}/(√{num(st['S'])} + {eps})",
             num(s.after))]


# -- the entries -------------------------------------------------------------------------------
RMSPROP = OptimizerEntry(
    name="rmsprop",
    title="RMSprop",
    defaults=MappingProxyType({"lr": 1e-2, "rho": 0.99, "eps": 1e-8, "momentum": 0.0,
                               "weight_decay": 0.0}),
    state_names=("S",),
    update=rmsprop_update,
    step_size=_rmsprop_step_size,
    direction=_gradient,
    step_size_text=lambda hp: "α/(√S+ε)",
    symbolic=_rmsprop_symbolic,
    worked=_rmsprop_worked,
    torch="torch.optim.RMSprop",
    torch_state=MappingProxyType({"S": "square_avg", "V": "momentum_buffer"}),
    carry=_velocity_carried,
    state_names_for=_rmsprop_state,
)

ADAGRAD = OptimizerEntry(
    name="adagrad",
    title="Adagrad",
    defaults=MappingProxyType({"lr": 1e-2, "lr_decay": 0.0, "eps": 1e-10, "weight_decay": 0.0}),
    state_names=("S",),
    update=adagrad_update,
    step_size=_adagrad_step_size,
    direction=_gradient,
    step_size_text=_adagrad_step_size_text,
    symbolic=lambda: ["S = S + g²", "θ ← θ − α_t·g/(√S + ε),   α_t = α/(1 + (t−1)·lr_decay)"],
    worked=_adagrad_worked,
    torch="torch.optim.Adagrad",
    torch_state=MappingProxyType({"S": "sum"}),
)
