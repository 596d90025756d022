"""Adam's relatives: Adamax, NAdam and RAdam (``torch.optim.Adamax``, ``NAdam``, ``RAdam``).

Each keeps Adam's first moment ``V`` (PyTorch's ``exp_avg``); they differ in what divides it.

- **Adamax** (Kingma & Ba 2015, section 7) divides by ``U``, an exponentially weighted infinity
  norm of the gradients (PyTorch's ``exp_inf``), ``U = max(β2·U, |g| + ε)``, and corrects only
  the first moment's bias: ``θ ← θ − α/(1−β1ᵗ) · V/U``.
- **NAdam** (Dozat 2016) is Adam with Nesterov momentum: the momentum coefficient ``μₜ =
  β1·(1 − ½·0.96^(t·ψ))`` warms up with ``ψ`` (``momentum_decay``), and the bias correction of
  the first moment is the product ``Πₜ = μ₁·μ₂·…·μₜ`` (PyTorch's ``mu_product``), kept in the
  state as a number beside ``t``. PyTorch keeps it as a scalar tensor of its default dtype, not
  the parameters'; gradstep keeps it in the parameters' dtype, PyTorch's when its default dtype
  is theirs, as in the scripts ``gradstep export --torch`` writes (:func:`mu_product_times`).
  With float64 parameters and PyTorch's default float32, PyTorch's Πₜ is rounded to float32
  and its steps differ from gradstep's in the 8th digit.
- **RAdam** (Liu et al. 2020) is Adam whose adaptive step is switched on only once the variance
  of ``S`` can be estimated: with ``ρ∞ = 2/(1−β2) − 1`` and ``ρₜ = ρ∞ − 2t·β2ᵗ/(1−β2ᵗ)``, a step
  with ``ρₜ > 5`` is rectified by ``rₜ = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ))``, any other is
  plain momentum, ``θ ← θ − α·V̂``. Both are functions of t and β2 (:func:`radam_rectification`).

NAdam and RAdam add L2 weight decay to the gradient, or with ``decoupled_weight_decay = 1``
shrink θ by ``1 − α·λ`` first (as AdamW); Adamax has L2 decay only, as PyTorch's.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import numpy as np

from gradstep.engine.i18n import N_, _
from gradstep.engine.optim.entry import OptimizerEntry
from gradstep.engine.optim.numerics import add_l2, ema_square, lerp

__all__ = ["adamax_update", "nadam_update", "radam_update", "mu_product_times", "nadam_momentum",
           "radam_rectification", "ADAMAX", "NADAM", "RADAM"]


def _decay(theta, grad, hp):
    """``(θ, g)`` after weight decay: decoupled (``θ·(1 − α·λ)``) or L2 (``g + λ·θ``)."""
    weight_decay = hp["weight_decay"]
    if weight_decay == 0:
        return theta, grad
    if hp.get("decoupled_weight_decay", 0.0):
        return theta * (1 - hp["lr"] * weight_decay), grad
    return theta, add_l2(grad, theta, weight_decay)


# -- Adamax ------------------------------------------------------------------------------------
def adamax_update(theta, grad, state, hp):
    """Adamax (``torch.optim.Adamax``): ``V`` is PyTorch's ``exp_avg``, ``U`` its ``exp_inf``::

        V_t = beta1 V_{t-1} + (1 - beta1) g_t
        U_t = max(beta2 U_{t-1}, |g_t| + eps)
        theta_t = theta_{t-1} - lr / (1 - beta1^t) V_t / U_t
    """
    t = state["t"] + 1
    beta1 = hp["beta1"]
    g = add_l2(grad, theta, hp["weight_decay"])
    V = lerp(state["V"], g, 1 - beta1)
    bound = np.abs(g)
    bound += hp["eps"]
    U = state["U"] * hp["beta2"]
    np.maximum(U, bound, out=U)
    clr = hp["lr"] / (1 - beta1 ** t)
    step = V * clr  # addcdiv(V, U, value=-clr): theta + (-clr * V) / U
    step /= U
    return theta - step, {"t": t, "V": V, "U": U}


# -- NAdam -------------------------------------------------------------------------------------
def nadam_momentum(t, hp):
    """NAdam's momentum coefficient ``μₜ = β1·(1 − ½·0.96^(t·ψ))`` at step ``t``."""
    return hp["beta1"] * (1.0 - 0.5 * (0.96 ** (t * hp["momentum_decay"])))


