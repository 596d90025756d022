"""Tokens and syntax tree of the expression language (see :mod:`gradstep.engine.model.expr`).

A tokenizer and a recursive-descent parser written by hand: user text is never handed to
Python's own evaluator. :func:`gradstep.engine.model.expr.parse_expression` is the entry point.
"""

from __future__ import annotations

import keyword
import math
from difflib import get_close_matches

import numpy as np

from gradstep.engine import autodiff as ad
from gradstep.engine.errors import ExpressionError
from gradstep.engine.i18n import N_, _, ngettext

MAX_LENGTH = 2000
"""Longest expression accepted, in characters."""

MAX_DEPTH = 64
"""Deepest nesting accepted (parentheses, calls, unary signs and powers)."""

_UNARY = {
    "sin": ad.sin, "cos": ad.cos, "tan": ad.tan, "exp": ad.exp, "log": ad.log,
    "sqrt": ad.sqrt, "abs": ad.abs, "tanh": ad.tanh, "sigmoid": ad.sigmoid, "relu": ad.relu,
    "softplus": ad.softplus, "sum": ad.sum, "mean": ad.mean,
}
_BINARY_FUNCS = {"min": ad.minimum, "max": ad.maximum}
FUNCTIONS = frozenset(_UNARY) | frozenset(_BINARY_FUNCS)
"""Names that may be called, each with a fixed number of arguments."""

CONSTANTS = {"pi": math.pi, "e": math.e}
"""Named numbers (a caller's name of the same spelling takes precedence)."""

_OPS = {"+": ad.add, "-": ad.sub, "*": ad.mul, "/": ad.div, "**": ad.power}
_FOLD = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power,
}

# -- tokens -------------------------------------------------------------------------------------
_DIGITS = frozenset("0123456789")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | _DIGITS
# What refuses each symbol the language lacks: templates filled with the symbol, translated
# when the error is raised.
_OPERATOR = N_("the operator `{symbol}` is not supported (expected one of + - * / **)")
_COMPARISON = N_("comparisons are not supported")
_BRACKET = N_("subscripts and lists (`{symbol}`) are not allowed")
_BRACE = N_("braces (`{symbol}`) are not allowed")
_STRING = N_("strings are not allowed")
_NOT_SUPPORTED = {
    "%": _OPERATOR, "//": _OPERATOR, "@": _OPERATOR, "&": _OPERATOR, "|": _OPERATOR,
    "~": _OPERATOR,
    "^": N_("the operator `{symbol}` is not supported; write powers as `**`"),
    "<": _COMPARISON, ">": _COMPARISON, "==": _COMPARISON, "!=": _COMPARISON,
    "=": N_("assignments are not allowed (`{symbol}`); an expression is a formula, not a "
            "statement"),
    "[": _BRACKET, "]": _BRACKET, "{": _BRACE, "}": _BRACE,
    ":": N_("`{symbol}` is not allowed (no lambdas, slices or annotations)"),
    ";": N_("`{symbol}` is not allowed: an expression is one formula"),
    "'": _STRING, '"': _STRING,
}


def _not_supported(symbol, col):
    return _err(_(_NOT_SUPPORTED[symbol]).format(symbol=symbol), col)


class _Token:
    __slots__ = ("kind", "text", "col")

    def __init__(self, kind, text, col):
        self.kind = kind  # "num", "name", "op", "(", ")", ",", "end"
        self.text = text
        self.col = col  # 1-based


def _err(message, col):
    return ExpressionError(_("{problem} (at column {column})").format(problem=message, column=col),
                           column=col)


def _scan(text, i, chars):
    """The end of the run of ``chars`` starting at ``i``."""
    n = len(text)
    while i < n and text[i] in chars:
        i += 1
    return i


def _scan_number(text, i):
    """The end of the number starting at ``i``: digits, an optional fraction and exponent."""
    n = len(text)
    i = _scan(text, i, _DIGITS)
    if i < n and text[i] == ".":
        i = _scan(text, i + 1, _DIGITS)
    if i < n and text[i] in "eE":
        k = i + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k] in _DIGITS:
            i = _scan(text, k, _DIGITS)
    return i


