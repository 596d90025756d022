"""The Adam family: Adam, AdamW and AMSGrad (``torch.optim.Adam``, ``torch.optim.AdamW``).

Each keeps a first moment ``V`` (PyTorch's ``exp_avg``) and a second moment ``S``
(``exp_avg_sq``), and shows their bias-corrected copies ``V_hat = V / (1 - β1ᵗ)``,
``S_hat = S / (1 - β2ᵗ)``, which only the step uses (AMSGrad corrects its running maximum
``S_max``, PyTorch's ``max_exp_avg_sq``, instead of ``S``). ``beta1`` and ``beta2`` are PyTorch's
``betas``. Adam and AMSGrad add L2 weight decay to the gradient; AdamW's decay is decoupled
(Loshchilov & Hutter): ``θ ← θ (1 - α λ)`` before the Adam step.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import numpy as np

from gradstep.engine.i18n import N_, _
from gradstep.engine.optim.entry import OptimizerEntry
from gradstep.engine.optim.numerics import add_l2, ema_square, lerp

__all__ = ["adam_update", "adamw_update", "amsgrad_update", "ADAM", "ADAMW", "AMSGRAD"]


def _adam_step(theta, g, state, hp, t, amsgrad):
    """The Adam step shared by the family, on an already decayed ``theta`` / regularised ``g``."""
    beta1 = hp["beta1"]
    beta2 = hp["beta2"]
    V = lerp(state["V"], g, 1 - beta1)
    S = ema_square(state["S"], g, beta2)
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    step_size = hp["lr"] / bias_correction1
    if amsgrad:
        S_max = np.maximum(state["S_max"], S)
        denom = np.sqrt(S_max)
    else:
        denom = np.sqrt(S)
    denom /= bias_correction2 ** 0.5
    denom += hp["eps"]
    step = np.divide(V, denom, out=denom)
    step *= step_size
    new_state = {"t": t, "V": V, "S": S}
    if amsgrad:
        new_state["S_max"] = S_max
    return theta - step, new_state


def adam_update(theta, grad, state, hp):
    """Adam (Kingma & Ba 2015; ``torch.optim.Adam``), L2 weight decay added to the gradient.

    ``V`` is PyTorch's ``exp_avg``, ``S`` its ``exp_avg_sq``::

        V_t = beta1 V_{t-1} + (1 - beta1) g_t
        S_t = beta2 S_{t-1} + (1 - beta2) g_t^2
        V_hat = V_t / (1 - beta1^t);  S_hat = S_t / (1 - beta2^t)
        theta_t = theta_{t-1} - lr V_hat / (sqrt(S_hat) + eps)

    computed as PyTorch does: ``denom = sqrt(S_t) / sqrt(1 - beta2^t) + eps`` and
    ``theta_t = theta_{t-1} - (lr / (1 - beta1^t)) V_t / denom``.
    """
    t = state["t"] + 1
    g = add_l2(grad, theta, hp["weight_decay"])
    return _adam_step(theta, g, state, hp, t, False)


def amsgrad_update(theta, grad, state, hp):
    """AMSGrad (Reddi et al. 2018; ``torch.optim.Adam(amsgrad=True)``), L2 weight decay.

    ``V``, ``S`` as in :func:`adam_update`; ``S_max`` is PyTorch's ``max_exp_avg_sq``::

        S_max_t = max(S_max_{t-1}, S_t)
        theta_t = theta_{t-1} - lr V_hat / (sqrt(S_max_t / (1 - beta2^t)) + eps)
    """
    t = state["t"] + 1
    g = add_l2(grad, theta, hp["weight_decay"])
    return _adam_step(theta, g, state, hp, t, True)


def adamw_update(theta, grad, state, hp):
    """AdamW (Loshchilov & Hutter 2019; ``torch.optim.AdamW``): Adam with decoupled decay.

    ``V`` is PyTorch's ``exp_avg``, ``S`` its ``exp_avg_sq``. The decay shrinks the parameters
    directly instead of entering the moments::

        theta' = theta_{t-1} (1 - lr weight_decay)
        V_t, S_t, V_hat, S_hat as in Adam, from the raw g_t
        theta_t = theta' - lr V_hat / (sqrt(S_hat) + eps)
    """
    t = state["t"] + 1
    weight_decay = hp["weight_decay"]
    if weight_decay != 0:
        theta = theta * (1 - hp["lr"] * weight_decay)
    return _adam_step(theta, grad, state, hp, t, False)


# -- bias corrections, step size and direction ---------------------------------------------------
def _corrections(state, hp):
    t = state["t"]
    return 1 - hp["beta1"] ** t, 1 - hp["beta2"] ** t


def _corrected_moments(second):
    """``derive(state, hp)``: ``V_hat = V / (1 - β1ᵗ)`` and ``S_hat = <second> / (1 - β2ᵗ)``
    (``second`` is the moment the step divides by: ``S``, or AMSGrad's ``S_max``); zero before
    the first step."""
    def derive(state, hp):
        S = state[second]
        if state["t"] == 0:
            return {"V_hat": np.zeros_like(state["V"]), "S_hat": np.zeros_like(S)}
        bc1, bc2 = _corrections(state, hp)
        return {"V_hat": state["V"] / bc1, "S_hat": S / bc2}
    return derive


def _step_size(derive):
    """``α / (√S_hat + ε)``: the direction ``V_hat`` is multiplied by (AdamW's decoupled decay
    ``α λ θ`` comes on top)."""
    def step_size(state, hp, size, dtype=np.float64):
        return hp["lr"] / (np.sqrt(derive(state, hp)["S_hat"]) + hp["eps"])
    return step_size


def _direction(derive):
    def direction(theta, grad, state, hp):
        return derive(state, hp)["V_hat"]
    return direction


def _decoupled_decay(theta, state, hp):
    return hp["lr"] * hp["weight_decay"] * theta


# -- equations ---------------------------------------------------------------------------------
def _adam_symbolic():
    return [
        "V = β1·V + (1−β1)·g          " + _("first moment: a running mean of the gradient"),
        "S = β2·S + (1−β2)·g²         " + _("second moment: a running mean of the SQUARED gradient"),
        "V̂ = V/(1−β1ᵗ)   Ŝ = S/(1−β2ᵗ)   " + _("bias corrections, used for the update only"),
        "θ ← θ − α·V̂/(√Ŝ + ε)",
    ]


def _adamw_symbolic():
    adam = _adam_symbolic()
    return ["θ ← θ·(1 − α·λ)               " + _("decoupled weight decay, before the Adam step"),
            *adam[:3], "θ ← θ − α·V̂/(√Ŝ + ε)   " + _("with V, S from the raw g")]


def _amsgrad_symbolic():
    adam = _adam_symbolic()
    return [*adam[:2], "S_max = max(S_max, S)", "V̂ = V/(1−β1ᵗ)   Ŝ = S_max/(1−β2ᵗ)", adam[3]]


def _worked(second, decoupled):
    """The worked lines of an Adam whose step divides by ``second`` (``S`` or ``S_max``), with
    AdamW's decoupled decay when ``decoupled``."""
    def worked(s, g, numbers):
        num, short, factor = numbers.num, numbers.short, numbers.factor
        h, n, st, pv = s.hyper, s.name, s.state, s.prev
        b1, b2, eps, lr = h["beta1"], h["beta2"], short(h["eps"]), short(h["lr"])
        lines = [
            (f"V = β1·V + (1−β1)·g = {short(b1)}·{factor(pv['V'])} + {numbers.one_minus(b1)}·{g}",
             num(st["V"])),
            (f"S = β2·S + (1−β2)·g² = {short(b2)}·{factor(pv['S'])} + {numbers.one_minus(b2)}·{g}²",
             num(st["S"])),
        ]
        if second == "S_max":
            lines.append((f"S_max = max(S_max, S) = max({num(pv['S_max'])}, {num(st['S'])})",
                          num(st["S_max"])))
        lines.append((f"V̂ = V/(1−β1ᵗ) = {num(st['V'])}/{num(s.bias1)}", num(st["V_hat"])))
        lines.append((f"Ŝ = {second}/(1−β2ᵗ) = {num(st[second])}/{num(s.bias2)}", num(st["S_hat"])))
        shrink, before = "", num(s.before)
        wd = h.get("weight_decay", 0.0)
        if decoupled and wd:
            shrink = "·(1 − α·λ)"
            before = f"{before}·(1 − {lr}·{short(wd)})"
        lines.append((f"{n} ← {n}{shrink} − α·V̂/(√Ŝ + ε) = {before} − {lr}·{factor(st['V_hat'])}"
                      f"/(√{num(st['S_hat'])} + {eps})", num(s.after)))
        return lines
    return worked


# -- the entries -------------------------------------------------------------------------------
_DEFAULTS = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}
_MOMENTS = _corrected_moments("S")
_MAX_MOMENTS = _corrected_moments("S_max")
_TORCH_STATE = {"V": "exp_avg", "S": "exp_avg_sq"}

