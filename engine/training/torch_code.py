"""Pieces of Python source for the PyTorch script (:mod:`~gradstep.engine.training.torch_script`).

Everything a scenario contributes to the script passes through here, and comes out as one of
three things only: a number written by ``repr(float)`` (or ``float("inf")``), a string literal
written by ``repr`` (which escapes every quote, newline and control character), or a Python
identifier checked against a strict pattern and renamed away from the script's own names. The
objective is written from the engine's parsed syntax tree, never from the text the user wrote,
so nothing of that text reaches the script but the names and numbers the parser accepted.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re

import numpy as np

from gradstep.engine.errors import ScenarioError
from gradstep.engine.i18n import _

__all__ = ["TORCH_FUNCTIONS", "TORCH_ACTIVATIONS", "number", "string", "array_literal",
           "identifiers", "expression_code", "Untranslatable"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

TORCH_FUNCTIONS = {
    "sin": "torch.sin", "cos": "torch.cos", "tan": "torch.tan", "exp": "torch.exp",
    "log": "torch.log", "sqrt": "torch.sqrt", "abs": "torch.abs", "tanh": "torch.tanh",
    "sigmoid": "torch.sigmoid", "relu": "torch.relu", "softplus": "F.softplus",
    "sum": "torch.sum", "mean": "torch.mean", "min": "torch.minimum", "max": "torch.maximum",
}
"""The expression language's functions as PyTorch calls (the same definitions: a tie of
``min``/``max`` splits the gradient, ``softplus`` has PyTorch's threshold 20)."""

TORCH_ACTIVATIONS = {
    "identity": "{a}", "linear": "{a}", "tanh": "torch.tanh({a})",
    "sigmoid": "torch.sigmoid({a})", "relu": "torch.relu({a})",
    "leaky_relu": "F.leaky_relu({a}, 0.01)", "elu": "F.elu({a}, 1.0)",
    "softplus": "F.softplus({a})",
}
"""A network layer's activation around its pre-activation ``{a}``."""


class Untranslatable(ScenarioError):
    """The scenario uses something the PyTorch script cannot (yet) say."""


def number(value) -> str:
    """A float as Python source that reads back as the same float."""
    value = float(value)
    if math.isnan(value):
        return 'float("nan")'
    if math.isinf(value):
        return 'float("inf")' if value > 0 else '-float("inf")'
    if value == int(value) and abs(value) < 1e15 and not (value == 0 and math.copysign(1, value) < 0):
        return str(int(value))
    return repr(value)


def string(text) -> str:
    """A string literal: ``repr`` escapes quotes, backslashes, newlines and control characters.
    Double quotes when the text has none (the script's own style); ``repr``'s choice otherwise."""
    literal = repr(str(text))
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1] + '"'  # no quote inside: repr chose ' only because it may
    return literal


def array_literal(array, indent="    ", width=96) -> str:
    """A NumPy array as a nested list literal, one innermost row per line when it has rows.

    Floats are written with ``repr`` (the shortest text that reads back as the same number);
    integer arrays as integers.
    """
    array = np.asarray(array)
    if array.ndim == 0:
        return _scalar(array[()])
    if array.ndim == 1:
        return _wrapped([_scalar(v) for v in array.tolist()], indent, width)
    rows = [array_literal(row, indent + "    ", width) for row in array]
    return "[\n" + "".join(f"{indent}    {row},\n" for row in rows) + indent + "]"


