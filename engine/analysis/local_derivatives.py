"""Local derivatives: what each operation of the autodiff graph contributes to the chain rule.

:func:`local_derivative` reads one node of a recorded graph (its ``_op``, ``_ctx``, its parents'
``data`` and its own) and states the derivative of the node with respect to one operand, as a
formula and as numbers. :func:`push_tangent` applies that derivative to a tangent (forward
mode): given d(operand)/dp it returns d(node)/dp. The conventions at kinks are the engine's
(PyTorch's): ``relu'(0) = 0``, ``abs'(0) = 0``, a tie in ``maximum`` splits in half, ``clip``
passes the gradient at its bounds.

Three kinds of local derivative:

- ``elementwise``: ``value`` broadcasts against the node; entry i of the node depends on entry i
  of the operand only, with derivative ``value[i]`` (the Jacobian is diagonal);
- ``reduce``: the node is a reduction (``sum``, ``mean``, a loss); ``value`` is d(node)/d(operand
  entry), shaped like the operand or a single number when it is the same for every entry;
- ``map``: a linear map that moves or mixes entries (``matmul``, ``linear``, ``reshape``,
  ``transpose``, ``log_softmax``); ``value`` is the matrix the tangent is multiplied by (or 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstep.engine.i18n import N_, _
from gradstep.engine.model.losses import match_target

__all__ = ["Local", "local_derivative", "push_tangent", "OPS", "ELEMENTWISE", "LOSS_OPS"]

LOSS_OPS = frozenset({"mse", "mae", "huber", "bce_logits", "cross_entropy"})
"""The fused loss nodes (their ``_ctx`` is the target)."""

ELEMENTWISE = frozenset({
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tan",
    "tanh", "sigmoid", "relu", "leaky_relu", "elu", "softplus", "maximum", "minimum", "clip",
})
"""Operations whose output entry i depends on entry i of each (broadcast) operand only."""

OPS = ELEMENTWISE | LOSS_OPS | {"sum", "mean", "reshape", "transpose", "matmul", "linear", "log_softmax"}
"""Every operation :func:`local_derivative` knows."""


@dataclass(frozen=True)
class Local:
    """The derivative of one node with respect to one of its operands.

    Attributes:
        symbol: What is differentiated, with ``u`` (``v``) for the first (second) operand,
            e.g. ``∂(u²)/∂u``.
        formula: The derivative as a formula of the operands, e.g. ``2u``.
        kind: ``elementwise``, ``reduce`` or ``map`` (see the module docstring).
        value: The derivative's numbers: an array, or a float when it is one number.
    """

    symbol: str
    formula: str
    kind: str
    value: object


_SUP = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


def _power_text(base, k):
    if float(k).is_integer() and abs(k) < 100:
        return f"{base}{str(int(k)).translate(_SUP)}"
    return f"{base}^{k:g}"


def _where(cond, a, b, dtype):
    out = np.where(cond, a, b).astype(dtype)
    return out[()] if out.ndim == 0 else out


def local_derivative(node, parent_index=0):
    """d(node)/d(operand number ``parent_index``) for a node of a recorded graph.

    Raises:
        ValueError: For a leaf, an unknown operation or an operand it does not have.
    """
    op, prev = node._op, node._prev
    if op not in OPS:
        raise ValueError(f"no local derivative for operation {op or 'leaf'!r}")
    if not 0 <= parent_index < len(prev):
        raise ValueError(f"{op} has {len(prev)} operand(s); asked for number {parent_index}")
    k = parent_index
    u = prev[0].data
    v = prev[1].data if len(prev) > 1 else None
    out = node.data
    dt = np.result_type(out)
    wrt = "∂u" if k == 0 else "∂v"
    if op in _SIMPLE:
        symbol, formula, fn = _SIMPLE[op]
        return Local(symbol, _(formula), "elementwise", fn(u, out, node._ctx, dt))
    if op in ("add", "sub"):
        sign = "+" if op == "add" else "-"
        neg = op == "sub" and k == 1
        return Local(f"∂(u {sign} v)/{wrt}", "-1" if neg else "1", "elementwise", -1.0 if neg else 1.0)
    if op == "mul":
        return Local(f"∂(u·v)/{wrt}", "v" if k == 0 else "u", "elementwise", v if k == 0 else u)
    if op == "div":
        if k == 0:
            return Local("∂(u/v)/∂u", "1/v", "elementwise", 1.0 / v)
        return Local("∂(u/v)/∂v", "-u/v²", "elementwise", -u / (v * v))
    if op == "pow":
        return _pow(node, k, u, v, out, dt)
    if op in ("maximum", "minimum"):
        wins = np.greater if op == "maximum" else np.less
        share = np.where(wins(u, v), 1.0, np.where(u == v, 0.5, 0.0)).astype(np.result_type(u, v))
        name, cmp = ("max", ">") if op == "maximum" else ("min", "<")
        if k == 1:
            share = 1.0 - share
        first, second = ("u", "v") if k == 0 else ("v", "u")
        return Local(f"∂{name}(u, v)/{wrt}",
                     _("1 if {first} {cmp} {second}, ½ if u = v, else 0")
                     .format(first=first, cmp=cmp, second=second),
                     "elementwise", share[()] if share.ndim == 0 else share)
    if op == "sum":
        return Local("∂sum(u)/∂uᵢ", "1", "reduce", 1.0)
    if op == "mean":
        axes = node._ctx[0]
        shape = np.shape(u)
        count = int(np.prod([shape[i] for i in axes])) if axes is not None else int(np.size(u))
        return Local("∂mean(u)/∂uᵢ", f"1/N (N = {count})", "reduce", 1.0 / count)
    if op in ("reshape", "transpose"):
        return Local(f"∂{op}(u)/∂u", _("1 (entries move; values do not change)"), "map", 1.0)
    if op == "matmul":
        if k == 0:
            return Local("∂(U @ V)/∂U", "dU ↦ dU @ V", "map", v)
        return Local("∂(U @ V)/∂V", "dV ↦ U @ dV", "map", u)
    if op == "linear":
        return (Local("∂(x @ W + b)/∂x", "dx ↦ dx @ W", "map", v),
                Local("∂(x @ W + b)/∂W", "dW ↦ x @ dW", "map", u),
                Local("∂(x @ W + b)/∂b", _("1 (b is added to every row)"), "map", 1.0))[k]
    if op == "log_softmax":
        return Local("∂log_softmax(u)/∂u", "du ↦ du - Σ softmax(u)·du", "map", np.exp(out))
    return _loss(op, u, node._ctx)


def _pow(node, k, u, v, out, dt):
    if v is None:  # a number as the exponent, kept in _ctx
        e = node._ctx
        symbol = f"∂({_power_text('u', e)})/∂u"
        if e == 0.0:
            return Local(symbol, "0", "elementwise", 0.0)
        if e == 2.0:
            return Local(symbol, "2u", "elementwise", 2.0 * u)
        return Local(symbol, f"{e:g}·{_power_text('u', e - 1.0)}", "elementwise",
                     e * u ** np.result_type(u).type(e - 1.0))
    if k == 0:
        return Local("∂(uᵛ)/∂u", "v·uᵛ⁻¹", "elementwise", _where(v == 0, 0.0, v * u ** (v - 1), dt))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = out * np.log(u)
    return Local("∂(uᵛ)/∂v", "uᵛ·ln u", "elementwise", _where((u == 0) & (v >= 0), 0.0, d, dt))


def _softplus(u, out, ctx, dt):
    beta, threshold = ctx
    bx = u * beta
    with np.errstate(over="ignore"):
        z = np.exp(np.minimum(bx, threshold))
    return _where(bx > threshold, 1.0, z / (z + 1.0), dt)


def _clip(u, out, ctx, dt):
    low, high = ctx
    inside = np.ones(np.shape(u), dtype=bool)
    if low is not None:
        inside &= u >= low
    if high is not None:
        inside &= u <= high
    return _where(inside, 1.0, 0.0, dt)


# op -> (symbol, formula, f(u, out, ctx, dtype) -> derivative), for one-operand elementwise ops;
# formulas with words in them are marked for translation and translated when a Local is made.
_SIMPLE = {
    "neg": ("∂(-u)/∂u", "-1", lambda u, o, c, dt: -1.0),
    "exp": ("∂exp(u)/∂u", "exp(u)", lambda u, o, c, dt: o),
    "log": ("∂log(u)/∂u", "1/u", lambda u, o, c, dt: 1.0 / u),
    "sqrt": ("∂√u/∂u", "1/(2√u)", lambda u, o, c, dt: 0.5 / o),
    "abs": ("∂|u|/∂u", "sign(u)", lambda u, o, c, dt: np.sign(u)),
    "sin": ("∂sin(u)/∂u", "cos(u)", lambda u, o, c, dt: np.cos(u)),
    "cos": ("∂cos(u)/∂u", "-sin(u)", lambda u, o, c, dt: -np.sin(u)),
    "tan": ("∂tan(u)/∂u", "1 + tan²(u)", lambda u, o, c, dt: 1.0 + o * o),
    "tanh": ("∂tanh(u)/∂u", "1 - tanh²(u)", lambda u, o, c, dt: 1.0 - o * o),
    "sigmoid": ("∂σ(u)/∂u", "σ(u)(1 - σ(u))", lambda u, o, c, dt: o * (1.0 - o)),
    "relu": ("∂relu(u)/∂u", N_("1 if u > 0 else 0"),
             lambda u, o, c, dt: _where(u > 0, 1.0, 0.0, dt)),
    "leaky_relu": ("∂leaky_relu(u)/∂u", N_("1 if u > 0 else the slope"),
                   lambda u, o, c, dt: _where(u > 0, 1.0, c, dt)),
    "elu": ("∂elu(u)/∂u", N_("1 if u > 0 else α·exp(u)"),
            lambda u, o, c, dt: _where(u > 0, 1.0, c * (np.expm1(np.minimum(u, 0)) + 1.0), dt)),
    "softplus": ("∂softplus(u)/∂u", N_("σ(βu) (1 where βu > threshold)"), _softplus),
    "clip": ("∂clip(u)/∂u", N_("1 if low ≤ u ≤ high else 0"), _clip),
}


def _loss(op, p, target):
    """dL/dŷ of a fused loss node, from the prediction ``p`` and the target in ``_ctx``."""
    n = p.size
    symbol = f"∂{op}(ŷ, y)/∂ŷ"
    if op == "cross_entropy":
        rows = p.shape[0]
        shifted = p - np.max(p, axis=1, keepdims=True)
        probs = np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True)))
        if np.issubdtype(target.dtype, np.integer):
            onehot = np.zeros_like(p)
            onehot[np.arange(rows), target.reshape(rows)] = 1
        else:
            onehot = target.astype(p.dtype, copy=False).reshape(p.shape)
        value = (probs * np.sum(onehot, axis=1, keepdims=True) - onehot) / rows
        return Local(symbol, f"(softmax(ŷ) - onehot(y))/n (n = {rows})", "reduce", value)
    y = match_target(p.shape, target).astype(p.dtype, copy=False)
    diff = p - y
    if op == "mse":
        return Local(symbol, f"2(ŷ - y)/N (N = {n})", "reduce", (2.0 / n) * diff)
    if op == "mae":
        return Local(symbol, f"sign(ŷ - y)/N (N = {n})", "reduce", np.sign(diff) / n)
    if op == "huber":
        return Local(symbol, f"clip(ŷ - y, -1, 1)/N (N = {n})", "reduce", np.clip(diff, -1.0, 1.0) / n)
    z = np.exp(-np.abs(p))
    sigmoid = np.where(p >= 0, 1 / (1 + z), z / (1 + z))
    return Local(symbol, f"(σ(ŷ) - y)/N (N = {n})", "reduce", (sigmoid - y) / n)


def push_tangent(node, parent_index, local, tangent):
    """Forward mode through one edge: d(node)/dp from ``tangent`` = d(operand)/dp.

    Args:
        node: The node.
        parent_index: Which operand the tangent belongs to.
        local: ``local_derivative(node, parent_index)``.
        tangent: d(operand)/dp for one scalar p, shaped like the operand.
    """
    op, value = node._op, local.value
    shape = np.shape(node.data)
    if local.kind == "elementwise":
        return np.broadcast_to(tangent * value, shape)
    if op == "sum":
        axes, keepdims = node._ctx
        return np.sum(tangent, axis=axes, keepdims=keepdims)
    if op == "mean":
        axes, keepdims = node._ctx
        return np.mean(tangent, axis=axes, keepdims=keepdims)
    if op in LOSS_OPS:
        return np.sum(value * np.reshape(tangent, np.shape(value)))
    if op == "reshape":
        return np.reshape(tangent, shape)
    if op == "transpose":
        return np.transpose(tangent, node._ctx)
    if op == "matmul":
        return tangent @ value if parent_index == 0 else value @ tangent
    if op == "linear":
        if parent_index == 0:
            return tangent @ value
        if parent_index == 1:
            return value @ tangent
        return np.broadcast_to(tangent, shape)
    if op == "log_softmax":
        return tangent - np.sum(value * tangent, axis=node._ctx, keepdims=True)
    raise ValueError(f"no tangent rule for operation {op!r}")
