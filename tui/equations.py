"""The update equations of each optimizer, written in the tutorial's symbols.

:func:`worked_lines` writes one scalar's update for step t with the numbers of the step records
of t - 1 and t substituted into each equation; the value after ``=`` at the end of each line is
the record's own (never recomputed here), so a learner can check every line with a calculator
and find the engine's result. :func:`symbolic_lines` gives the same equations without numbers for
the help screen, and :data:`TUTORIAL_CORRECTIONS` the misreadings the tutorial invites.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradstep.tui.format import num, short
from gradstep.tui.i18n import N_, _

__all__ = ["Scalar", "worked_lines", "symbolic_lines", "TUTORIAL_CORRECTIONS", "OPTIMIZER_TITLES",
           "optimizer_title"]

OPTIMIZER_TITLES = {
    "sgd": N_("gradient descent (SGD)"),
    "momentum": N_("SGD with momentum"),
    "nesterov": N_("SGD with Nesterov momentum"),
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adam": "Adam",
    "adamw": "AdamW",
    "amsgrad": N_("AMSGrad (Adam with amsgrad)"),
}
"""Each optimizer's name on screen (English: translate with :func:`optimizer_title`)."""


def optimizer_title(kind: str) -> str:
    """The name of optimizer ``kind`` in the installed language (``kind`` itself when unknown)."""
    title = OPTIMIZER_TITLES.get(kind)
    return _(title) if title else kind

HYPER_SYMBOLS = {"lr": "α", "beta1": "β1", "beta2": "β2", "eps": "ε", "momentum": "μ",
                 "rho": "ρ", "weight_decay": "λ", "lr_decay": "lr_decay"}
"""How each hyperparameter is written on screen (the tutorial's letters where it has them)."""


@dataclass(frozen=True)
class Scalar:
    """One scalar of a step record and of the record before it.

    Attributes:
        name: What to call it in the equations (``a``, or ``θ`` for an entry of a matrix).
        t: The step.
        g: Its raw gradient at step t.
        before: Its value before step t (the previous record's, or the initial value).
        after: Its value after step t.
        delta: The record's update, ``after - before``.
        prev: The optimizer state before step t by name (``V``, ``S``, ``S_max``).
        state: The state after step t by name (``V``, ``S``, ``V_hat``, ``S_hat``, ``S_max``).
        hyper: The hyperparameters in force at step t.
        bias1: ``1 - β1^t`` from the record (Adam family), else None.
        bias2: ``1 - β2^t`` from the record, else None.
    """

    name: str
    t: int
    g: float
    before: float
    after: float
    delta: float = 0.0
    prev: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    hyper: dict = field(default_factory=dict)
    bias1: float | None = None
    bias2: float | None = None


def _p(x: float) -> str:
    """A number ready to be multiplied: negative ones in parentheses."""
    text = num(x)
    return f"({text})" if text.startswith("-") else text


def _one_minus(x: float) -> str:
    return short(round(1 - x, 12))


def worked_lines(kind: str, s: Scalar) -> list[tuple[str, str | None]]:
    """The update of scalar ``s`` at step ``s.t`` by optimizer ``kind``, numbers substituted.

    Returns:
        ``(equation, result)`` pairs: the equation in symbols with the numbers put in, and the
        record's value it equals (None for a line that only explains).
    """
    h, n, st, pv = s.hyper, s.name, s.state, s.prev
    lines: list[tuple[str, str | None]] = [(f"g = ∂L/∂{n}", num(s.g))]
    wd = h.get("weight_decay", 0.0)
    g = _p(s.g)
    if wd and kind != "adamw":
        g = f"({num(s.g)} + {short(wd)}·{_p(s.before)})"
        lines.append((_("weight decay λ = {wd}: g + λ·{n} = {sum} stands for g below").format(
            wd=short(wd), n=n, sum=g[1:-1]), None))
    lr = short(h["lr"])
    before = num(s.before)
    if kind == "sgd":
        lines.append((f"{n} ← {n} − α·g = {before} − {lr}·{g}", num(s.after)))
    elif kind in ("momentum", "nesterov"):
        mu = short(h["momentum"])
        if s.t == 1:
            lines.append(("V = g  " + _("(PyTorch starts V at the first gradient)"), num(st["V"])))
        else:
            lines.append((f"V = μ·V + g = {mu}·{_p(pv['V'])} + {g}", num(st["V"])))
        if kind == "momentum":
            lines.append((f"{n} ← {n} − α·V = {before} − {lr}·{_p(st['V'])}", num(s.after)))
        else:
            lines.append((f"{n} ← {n} − α·(g + μ·V) = {before} − {lr}·({g} + {mu}·{_p(st['V'])})",
                          num(s.after)))
    elif kind == "rmsprop":
        rho, eps = short(h["rho"]), short(h["eps"])
        root = f"√{num(st['S'])}"
        lines.append((f"S = ρ·S + (1−ρ)·g² = {rho}·{_p(pv['S'])} + {_one_minus(h['rho'])}·{g}²",
                      num(st["S"])))
        if h.get("momentum", 0) > 0:
            mu = short(h["momentum"])
            lines.append((f"V = μ·V + g/(√S + ε) = {mu}·{_p(pv.get('V', 0.0))} + {g}/({root} + {eps})",
                          num(st["V"])))
            lines.append((f"{n} ← {n} − α·V = {before} − {lr}·{_p(st['V'])}", num(s.after)))
        else:
            lines.append((f"{n} ← {n} − α·g/(√S + ε) = {before} − {lr}·{g}/({root} + {eps})",
                          num(s.after)))
    elif kind == "adagrad":
        eps = short(h["eps"])
        lines.append((f"S = S + g² = {num(pv['S'])} + {g}²", num(st["S"])))
        rate = lr
        if h.get("lr_decay", 0):
            rate = f"{lr}/(1 + {s.t - 1}·{short(h['lr_decay'])})"
        lines.append((f"{n} ← {n} − α·g/(√S + ε) = {before} − {rate}·{g}/(√{num(st['S'])} + {eps})",
                      num(s.after)))
    else:  # the Adam family
        b1, b2, eps = h["beta1"], h["beta2"], short(h["eps"])
        lines.append((f"V = β1·V + (1−β1)·g = {short(b1)}·{_p(pv['V'])} + {_one_minus(b1)}·{g}",
                      num(st["V"])))
        lines.append((f"S = β2·S + (1−β2)·g² = {short(b2)}·{_p(pv['S'])} + {_one_minus(b2)}·{g}²",
                      num(st["S"])))
        second = "S"
        if kind == "amsgrad":
            lines.append((f"S_max = max(S_max, S) = max({num(pv['S_max'])}, {num(st['S'])})",
                          num(st["S_max"])))
            second = "S_max"
        lines.append((f"V̂ = V/(1−β1ᵗ) = {num(st['V'])}/{num(s.bias1)}", num(st["V_hat"])))
        lines.append((f"Ŝ = {second}/(1−β2ᵗ) = {num(st[second])}/{num(s.bias2)}", num(st["S_hat"])))
        shrink = ""
        if kind == "adamw" and wd:
            shrink = "·(1 − α·λ)"
            before = f"{before}·(1 − {lr}·{short(wd)})"
        lines.append((f"{n} ← {n}{shrink} − α·V̂/(√Ŝ + ε) = {before} − {lr}·{_p(st['V_hat'])}"
                      f"/(√{num(st['S_hat'])} + {eps})", num(s.after)))
    lines.append((_("Δ{n} = new {n} − old {n}").format(n=n), num(s.delta)))
    return lines