def mu_product_times(product, mu, dtype):
    """``Πₜ = Πₜ₋₁·μₜ`` as PyTorch keeps it: a scalar tensor of its default dtype times a Python
    float, with the default dtype the parameters' ``dtype`` (as ``gradstep export --torch`` sets
    it), returned as a Python float."""
    dtype = np.dtype(dtype).type
    return float(dtype(product) * dtype(mu))


def nadam_update(theta, grad, state, hp):
    """NAdam (``torch.optim.NAdam``): ``V``, ``S`` as Adam's, ``mu_product`` PyTorch's::

        mu_t = beta1 (1 - 0.5 * 0.96^(t psi));  Pi_t = Pi_{t-1} mu_t
        V_t, S_t as in Adam;  denom = sqrt(S_t / (1 - beta2^t)) + eps
        theta_t = theta_{t-1} - lr (1 - mu_t) / (1 - Pi_t) g_t / denom
                              - lr mu_{t+1} / (1 - Pi_t mu_{t+1}) V_t / denom
    """
    t = state["t"] + 1
    beta1, beta2, lr = hp["beta1"], hp["beta2"], hp["lr"]
    theta, g = _decay(theta, grad, hp)
    mu = nadam_momentum(t, hp)
    mu_next = nadam_momentum(t + 1, hp)
    product = mu_product_times(state["mu_product"], mu, grad.dtype)
    V = lerp(state["V"], g, 1 - beta1)
    S = ema_square(state["S"], g, beta2)
    denom = S / (1 - beta2 ** t)
    np.sqrt(denom, out=denom)
    denom += hp["eps"]
    gradient_part = g * (-lr * (1.0 - mu) / (1.0 - product))
    gradient_part /= denom
    new_theta = theta + gradient_part
    momentum_part = V * ((-lr * mu_next) / (1.0 - product * mu_next))
    momentum_part /= denom
    new_theta += momentum_part
    return new_theta, {"t": t, "V": V, "S": S, "mu_product": product}


# -- RAdam -------------------------------------------------------------------------------------
def radam_rectification(t, hp):
    """``(ρₜ, rₜ)`` of RAdam at step ``t``: the approximated simple moving average's length, and
    the rectification factor, None when ``ρₜ ≤ 5`` (the step is then plain momentum)."""
    beta2 = hp["beta2"]
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * (beta2 ** t) / (1 - beta2 ** t)
    if rho_t <= 5.0:
        return rho_t, None
    return rho_t, ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def radam_update(theta, grad, state, hp):
    """RAdam (``torch.optim.RAdam``): ``V``, ``S`` as Adam's::

        V_t, S_t as in Adam;  V_hat = V_t / (1 - beta1^t)
        rho_t > 5:  theta_t = theta_{t-1} - V_hat lr sqrt(1 - beta2^t) / (sqrt(S_t) + eps) r_t
        otherwise:  theta_t = theta_{t-1} - V_hat lr
    """
    t = state["t"] + 1
    beta1, beta2, lr = hp["beta1"], hp["beta2"], hp["lr"]
    theta, g = _decay(theta, grad, hp)
    V = lerp(state["V"], g, 1 - beta1)
    S = ema_square(state["S"], g, beta2)
    step = V / (1 - beta1 ** t)
    step *= lr
    _rho, rect = radam_rectification(t, hp)
    if rect is not None:
        adaptive = np.sqrt(S)
        adaptive += hp["eps"]
        np.divide((1 - beta2 ** t) ** 0.5, adaptive, out=adaptive)
        step *= adaptive
        step *= rect
    return theta - step, {"t": t, "V": V, "S": S}


