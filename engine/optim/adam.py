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
    corrected = hp.get("bias_correction", 1.0)  # off: V and S as they are (divided by 1.0)
    bias_correction1 = 1 - beta1 ** t if corrected else 1.0
    bias_correction2 = 1 - beta2 ** t if corrected else 1.0
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
def _corrected(hp):
    """Whether the step uses the bias-corrected moments (``bias_correction``, on by default)."""
    return bool(hp.get("bias_correction", 1.0))


def _corrections(state, hp):
    """``(1 - β1ᵗ, 1 - β2ᵗ)``; None with the bias correction off."""
    t = state["t"]
    return (1 - hp["beta1"] ** t, 1 - hp["beta2"] ** t) if _corrected(hp) else None


def _used_moments(second):
    """``used(state, hp) -> (V_hat, S_hat)``: the moments the step divides, ``V / (1 - β1ᵗ)``
    and ``<second> / (1 - β2ᵗ)`` (``second``: ``S``, or AMSGrad's ``S_max``), or ``V`` and
    ``<second>`` themselves with the bias correction off; zero before the first step."""
    def used(state, hp):
        S = state[second]
        if state["t"] == 0:
            return np.zeros_like(state["V"]), np.zeros_like(S)
        if not _corrected(hp):
            return state["V"], S
        bc1, bc2 = _corrections(state, hp)
        return state["V"] / bc1, S / bc2
    return used


def _corrected_moments(used):
    """``derive(state, hp)``: ``V_hat`` and ``S_hat`` (see :func:`_used_moments`); none with
    the bias correction off, where the state shows ``V`` and ``S`` unhatted."""
    def derive(state, hp):
        if not _corrected(hp):
            return {}
        V_hat, S_hat = used(state, hp)
        return {"V_hat": V_hat, "S_hat": S_hat}
    return derive


def _names(stored):
    """``state_names_for(hp)``: the ``stored`` arrays, and ``V_hat``, ``S_hat`` when corrected."""
    return lambda hp: (*stored, "V_hat", "S_hat") if _corrected(hp) else stored


def _step_size(used):
    """``α / (√S_hat + ε)``: the direction ``V_hat`` is multiplied by (AdamW's decoupled decay
    ``α λ θ`` comes on top); ``α / (√S + ε)`` with the bias correction off."""
    def step_size(state, hp, size, dtype=np.float64):
        return hp["lr"] / (np.sqrt(used(state, hp)[1]) + hp["eps"])
    return step_size


def _direction(used):
    def direction(theta, grad, state, hp):
        return used(state, hp)[0]
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
        if not _corrected(s.hyper):
            return _worked_uncorrected(s, g, numbers, second, decoupled)
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


def _worked_uncorrected(s, g, numbers, second, decoupled):
    """The worked lines with the bias correction off: the step divides V and S as they are."""
    num, short, factor = numbers.num, numbers.short, numbers.factor
    h, n, st, pv = s.hyper, s.name, s.state, s.prev
    b1, b2, eps, lr = h["beta1"], h["beta2"], short(h["eps"]), short(h["lr"])
    lines = [(_("bias correction off: the step uses V and {second} as they are, not V̂ and Ŝ").format(
        second=second), None),
        (f"V = β1·V + (1−β1)·g = {short(b1)}·{factor(pv['V'])} + {numbers.one_minus(b1)}·{g}", num(st["V"])),
        (f"S = β2·S + (1−β2)·g² = {short(b2)}·{factor(pv['S'])} + {numbers.one_minus(b2)}·{g}²", num(st["S"]))]
    if second == "S_max":
        lines.append((f"S_max = max(S_max, S) = max({num(pv['S_max'])}, {num(st['S'])})", num(st["S_max"])))
    shrink, before, wd = "", num(s.before), h.get("weight_decay", 0.0)
    if decoupled and wd:
        shrink, before = "·(1 − α·λ)", f"{before}·(1 − {lr}·{short(wd)})"
    lines.append((f"{n} ← {n}{shrink} − α·V/(√{second} + ε) = {before} − {lr}·{factor(st['V'])}"
                  f"/(√{num(st[second])} + {eps})", num(s.after)))
    return lines


# -- the entries -------------------------------------------------------------------------------
_DEFAULTS = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}
_USED = _used_moments("S")
_MAX_USED = _used_moments("S_max")
_MOMENTS = _corrected_moments(_USED)
_MAX_MOMENTS = _corrected_moments(_MAX_USED)
_SWITCHES = MappingProxyType({"bias_correction": 1.0})
_TORCH_STATE = {"V": "exp_avg", "S": "exp_avg_sq"}

ADAM = OptimizerEntry(
    name="adam",
    title="Adam",
    defaults=MappingProxyType(dict(_DEFAULTS)),
    state_names=("V", "S", "V_hat", "S_hat"),
    update=adam_update,
    step_size=_step_size(_USED),
    direction=_direction(_USED),
    step_size_text=lambda hp: "α/(√Ŝ+ε)",
    symbolic=_adam_symbolic,
    worked=_worked("S", decoupled=False),
    torch="torch.optim.Adam",
    torch_state=MappingProxyType(dict(_TORCH_STATE)),
    corrections=_corrections,
    derive=_MOMENTS,
    state_names_for=_names(("V", "S")),
    switches=_SWITCHES,
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
    step_size=_step_size(_MAX_USED),
    direction=_direction(_MAX_USED),
    symbolic=_amsgrad_symbolic,
    worked=_worked("S_max", decoupled=False),
    torch="torch.optim.Adam(amsgrad=True)",
    torch_state=MappingProxyType({**_TORCH_STATE, "S_max": "max_exp_avg_sq"}),
    derive=_MAX_MOMENTS,
    state_names_for=_names(("V", "S", "S_max")),
)