def symbolic_lines(kind: str) -> list[str]:
    """The equations of optimizer ``kind`` for step t, in the tutorial's symbols."""
    adam = [
        "V = β1·V + (1−β1)·g          " + _("first moment: a running mean of the gradient"),
        "S = β2·S + (1−β2)·g²         " + _("second moment: a running mean of the SQUARED gradient"),
        "V̂ = V/(1−β1ᵗ)   Ŝ = S/(1−β2ᵗ)   " + _("bias corrections, used for the update only"),
        "θ ← θ − α·V̂/(√Ŝ + ε)",
    ]
    first_step = "V = μ·V + g        " + _("(V = g at the first step, as in PyTorch)")
    table = {
        "sgd": ["θ ← θ − α·g"],
        "momentum": [first_step, "θ ← θ − α·V"],
        "nesterov": [first_step, "θ ← θ − α·(g + μ·V)"],
        "rmsprop": ["S = ρ·S + (1−ρ)·g²",
                    "θ ← θ − α·g/(√S + ε)",
                    _("with momentum μ > 0:") + "  V = μ·V + g/(√S + ε);  θ ← θ − α·V"],
        "adagrad": ["S = S + g²",
                    "θ ← θ − α_t·g/(√S + ε),   α_t = α/(1 + (t−1)·lr_decay)"],
        "adam": adam,
        "adamw": ["θ ← θ·(1 − α·λ)               " + _("decoupled weight decay, before the Adam step"),
                  *adam[:3], "θ ← θ − α·V̂/(√Ŝ + ε)   " + _("with V, S from the raw g")],
        "amsgrad": [*adam[:2], "S_max = max(S_max, S)",
                    "V̂ = V/(1−β1ᵗ)   Ŝ = S_max/(1−β2ᵗ)", adam[3]],
    }
    lines = ["g = ∂L/∂θ, " + _("the gradient of the loss at the parameters before step t"), *table[kind]]
    if kind != "adamw":
        lines.append(_("weight decay λ > 0 adds λ·θ to g first (L2 regularisation, as PyTorch)"))
    return lines


TUTORIAL_CORRECTIONS = [
    (N_("V uses only g:"),
     N_("the tutorial's formula for V has S inside the recursion. Correct (Kingma & Ba 2015, "
        "torch.optim.Adam): V = β1·V + (1−β1)·g.")),
    (N_("S is not a second derivative:"),
     N_("Adam never uses second derivatives. S is the running mean of the squared first "
        "derivative: S = β2·S + (1−β2)·g².")),
    (N_("Bias correction stays outside the recursion:"),
     N_("the raw V and S are carried to the next step; only the update uses the corrected copies "
        "V̂ = V/(1−β1ᵗ), Ŝ = S/(1−β2ᵗ).")),
    (N_("g(h1(a, b), h2(c, d)) is not convolutional:"),
     N_("it is a fully connected two-layer network; back-propagation runs last layer to first with "
        "the chain rule, ∂g/∂a = ∂g/∂h1 · ∂h1/∂a.")),
]
"""Where the tutorial this project grew from is wrong, and what is right (shown in help; English,
translated with ``_()`` where shown)."""