# -- what the screen shows ---------------------------------------------------------------------
def _adamax_step_size(state, hp, size, dtype=np.float64):
    t = max(state["t"], 1)
    return hp["lr"] / (1 - hp["beta1"] ** t) / state["U"]


def _first_moment(theta, grad, state, hp):
    return state["V"]


def _nadam_direction(theta, grad, state, hp):
    """Dozat's ``m̄ = μₜ₊₁·V/(1 − Πₜ·μₜ₊₁) + (1 − μₜ)·g/(1 − Πₜ)``, what ``α/(√Ŝ + ε)`` multiplies."""
    t = max(state["t"], 1)
    _theta, g = _decay(theta, grad, hp)
    mu, mu_next, product = nadam_momentum(t, hp), nadam_momentum(t + 1, hp), state["mu_product"]
    return mu_next * state["V"] / (1.0 - product * mu_next) + (1.0 - mu) * g / (1.0 - product)


def _nadam_step_size(state, hp, size, dtype=np.float64):
    t = max(state["t"], 1)
    return hp["lr"] / (np.sqrt(state["S"] / (1 - hp["beta2"] ** t)) + hp["eps"])


def _radam_step_size(state, hp, size, dtype=np.float64):
    t = max(state["t"], 1)
    _rho, rect = radam_rectification(t, hp)
    if rect is None:
        return np.full(size, hp["lr"], dtype)
    return hp["lr"] * rect * (1 - hp["beta2"] ** t) ** 0.5 / (np.sqrt(state["S"]) + hp["eps"])


def _radam_derive(state, hp):
    if state["t"] == 0:
        return {"V_hat": np.zeros_like(state["V"]), "S_hat": np.zeros_like(state["S"])}
    t = state["t"]
    return {"V_hat": state["V"] / (1 - hp["beta1"] ** t), "S_hat": state["S"] / (1 - hp["beta2"] ** t)}


def _radam_direction(theta, grad, state, hp):
    return _radam_derive(state, hp)["V_hat"]


def _corrections(state, hp):
    t = state["t"]
    return 1 - hp["beta1"] ** t, 1 - hp["beta2"] ** t


def _decoupled(theta, state, hp):
    if hp.get("decoupled_weight_decay", 0.0):
        return hp["lr"] * hp["weight_decay"] * theta
    return 0.0


def _adamax_notes(state, hp):
    t = state["t"]
    return [("1−β1ᵗ", 1 - hp["beta1"] ** t)] if t else []


def _nadam_notes(state, hp):
    t = state["t"]
    return [("μₜ", nadam_momentum(t, hp)), ("Πₜ", state["mu_product"])] if t else []


def _radam_notes(state, hp):
    t = state["t"]
    if not t:
        return []
    rho, rect = radam_rectification(t, hp)
    return [("ρₜ", rho), ("rₜ", rect)] if rect is not None else [("ρₜ", rho)]


# -- equations ---------------------------------------------------------------------------------
def _decay_line():
    return ("θ ← θ·(1 − α·λ)   " + _("with decoupled_weight_decay: the decay shrinks θ first "
                                     "(else λ·θ is added to g)"))


def _adamax_symbolic():
    return [
        "V = β1·V + (1−β1)·g          " + _("first moment: a running mean of the gradient"),
        "U = max(β2·U, |g| + ε)        " + _("infinity norm: a decaying maximum of |g|"),
        "θ ← θ − α/(1−β1ᵗ) · V/U       " + _("only the first moment is bias-corrected"),
    ]


def _nadam_symbolic():
    return [
        "μₜ = β1·(1 − ½·0.96^(t·ψ))    " + _("the momentum warms up (ψ = momentum_decay)"),
        "Πₜ = μ₁·μ₂·…·μₜ               " + _("the product of the momenta: NAdam's bias correction"),
        "V = β1·V + (1−β1)·g;  S = β2·S + (1−β2)·g²;  Ŝ = S/(1−β2ᵗ)",
        "θ ← θ − α·(1−μₜ)/(1−Πₜ) · g/(√Ŝ + ε) − α·μₜ₊₁/(1−Πₜ·μₜ₊₁) · V/(√Ŝ + ε)",
        _decay_line(),
    ]