def _scalar(value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return repr(float(value))


def _wrapped(items, indent, width):
    lines, line = [], ""
    for item in items:
        piece = item + ", "
        if line and len(indent) + 4 + len(line) + len(piece) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    if line:
        lines.append(line.rstrip().rstrip(","))
    if len(lines) == 1:
        return "[" + lines[0] + "]"
    return "[\n" + "".join(f"{indent}    {text}\n" for text in lines) + indent + "]"


RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | {
    "torch", "nn", "F", "json", "math", "sys", "SCENARIO", "STEPS", "X", "Y", "ORDER", "BATCH_SIZE",
    "BATCHES_PER_EPOCH", "params", "model", "loss_fn", "optimizer", "loss", "prediction", "step",
    "epoch", "batch", "rows", "objective", "name", "value",
}
"""Names the script itself uses (and Python's own), which a scenario's names must not shadow."""


def identifiers(names, key) -> dict:
    """``{scenario name: Python name}``: each name checked to be an identifier (the loader
    already refuses anything else; a scenario built in code is checked here), renamed with
    trailing underscores when it would shadow one of the script's names or Python's.

    Raises:
        Untranslatable: A name that is not an identifier.
    """
    out = {}
    taken = set(RESERVED)
    names = list(names)
    taken.update(names)
    for name in names:
        if not isinstance(name, str) or not _IDENTIFIER.match(name) or keyword.iskeyword(name):
            raise Untranslatable(_("`{name}` is not a name PyTorch code can use").format(
                name=string(name)), key=key)
    for name in names:
        python = name
        if python in RESERVED:
            python = name + "_"
            while python in taken:
                python += "_"
            taken.add(python)
        out[name] = python
    return out


# -- expressions --------------------------------------------------------------------------------
# Python's precedence: + - (1), * / (2), unary minus (3), ** (4), atoms (5).
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}


def expression_code(tree, names, key) -> str:
    """The syntax tree of an engine expression as PyTorch source, with the parentheses its
    structure needs (the same grouping, so the same floating-point order).

    Args:
        tree: :attr:`gradstep.engine.model.Expression.tree`.
        names: ``{scenario name: Python name}`` for every name the tree uses.
        key: The scenario key the expression came from, for errors.

    Raises:
        Untranslatable: A function or node this module does not know (a newer language).
    """
    # Iterative, like the engine's own linearisation: a long chain is deeper than recursion.
    out = []
    stack = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        kind = node[0]
        if kind == "num":
            text = number(node[1])
            out.append((text, 3 if text.startswith("-") else 5))
            continue
        if kind == "name":
            if node[1] not in names:
                raise Untranslatable(_("`{name}` has no value in the PyTorch script").format(
                    name=node[1]), key=key)
            out.append((names[node[1]], 5))
            continue
        if kind == "neg":
            children = (node[1],)
        elif kind == "call":
            if node[1] not in TORCH_FUNCTIONS:
                raise Untranslatable(_("the function `{name}` has no PyTorch translation yet").format(
                    name=node[1]), key=key)
            children = node[2]
        elif kind == "bin":
            if node[1] not in _PREC:
                raise Untranslatable(_("the operator `{op}` has no PyTorch translation yet").format(
                    op=node[1]), key=key)
            children = (node[2], node[3])
        else:
            raise Untranslatable(_("this expression has a part the PyTorch script cannot write"),
                                 key=key)
        if not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        args = [out.pop() for _child in children][::-1]
        if kind == "neg":
            text, prec = args[0]
            if prec < 3:
                text = f"({text})"
            out.append(("-" + (" " + text if text.startswith("-") else text), 3))
        elif kind == "call":
            out.append((f"{TORCH_FUNCTIONS[node[1]]}({', '.join(t for t, _p in args)})", 5))
        else:
            out.append((_binary(node[1], *args), _PREC[node[1]]))
    return out[0][0]


def _binary(op, left, right):
    (lt, lp), (rt, rp) = left, right
    p = _PREC[op]
    if op == "**":
        # Right-associative and tighter than a unary minus on its left: (-a)**b, (a**b)**c need
        # their parentheses; a**-b and a**b**c do not.
        if lp <= 4:
            lt = f"({lt})"
        if rp < 3:
            rt = f"({rt})"
        return f"{lt} ** {rt}"
    if lp < p:
        lt = f"({lt})"
    if rp <= p:  # a - (b + c), a / (b * c); a + (b + c) kept too: the same rounding order
        rt = f"({rt})"
    return f"{lt} {op} {rt}"