ADAM = OptimizerEntry(
    name="adam",
    title="Adam",
    defaults=MappingProxyType(dict(_DEFAULTS)),
    state_names=("V", "S", "V_hat", "S_hat"),
    update=adam_update,
    step_size=_step_size(_MOMENTS),
    direction=_direction(_MOMENTS),
    step_size_text=lambda hp: "α/(√Ŝ+ε)",
    symbolic=_adam_symbolic,
    worked=_worked("S", decoupled=False),
    torch="torch.optim.Adam",
    torch_state=MappingProxyType(dict(_TORCH_STATE)),
    corrections=_corrections,
    derive=_MOMENTS,
)

# AdamW and AMSGrad are Adam with what the replacements say.
ADAMW = replace(
    ADAM,
    name="adamw",
    title="AdamW",
    defaults=MappingProxyType({**_DEFAULTS, "weight_decay": 1e-2}),
    update=adamw_update,
    symbolic=_adamw_symbolic,
    worked=_worked("S", decoupled=True),
    torch="torch.optim.AdamW",
    carry=_decoupled_decay,
    decoupled_decay=True,
)

AMSGRAD = replace(
    ADAM,
    name="amsgrad",
    title=N_("AMSGrad (Adam with amsgrad)"),
    state_names=("V", "S", "S_max", "V_hat", "S_hat"),
    update=amsgrad_update,
    step_size=_step_size(_MAX_MOMENTS),
    direction=_direction(_MAX_MOMENTS),
    symbolic=_amsgrad_symbolic,
    worked=_worked("S_max", decoupled=False),
    torch="torch.optim.Adam(amsgrad=True)",
    torch_state=MappingProxyType({**_TORCH_STATE, "S_max": "max_exp_avg_sq"}),
    derive=_MAX_MOMENTS,
)
