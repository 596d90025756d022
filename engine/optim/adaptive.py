"""Step sizes adapted per parameter by the squared gradients: RMSprop, Adagrad and Adadelta.

Each keeps ``S``, a running mean (RMSprop, Adadelta: PyTorch's ``square_avg``) or a sum (Adagrad,
PyTorch's ``sum``) of squared gradients, and divides the step by ``√S + ε``. RMSprop's ``rho`` is
PyTorch's ``alpha``; Adagrad's initial accumulator is always 0. Adadelta (Zeiler 2012) also keeps
``D``, a running mean of its squared steps (PyTorch's ``acc_delta``), and multiplies by
``√(D + ε)``, so that its step has the parameters' units.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from gradstep.engine.i18n import _
from gradstep.engine.optim.entry import OptimizerEntry
from gradstep.engine.optim.numerics import add_l2, ema_square

__all__ = ["rmsprop_update", "adagrad_update", "adadelta_update", "RMSPROP", "ADAGRAD", "ADADELTA"]


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


def adadelta_update(theta, grad, state, hp):
    """Adadelta (Zeiler 2012; ``torch.optim.Adadelta``): ``S`` is PyTorch's ``square_avg``, ``D``
    its ``acc_delta``::

        S_t = rho S_{t-1} + (1 - rho) g_t^2
        delta_t = sqrt(D_{t-1} + eps) / sqrt(S_t + eps) g_t
        D_t = rho D_{t-1} + (1 - rho) delta_t^2
        theta_t = theta_{t-1} - lr delta_t
    """
    rho, eps = hp["rho"], hp["eps"]
    g = add_l2(grad, theta, hp["weight_decay"])
    S = ema_square(state["S"], g, rho)
    std = S + eps
    np.sqrt(std, out=std)
    delta = state["D"] + eps
    np.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    D = ema_square(state["D"], delta, rho)
    return theta - hp["lr"] * delta, {"t": state["t"] + 1, "S": S, "D": D}


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


def _adadelta_step(theta, grad, state, hp):
    """Adadelta's ``δ = √(D_{t−1} + ε)/√(S_t + ε)·g`` from the state after the step: ``D_{t−1}``
    solved from ``D_t = ρ·D_{t−1} + (1−ρ)·δ²`` (δ² is ``D_{t−1} + ε`` times ``q = g²/(S_t + ε)``)."""
    g = add_l2(grad, theta, hp["weight_decay"])
    rho, eps = hp["rho"], hp["eps"]
    root = np.sqrt(state["S"] + eps)
    q = (g / root) ** 2
    shrink = rho + (1 - rho) * q
    previous = np.divide(state["D"] - (1 - rho) * q * eps, shrink, out=np.zeros_like(q), where=shrink != 0)
    return np.sqrt(np.maximum(previous, 0.0) + eps) / root * g


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


def _adadelta_worked(s, g, numbers):
    num, short, factor = numbers.num, numbers.short, numbers.factor
    h, n, st, pv = s.hyper, s.name, s.state, s.prev
    rho, eps = short(h["rho"]), short(h["eps"])
    delta = -s.delta / h["lr"] if h["lr"] else 0.0
    return [(f"S = ρ·S + (1−ρ)·g² = {rho}·{factor(pv['S'])} + {numbers.one_minus(h['rho'])}·{g}²", num(st["S"])),
            (f"δ = √(D + ε)/√(S + ε)·g = √({num(pv['D'])} + {eps})/√({num(st['S'])} + {eps})·{g} = "
             f"{num(delta)}", None),
            (f"D = ρ·D + (1−ρ)·δ² = {rho}·{factor(pv['D'])} + {numbers.one_minus(h['rho'])}·{factor(delta)}²",
             num(st["D"])),
            (f"{n} ← {n} − α·δ = {num(s.before)} − {short(h['lr'])}·{factor(delta)}", num(s.after))]


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

ADADELTA = OptimizerEntry(
    name="adadelta",
    title="Adadelta",
    defaults=MappingProxyType({"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}),
    state_names=("S", "D"),
    update=adadelta_update,
    step_size=lambda state, hp, size, dtype=np.float64: np.full(size, hp["lr"], dtype),
    direction=_adadelta_step,
    step_size_text=lambda hp: "α",
    symbolic=lambda: [
        "S = ρ·S + (1−ρ)·g²             " + _("a running mean of the squared gradient"),
        "δ = √(D + ε)/√(S + ε)·g         " + _("the step in the parameters' units (D from step t−1)"),
        "D = ρ·D + (1−ρ)·δ²             " + _("a running mean of the squared steps"),
        "θ ← θ − α·δ                    " + _("α scales δ (PyTorch's default is 1)"),
    ],
    worked=_adadelta_worked,
    torch="torch.optim.Adadelta",
    torch_state=MappingProxyType({"S": "square_avg", "D": "acc_delta"}),
    same_step_for_all=True,  # α scales δ, whose size adapts per entry
)
