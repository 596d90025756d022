"""The safe expression language of scenario files: text -> syntax tree -> autodiff graph.

An expression such as ``(a - 1)**2 + 10*(b + 2)**2 + c**2`` is read by a small tokenizer and a
recursive-descent parser written here; user text is never handed to Python's own evaluator.
The grammar is a sliver of Python's, with its precedence::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := atom ["**" unary]            # right-associative, tighter than unary minus
    atom    := number | name | function "(" expr ("," expr)* ")" | "(" expr ")"

so ``-c**2`` is ``-(c**2)``, ``2**3**2`` is ``2**9`` and ``2**-1`` is ``0.5``. Numbers are
floats. Functions: ``sin cos tan exp log sqrt abs tanh sigmoid relu softplus`` (one argument,
elementwise), ``min max`` (two arguments, elementwise minimum / maximum), ``sum mean`` (one
argument, reduced to a single number). Constants: ``pi`` and ``e`` (a known name of the same
spelling wins). Every other name must be one of the names the caller knows (parameters, inputs,
constants).

Parsing produces a flat program: literals become constant nodes once, at parse time, and
:meth:`Expression.build` runs the program over the names' nodes without any string work, which
is the hot path of a training step. Sub-expressions made only of numbers are folded at parse
time in float64 with overflow allowed (``9**9**9`` is ``inf``, instantly), as Python would
compute them before handing them to PyTorch.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

import numpy as np

from gradstep.engine import autodiff as ad
from gradstep.engine.model.expr_syntax import (CONSTANTS, FUNCTIONS, MAX_DEPTH, MAX_LENGTH, _BINARY_FUNCS, _OPS,
                                 _UNARY, _err, _Parser)
from gradstep.engine.errors import ExpressionError
from gradstep.engine.i18n import _

__all__ = ["Expression", "parse_expression", "FUNCTIONS", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH"]

# -- the program --------------------------------------------------------------------------------
_CALL1, _CALL2, _POW_SCALAR = 0, 1, 2


class Expression:
    """A parsed, validated expression, ready to build autodiff graphs.

    Attributes:
        text: The expression as written.
        names: The known names it uses (parameters, inputs, constants).
        tree: The syntax tree, nested tuples (see the module source), after constant folding.
        dtype: The dtype of its literal constants.
    """

    __slots__ = ("text", "names", "tree", "dtype", "define", "_leaves", "_names", "_program",
                 "_cols", "_result", "_marks")

    def __init__(self, text, tree, dtype, define=()):
        self.text = text
        self.tree = tree
        self.define = tuple(define)
        self.dtype = np.dtype(dtype)
        leaves = []      # constant nodes first, made once
        names = []       # then one register per distinct name
        program = []     # then one register per instruction
        cols = []
        const_slots = {}
        name_slots = {}
        pending, result, marks = _linearize(tree)
        for ref in _refs(pending, result):
            # Keyed by the exact bits: 0.0 and -0.0 stay apart, and a folded NaN is findable.
            if ref[0] == "c" and ref[1].hex() not in const_slots:
                const_slots[ref[1].hex()] = len(leaves)
                leaves.append(ad.constant(ref[1], self.dtype))
            elif ref[0] == "n" and ref[1] not in name_slots:
                name_slots[ref[1]] = None
                names.append(ref[1])
        base = len(leaves)
        for i, name in enumerate(names):
            name_slots[name] = base + i
        first = base + len(names)

        def slot(ref):
            tag, value = ref
            if tag == "c":
                return const_slots[value.hex()]
            if tag == "n":
                return name_slots[value]
            return first + value

        for code, fn, a, b, col in pending:
            a = slot(a)
            if code == _CALL2:
                b = slot(b)
            program.append((code, fn, a, b))
            cols.append(col)
        self._leaves = tuple(leaves)
        self._names = tuple(names)
        self._program = tuple(program)
        self._cols = tuple(cols)
        self._result = slot(result)
        self._marks = tuple((first + k, name) for k, name in marks)
        self.names = frozenset(names)

    def build(self, env: Mapping[str, ad.Node]) -> ad.Node:
        """The expression's graph over the nodes in ``env`` (one per name in :attr:`names`).

        Raises:
            ExpressionError: When a name has no node, or the shapes of two operands do not
                broadcast (naming the operation's column).
        """
        regs = list(self._leaves)
        try:
            for name in self._names:
                regs.append(env[name])
        except KeyError as exc:
            raise ExpressionError(_("no value given for `{name}`")
                                  .format(name=exc.args[0])) from None
        first = len(regs)
        append = regs.append
        try:
            for code, fn, a, b in self._program:
                if code == _CALL2:
                    append(fn(regs[a], regs[b]))
                elif code == _CALL1:
                    append(fn(regs[a]))
                else:
                    append(fn(regs[a], b))
        except (ValueError, TypeError) as exc:
            col = self._cols[len(regs) - first]
            raise _err(_("the operation at this point cannot be computed: {reason}")
                       .format(reason=_short(exc)), col) from None
        for k, name in self._marks:  # a defined name on the node that computes it, for views
            regs[k].name = name
        return regs[self._result]

    def __repr__(self):
        return f"Expression({self.text!r})"


def _linearize(tree):
    """The tree as instructions ``(code, fn, a, b, col)`` in evaluation order.

    Operands are references: ``("c", value)`` a literal, ``("n", name)`` a name, ``("i", k)``
    the result of instruction k. Iterative, because a long chain such as ``a + a + ... + a``
    is a left spine far deeper than Python's recursion limit. A defined name (``"def"``) adds
    no instruction: its tree is linearized in place, as if written out, and ``marks`` pairs
    the instruction that computes it with its name.
    """
    pending = []
    marks = []
    out = []
    stack = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        kind = node[0]
        if kind == "num":
            out.append(("c", node[1]))
            continue
        if kind == "name":
            out.append(("n", node[1]))
            continue
        if kind == "def":
            if ready:
                if out[-1][0] == "i":
                    marks.append((out[-1][1], node[1]))
            else:
                stack.append((node, True))
                stack.append((node[2], False))
            continue
        scalar_power = kind == "bin" and node[1] == "**" and node[3][0] == "num"
        if not ready:
            stack.append((node, True))
            if kind == "neg":
                children = (node[1],)
            elif kind == "call":
                children = node[2]
            elif scalar_power:
                children = (node[2],)
            else:
                children = (node[2], node[3])
            stack.extend((child, False) for child in reversed(children))
            continue
        if kind == "neg":
            pending.append((_CALL1, ad.neg, out.pop(), None, node[2]))
        elif kind == "call":
            if len(node[2]) == 1:
                pending.append((_CALL1, _UNARY[node[1]], out.pop(), None, node[3]))
            else:
                b, a = out.pop(), out.pop()
                pending.append((_CALL2, _BINARY_FUNCS[node[1]], a, b, node[3]))
        elif scalar_power:
            pending.append((_POW_SCALAR, ad.power, out.pop(), node[3][1], node[4]))
        else:
            b, a = out.pop(), out.pop()
            pending.append((_CALL2, _OPS[node[1]], a, b, node[4]))
        out.append(("i", len(pending) - 1))
    return pending, out[0], marks


def _short(exc):
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # NumPy's words, in the installed language when it is the broadcasting failure.
    m = re.fullmatch(r"operands could not be broadcast together with shapes (.+)", text)
    if m:
        text = (_("operands could not be broadcast together with shapes {shapes}")
                .format(shapes=m.group(1)))
    return text[:200]


def _refs(pending, result):
    """Every leaf reference in program order (constants and names), for slot numbering."""
    for code, _fn, a, b, _col in pending:
        yield a
        if code == _CALL2:
            yield b
    yield result


def parse_expression(text: str, known: Iterable[str], *, dtype=np.float64,
                     define=()) -> Expression:
    """Parse and validate ``text`` against the names the caller will provide.

    Args:
        text: The expression.
        known: Names it may use (parameters, inputs, constants).
        dtype: dtype of the constant nodes made for its numbers (the session's dtype).
        define: ``(name, text)`` pairs, in order (``[objective] define``): named intermediate
            nodes, each an expression over the known names and the names defined before it.
            The expression and each definition may use them; the result computes exactly as the
            expression with every name written out in parentheses, and each defined node built
            carries its name (``Node.name``).

    Raises:
        ExpressionError: For anything that is not a valid expression, with its column; for a
            problem in a definition, with ``define`` set to its name (else None).
    """
    known = frozenset(known)
    defined = {}
    sizes = {}
    names = [name for name, _text in define]
    for i, (name, body) in enumerate(define):
        try:
            parser = _parser(body, known, defined, tuple(names[i:]))
            tree = parser.parse()
            sizes[name] = _size(tree, sizes)
            if sizes[name] > MAX_LENGTH:
                raise _too_large(sizes[name])
        except ExpressionError as exc:
            exc.define = name
            raise
        defined[name] = (tree, parser.deepest)
    parser = _parser(text, known, defined, ())
    tree = parser.parse()
    size = _size(tree, sizes)
    if size > MAX_LENGTH:
        raise _too_large(size)
    return Expression(text, tree, dtype, define)


def _parser(text, known, defined, later):
    if not isinstance(text, str):
        raise ExpressionError(_("an expression must be text (got {type})")
                              .format(type=type(text).__name__))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(_("the expression is too long ({length} characters; the limit is "
                                "{limit})").format(length=len(text), limit=MAX_LENGTH))
    return _Parser(text, known, defined, later)


def _size(tree, sizes):
    """How many nodes ``tree`` has written out (a defined name counts its whole tree)."""
    total, stack = 0, [tree]
    while stack:
        node = stack.pop()
        kind = node[0]
        if kind == "def":
            total += sizes[node[1]]
            continue
        total += 1
        if kind == "neg":
            stack.append(node[1])
        elif kind == "bin":
            stack.extend((node[2], node[3]))
        elif kind == "call":
            stack.extend(node[2])
    return total


def _too_large(size):
    return ExpressionError(_("written out, the expression would have {size} operations and "
                             "numbers (the limit is {limit}): a definition used many times "
                             "counts each time").format(size=size, limit=MAX_LENGTH))