def _tokenize(text):
    tokens = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch in " \t\r\n":
            i += 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            end = _scan_number(text, i)
            if end < n and (text[end].isalnum() or text[end] in "_."):
                # 2a, 1.2.3, 1e: a number glued to something; show the whole glued word.
                bad = text[i:_scan(text, end, _NAME_CHARS | {"."})]
                raise _err(_("malformed number `{text}` (a number must be followed by an "
                             "operator, `)` or `,`)").format(text=bad), col)
            tokens.append(_Token("num", text[i:end], col))
            i = end
            continue
        if ch in _NAME_START:
            end = _scan(text, i, _NAME_CHARS)
            word = text[i:end]
            if keyword.iskeyword(word):
                raise _err(_("the keyword `{word}` is not allowed (an expression uses only "
                             "numbers, names, + - * / **, parentheses and functions)")
                           .format(word=word), col)
            tokens.append(_Token("name", word, col))
            i = end
            continue
        if ch == ".":
            end = _scan(text, i + 1, _NAME_CHARS)
            if end > i + 1:
                raise _err(_("attribute access `.{name}` is not allowed")
                           .format(name=text[i + 1:end]), col)
            raise _err(_("unexpected `.`"), col)
        if ch == "*" and text.startswith("**", i):
            tokens.append(_Token("op", "**", col))
            i += 2
            continue
        two = text[i:i + 2]
        if two in _NOT_SUPPORTED:
            raise _not_supported(two, col)
        if ch in "+-*/":
            tokens.append(_Token("op", ch, col))
            i += 1
            continue
        if ch in "(),":
            tokens.append(_Token(ch, ch, col))
            i += 1
            continue
        if ch in _NOT_SUPPORTED:
            raise _not_supported(ch, col)
        shown = ch if ch.isprintable() else repr(ch)
        raise _err(_("unexpected character `{char}`").format(char=shown), col)
    tokens.append(_Token("end", "", n + 1))
    return tokens


# -- syntax tree --------------------------------------------------------------------------------
# Nodes are tuples: ("num", value, col), ("name", name, col), ("neg", operand, col),
# ("bin", op, left, right, col), ("call", function, args, col), and ("def", name, tree, col) for a
# use of a name of ``[objective] define``: its tree, kept whole so that views can group by the
# name, and computed exactly as the tree written out in place (the program ignores the wrapper).