def _radam_symbolic():
    return [
        "V = β1·V + (1−β1)·g;  S = β2·S + (1−β2)·g²;  V̂ = V/(1−β1ᵗ)",
        "ρ∞ = 2/(1−β2) − 1;  ρₜ = ρ∞ − 2t·β2ᵗ/(1−β2ᵗ)   " + _("the length of the variance's estimate"),
        "ρₜ > 5:  rₜ = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ));  θ ← θ − α·rₜ·V̂·√(1−β2ᵗ)/(√S + ε)",
        "ρₜ ≤ 5:  θ ← θ − α·V̂           " + _("too early to trust S: plain momentum"),
        _decay_line(),
    ]


def _shrunk(s, numbers):
    """``(θ before as written, the shrink factor's symbols)`` with decoupled decay."""
    h, short = s.hyper, numbers.short
    if h.get("decoupled_weight_decay", 0.0) and h.get("weight_decay", 0.0):
        return f"{numbers.num(s.before)}·(1 − {short(h['lr'])}·{short(h['weight_decay'])})", "·(1 − α·λ)"
    return numbers.num(s.before), ""


def _moment_lines(s, g, numbers, second):
    num, short, factor = numbers.num, numbers.short, numbers.factor
    h, st, pv = s.hyper, s.state, s.prev
    b1, b2 = h["beta1"], h["beta2"]
    lines = [(f"V = β1·V + (1−β1)·g = {short(b1)}·{factor(pv['V'])} + {numbers.one_minus(b1)}·{g}",
              num(st["V"]))]
    if second == "U":
        lines.append((f"U = max(β2·U, |g| + ε) = max({short(b2)}·{num(pv['U'])}, |{g}| + {short(h['eps'])})",
                      num(st["U"])))
    else:
        lines.append((f"S = β2·S + (1−β2)·g² = {short(b2)}·{factor(pv['S'])} + {numbers.one_minus(b2)}·{g}²",
                      num(st["S"])))
    return lines


def _adamax_worked(s, g, numbers):
    num, short, factor = numbers.num, numbers.short, numbers.factor
    n, h, st = s.name, s.hyper, s.state
    bc1 = 1 - h["beta1"] ** s.t
    return [*_moment_lines(s, g, numbers, "U"),
            (f"1−β1ᵗ = 1 − {short(h['beta1'])}^{s.t} = {num(bc1)}", None),
            (f"{n} ← {n} − α/(1−β1ᵗ)·V/U = {num(s.before)} − {short(h['lr'])}/{num(bc1)}·{factor(st['V'])}"
             f"/{num(st['U'])}", num(s.after))]


def _nadam_worked(s, g, numbers):
    num, short, factor = numbers.num, numbers.short, numbers.factor
    n, h, st, t = s.name, s.hyper, s.state, s.t
    mu, mu_next = nadam_momentum(t, h), nadam_momentum(t + 1, h)
    product = s.step.get("Πₜ")
    before, shrink = _shrunk(s, numbers)
    lr, eps = short(h["lr"]), short(h["eps"])
    lines = [(f"μₜ = β1·(1 − ½·0.96^(t·ψ)) = {num(mu)}   μₜ₊₁ = {num(mu_next)}", None)]
    if product is not None:
        lines.append((f"Πₜ = Πₜ₋₁·μₜ = {num(product)}", None))
    lines += _moment_lines(s, g, numbers, "S")
    denom = f"(√({num(st['S'])}/{num(1 - h['beta2'] ** t)}) + {eps})"
    pi = num(product) if product is not None else "Πₜ"
    lines.append((f"{n} ← {n}{shrink} − α·(1−μₜ)/(1−Πₜ)·g/(√Ŝ+ε) − α·μₜ₊₁/(1−Πₜ·μₜ₊₁)·V/(√Ŝ+ε) = "
                  f"{before} − {lr}·{num(1 - mu)}/(1 − {pi})·{g}/{denom} − {lr}·{num(mu_next)}/(1 − {pi}·"
                  f"{num(mu_next)})·{factor(st['V'])}/{denom}", num(s.after)))
    return lines


