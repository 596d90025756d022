"""Each node of a recorded graph written as the sub-expression it computes, for the chain rule.

The chain-rule report (:mod:`~gradstep.engine.analysis.chain`) names every factor of a path by
its node: the parameter's name, ``(a - 1)**2``, ``tanh(z1)``; in a network the layers' own
names (``x``, ``z2``, ``a1``) and ``L`` for the loss. Labels longer than 80 characters end in
an ellipsis.
"""

from __future__ import annotations

import numpy as np

from gradstep.engine.analysis.local_derivatives import LOSS_OPS

__all__ = ["node_labels", "ACTIVATION_OPS"]

ACTIVATION_OPS = frozenset({"tanh", "sigmoid", "relu", "leaky_relu", "elu", "softplus"})
"""The ops a network layer's activation may be (a layer's output is labelled ``a<k>``)."""

_INFIX = {"add": (" + ", 1), "sub": (" - ", 1), "mul": ("*", 2), "div": ("/", 2), "matmul": (" @ ", 2)}
_CALLS = {"maximum": "max", "minimum": "min"}
_LONGEST = 80


def node_labels(loss, network):
    """Each node as text: the sub-expression it computes (``z2``, ``a1``, ``L`` in networks)."""
    labels = {}
    if network:
        k = 0
        for node in loss.topological_order():
            if node._op == "linear":
                k += 1
                labels[node] = (f"z{k}", 9)
                if k == 1:
                    labels[node._prev[0]] = ("x", 9)
            elif node._op in ACTIVATION_OPS and node._prev[0]._op == "linear":
                labels[node] = (f"a{k}", 9)
    if loss._op in LOSS_OPS:
        labels[loss] = ("L", 9)
    for node in loss.topological_order():
        if node not in labels:
            labels[node] = _label(node, labels)
    return {node: text for node, (text, _) in labels.items()}


def _label(node, labels):
    """``(text, precedence)``: 1 sums, 2 products, 3 negation, 4 powers, 9 atoms."""
    op, prev = node._op, node._prev
    if not op:
        if node.name:
            return node.name, 9
        data = node.data
        return (f"{float(data):g}", 9 if float(data) >= 0 else 3) if np.ndim(data) == 0 else (
            f"[{'×'.join(map(str, np.shape(data)))}]", 9)
    arg = [labels[p][0] for p in prev]
    prec = [labels[p][1] for p in prev]
    if op in _INFIX:
        sep, mine = _INFIX[op]
        left = arg[0] if prec[0] >= mine else f"({arg[0]})"
        right = arg[1] if prec[1] > mine else f"({arg[1]})"
        text = f"{left}{sep}{right}"
    elif op == "neg":
        text, mine = (f"-{arg[0]}" if prec[0] > 3 else f"-({arg[0]})"), 3
    elif op == "pow":
        base = arg[0] if prec[0] > 4 else f"({arg[0]})"
        exponent = f"{node._ctx:g}" if len(prev) == 1 else (arg[1] if prec[1] > 4 else f"({arg[1]})")
        text, mine = f"{base}**{exponent}", 4
    elif op == "linear":
        text, mine = f"{arg[0]} @ {arg[1]} + {arg[2]}", 1
    elif op in LOSS_OPS:
        text, mine = f"{op}({arg[0]}, y)", 9
    else:
        text, mine = f"{_CALLS.get(op, op)}({', '.join(arg)})", 9
    if len(text) > _LONGEST:
        text = text[:_LONGEST - 1] + "…"
    return text, mine