class _Parser:
    def __init__(self, text, known, defined=None, later=()):
        self.tokens = _tokenize(text)
        self.pos = 0
        self.known = known
        self.depth = 0
        self.deepest = 0
        self.defined = defined or {}   # name -> (tree, depth) of the definitions before this one
        self.later = later             # this definition's own name and the ones after it

    @property
    def tok(self):
        return self.tokens[self.pos]

    def advance(self):
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def enter(self, col, extra=1):
        self.depth += extra
        self.deepest = max(self.deepest, self.depth)
        if self.depth > MAX_DEPTH:
            raise _err(_("the expression is nested too deeply (more than {limit} levels)")
                       .format(limit=MAX_DEPTH), col)

    def parse(self):
        if self.tok.kind == "end":
            raise ExpressionError(_("the expression is empty (expected a formula such as "
                                    "`(a - 1)**2`)"), column=1)
        tree = self.expr()
        tok = self.tok
        if tok.kind != "end":
            raise self.unexpected(tok, after_operand=True)
        return tree

    def expr(self):
        self.enter(self.tok.col)
        left = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.advance()
            left = _binary(op.text, left, self.term(), op.col)
        self.depth -= 1
        return left

    def term(self):
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.advance()
            left = _binary(op.text, left, self.unary(), op.col)
        return left

    def unary(self):
        tok = self.tok
        if tok.kind == "op" and tok.text in "+-":
            self.advance()
            self.enter(tok.col)
            operand = self.unary()
            self.depth -= 1
            if tok.text == "+":
                return operand
            if operand[0] == "num":
                return ("num", -operand[1], tok.col)
            return ("neg", operand, tok.col)
        return self.power()

    def power(self):
        base = self.atom()
        tok = self.tok
        if tok.kind == "op" and tok.text == "**":
            self.advance()
            self.enter(tok.col)
            exponent = self.unary()
            self.depth -= 1
            return _binary("**", base, exponent, tok.col)
        return base

    def atom(self):
        tok = self.advance()
        if tok.kind == "num":
            value = float(tok.text)
            if not math.isfinite(value):
                raise _err(_("the number `{text}` is too large").format(text=tok.text), tok.col)
            node = ("num", value, tok.col)
        elif tok.kind == "name":
            node = self.name_or_call(tok)
        elif tok.kind == "(":
            node = self.expr()
            close = self.tok
            if close.kind == ",":
                raise _err(_("a comma is only allowed between a function's arguments"), close.col)
            if close.kind != ")":
                raise self.unexpected(close, after_operand=True, expected="`)`")
            self.advance()
        else:
            raise self.unexpected(tok, after_operand=False)
        nxt = self.tok
        if nxt.kind == "(":
            what = f"`{tok.text}`" if tok.kind == "name" else _("the result of an expression")
            raise _err(_("{what} is not a function and cannot be called (functions: {names})")
                       .format(what=what, names=", ".join(sorted(FUNCTIONS))), nxt.col)
        return node

    def name_or_call(self, tok):
        name = tok.text
        if self.tok.kind == "(" and name in FUNCTIONS:
            return self.call(tok)
        if name in self.defined:
            return self.use(name, tok.col)
        if name in self.known:
            return ("name", name, tok.col)
        if name in CONSTANTS:
            return ("num", CONSTANTS[name], tok.col)
        if name in FUNCTIONS:
            raise _err(_("`{name}` is a function: call it, as in `{name}(...)`").format(name=name),
                       tok.col)
        if self.tok.kind == "(":
            return None  # reported by atom() as a call to a non-function
        if name in self.later:
            if name == self.later[0]:
                raise _err(_("`{name}` cannot use itself (a definition refers only to parameters, "
                             "constants and names defined before it: no cycles)")
                           .format(name=name), tok.col)
            raise _err(_("`{name}` is defined after `{this}` (a definition refers only to names "
                         "defined before it: reorder them; no cycles)")
                       .format(name=name, this=self.later[0]), tok.col)
        known = sorted({*self.known, *self.defined})
        hint = get_close_matches(name, [*known, *CONSTANTS], n=1)
        hint = _("; did you mean `{name}`?").format(name=hint[0]) if hint else ""
        listed = ", ".join(known) if known else _("none")
        raise _err(_("unknown name `{name}`{hint} (known names: {names}; constants: pi, e)")
                   .format(name=name, hint=hint, names=listed), tok.col)

    def use(self, name, col):
        """A defined name: its tree, as deep here as it would be written out in parentheses."""
        tree, depth = self.defined[name]
        self.enter(col, depth)
        self.depth -= depth
        if tree[0] in ("num", "name"):
            return tree  # nothing to group; folds with its neighbours as written out would
        return ("def", name, tree, col)

    def call(self, tok):
        name = tok.text
        self.advance()  # "("
        self.enter(tok.col)
        args = []
        if self.tok.kind != ")":
            while True:
                args.append(self.expr())
                if self.tok.kind == ",":
                    self.advance()
                    continue
                break
        close = self.tok
        if close.kind != ")":
            raise self.unexpected(close, after_operand=True, expected=_("`,` or `)`"))
        self.advance()
        self.depth -= 1
        wanted = 2 if name in _BINARY_FUNCS else 1
        if len(args) != wanted:
            raise _err(ngettext("{name}() takes {count} argument (got {got})",
                                "{name}() takes {count} arguments (got {got})", wanted)
                       .format(name=name, count=wanted, got=len(args)), tok.col)
        return ("call", name, tuple(args), tok.col)

    def unexpected(self, tok, *, after_operand, expected=None):
        operand, operator = _("a number, a name or `(`"), _("an operator")
        if tok.kind == "end":
            want = expected or (operand if not after_operand else operator)
            return _err(_("the expression ends too early (expected {what})").format(what=want),
                        tok.col)
        if tok.kind == ",":
            return _err(_("a comma is only allowed between a function's arguments"), tok.col)
        if tok.kind == ")" and after_operand and expected is None:
            return _err(_("unmatched `)`"), tok.col)
        if after_operand and tok.kind in ("num", "name", "("):
            return _err(_("missing operator before `{text}`").format(text=tok.text), tok.col)
        want = expected or (operator if after_operand else operand)
        return _err(_("unexpected `{text}` (expected {what})").format(text=tok.text, what=want),
                    tok.col)


def _binary(op, left, right, col):
    if left[0] == "num" and right[0] == "num":
        with np.errstate(all="ignore"):
            value = float(_FOLD[op](np.float64(left[1]), np.float64(right[1])))
        return ("num", value, col)
    return ("bin", op, left, right, col)