def _radam_worked(s, g, numbers):
    num, short, factor = numbers.num, numbers.short, numbers.factor
    n, h, st, t = s.name, s.hyper, s.state, s.t
    rho, rect = radam_rectification(t, h)
    before, shrink = _shrunk(s, numbers)
    lr = short(h["lr"])
    lines = [*_moment_lines(s, g, numbers, "S"),
             (f"V̂ = V/(1−β1ᵗ) = {num(st['V'])}/{num(s.bias1)}", num(st["V_hat"]))]
    if rect is None:
        lines.append((f"ρₜ = {num(rho)} ≤ 5: " + _("no rectification yet"), None))
        lines.append((f"{n} ← {n}{shrink} − α·V̂ = {before} − {lr}·{factor(st['V_hat'])}", num(s.after)))
        return lines
    lines.append((f"ρₜ = {num(rho)} > 5:  rₜ = {num(rect)}", None))
    lines.append((f"{n} ← {n}{shrink} − α·rₜ·V̂·√(1−β2ᵗ)/(√S + ε) = {before} − {lr}·{num(rect)}·"
                  f"{factor(st['V_hat'])}·√{num(s.bias2)}/(√{num(st['S'])} + {short(h['eps'])})",
                  num(s.after)))
    return lines


# -- the entries -------------------------------------------------------------------------------
_BETAS = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}

ADAMAX = OptimizerEntry(
    name="adamax",
    title="Adamax",
    defaults=MappingProxyType({"lr": 2e-3, **_BETAS}),
    state_names=("V", "U"),
    update=adamax_update,
    step_size=_adamax_step_size,
    direction=_first_moment,
    step_size_text=lambda hp: "α/((1−β1ᵗ)·U)",
    symbolic=_adamax_symbolic,
    worked=_adamax_worked,
    torch="torch.optim.Adamax",
    torch_state=MappingProxyType({"V": "exp_avg", "U": "exp_inf"}),
    notes=_adamax_notes,
)

NADAM = OptimizerEntry(
    name="nadam",
    title=N_("NAdam (Adam with Nesterov momentum)"),
    defaults=MappingProxyType({"lr": 2e-3, **_BETAS, "momentum_decay": 4e-3, "decoupled_weight_decay": 0.0}),
    state_names=("V", "S"),
    update=nadam_update,
    step_size=_nadam_step_size,
    direction=_nadam_direction,
    step_size_text=lambda hp: "α/(√Ŝ+ε)",
    symbolic=_nadam_symbolic,
    worked=_nadam_worked,
    torch="torch.optim.NAdam",
    torch_state=MappingProxyType({"V": "exp_avg", "S": "exp_avg_sq"}),
    carry=_decoupled,
    scalar_state=MappingProxyType({"mu_product": 1.0}),
    notes=_nadam_notes,
)

RADAM = replace(
    NADAM,
    name="radam",
    title=N_("RAdam (rectified Adam)"),
    defaults=MappingProxyType({"lr": 1e-3, **_BETAS, "decoupled_weight_decay": 0.0}),
    state_names=("V", "S", "V_hat", "S_hat"),
    update=radam_update,
    step_size=_radam_step_size,
    direction=_radam_direction,
    step_size_text=lambda hp: "α·rₜ·√(1−β2ᵗ)/(√S+ε)",
    symbolic=_radam_symbolic,
    worked=_radam_worked,
    torch="torch.optim.RAdam",
    scalar_state=MappingProxyType({}),
    corrections=_corrections,
    derive=_radam_derive,
    notes=_radam_notes,
)

