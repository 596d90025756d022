"""The expression language: precedence, gradients, rejected constructs, limits, fuzz."""

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradstep.engine import autodiff as ad
from gradstep.engine.errors import ExpressionError, ScenarioError
from gradstep.engine.model.expr import MAX_DEPTH, MAX_LENGTH, parse_expression

A, B, C = 2.0, 3.0, -0.5


def value(text, **values):
    """Evaluate ``text`` with names bound to constant nodes."""
    names = values or {"a": A, "b": B, "c": C}
    expr = parse_expression(text, names)
    return float(expr.build({k: ad.constant(v) for k, v in names.items()}).data)


# Expected values are Python's own float arithmetic on the same text, written out here.
PRECEDENCE = [
    ("-2**2", -2.0**2),
    ("2**3**2", 2.0**3.0**2.0),
    ("2**-1", 2.0**-1.0),
    ("-a**2", -A**2),
    ("-c**2", -C**2),
    ("a**b**2", A**B**2),
    ("a**-b", A**-B),
    ("(-a)**2", (-A)**2),
    ("a - b - c", A - B - C),
    ("a / b / c", A / B / C),
    ("a - b * c", A - B * C),
    ("a * b + c", A * B + C),
    ("a / b * c", A / B * C),
    ("a + b / c ** 2", A + B / C**2),
    ("a * -b", A * -B),
    ("--a", --A),
    ("+a - +b", +A - +B),
    ("-a * b", -A * B),
    ("2 * -3 ** 2", 2.0 * -3.0**2),
    ("10 - 2**3 / 4", 10.0 - 2.0**3 / 4.0),
    ("(a + b) * (b - c)", (A + B) * (B - C)),
    ("a ** 0.5 * b", A**0.5 * B),
    ("1e-3 * a + .5", 1e-3 * A + 0.5),
    ("pi * a", math.pi * A),
    ("e ** c", math.e**C),
    ("exp(c) + log(a) + sqrt(b)", math.exp(C) + math.log(A) + math.sqrt(B)),
    ("sin(a) * cos(b) - tan(c)", math.sin(A) * math.cos(B) - math.tan(C)),
    ("tanh(c) + abs(c)", math.tanh(C) + abs(C)),
    ("sigmoid(c)", 1.0 / (1.0 + math.exp(-C))),
    ("relu(c) + relu(a)", 0.0 + A),
    ("softplus(c)", math.log1p(math.exp(C))),
    ("max(a, b) - min(a, c)", max(A, B) - min(A, C)),
    ("sum(a) + mean(b)", A + B),
    ("-sin(a)**2", -math.sin(A)**2),
]


@pytest.mark.parametrize("text, expected", PRECEDENCE)
def test_precedence_matches_python(text, expected):
    assert value(text) == pytest.approx(expected, rel=1e-15, abs=0)


def test_literals_fold_like_python():
    assert parse_expression("-2**2", []).tree[1] == -4.0
    assert parse_expression("2**3**2", []).tree[1] == 512.0
    assert parse_expression("2**-1", []).tree[1] == 0.5


def test_huge_power_does_not_hang():
    start = time.perf_counter()
    expr = parse_expression("9**9**9", [])
    assert expr.tree[1] == math.inf
    expr = parse_expression("a ** 9**9**9 + 2**2**2**2**2**2", ["a"])
    assert time.perf_counter() - start < 1.0


def test_names_and_text():
    expr = parse_expression("(a - 1)**2 + 10*(b + 2)**2 + c**2 + pi", ["a", "b", "c", "d"])
    assert expr.names == frozenset({"a", "b", "c"})
    assert expr.text.startswith("(a - 1)")


def test_known_name_shadows_constant():
    assert value("e * 2", e=5.0) == 10.0


def test_gradient_of_tutorial_f():
    expr = parse_expression("(a - 1)**2 + 10*(b + 2)**2 + c**2", "abc")
    env = {k: ad.parameter(v, name=k) for k, v in zip("abc", (0.5, 0.0, 1.5))}
    out = expr.build(env)
    out.backward()
    assert float(out.data) == (0.5 - 1)**2 + 10 * (0.0 + 2)**2 + 1.5**2
    assert [float(env[k].grad) for k in "abc"] == [2 * (0.5 - 1), 20 * (0.0 + 2), 2 * 1.5]


def test_literal_exponent_uses_scalar_power():
    expr = parse_expression("a ** 2 + a ** -0.5", ["a"])
    out = expr.build({"a": ad.parameter(4.0)})
    powers = [n for n in out.topological_order() if n._op == "pow"]
    assert sorted(n._ctx for n in powers) == [-0.5, 2.0]
    assert all(len(n._prev) == 1 for n in powers)


def test_literal_nodes_are_made_once():
    expr = parse_expression("a * 3 + 3", ["a"])
    first = expr.build({"a": ad.parameter(1.0)})
    second = expr.build({"a": ad.parameter(2.0)})
    consts = lambda root: {id(n) for n in root.topological_order() if not n.requires_grad}
    assert consts(first) == consts(second)
    assert float(second.data) == 9.0


def test_signed_zero_and_nan_literals():
    assert math.copysign(1.0, value("0.0 * a + -0.0 * b", a=1.0, b=1.0)) == 1.0
    assert math.copysign(1.0, value("-0.0 * a", a=1.0)) == -1.0
    assert math.isnan(value("a + 0/0", a=1.0))
    assert math.isnan(value("(0/0) * a + (0/0) * a", a=1.0))


def test_dtype_of_literals():
    expr = parse_expression("a * 0.1 + 1", ["a"], dtype=np.float32)
    out = expr.build({"a": ad.parameter(np.ones(3, np.float32), np.float32)})
    assert out.data.dtype == np.float32


def test_arrays_broadcast_and_reduce():
    expr = parse_expression("mean((Y_pred - Y)**2)", ["Y_pred", "Y"])
    rng = np.random.default_rng(0)
    yp, y = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    p = ad.parameter(yp)
    out = expr.build({"Y_pred": p, "Y": ad.constant(y)})
    out.backward()
    assert float(out.data) == pytest.approx(np.mean((yp - y) ** 2), rel=1e-15)
    np.testing.assert_allclose(p.grad, 2 * (yp - y) / 15, rtol=1e-15)


def test_long_flat_chain_builds_without_recursion_limits():
    text = "+".join(["a"] * 1000)
    assert len(text) <= MAX_LENGTH
    out = parse_expression(text, ["a"]).build({"a": ad.parameter(1.0)})
    out.backward()
    assert float(out.data) == 1000.0


def test_depth_limit_boundary():
    ok = "(" * (MAX_DEPTH - 2) + "a" + ")" * (MAX_DEPTH - 2)
    assert value(ok, a=1.0) == 1.0
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("(" * (MAX_DEPTH + 5) + "a" + ")" * (MAX_DEPTH + 5), ["a"])
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("-" * 200 + "a", ["a"])
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("a" + "**a" * 200, ["a"])
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("sin(" * 100 + "a" + ")" * 100, ["a"])


def test_length_limit():
    with pytest.raises(ExpressionError, match="too long"):
        parse_expression("a+" * MAX_LENGTH + "a", ["a"])


REJECTED = [
    ("a.real", "attribute access `.real` is not allowed (at column 2)"),
    ("a[0]", "subscripts and lists (`[`) are not allowed (at column 2)"),
    ("'a'", "strings are not allowed (at column 1)"),
    ('"a" + a', "strings are not allowed (at column 1)"),
    ("lambda: a", "the keyword `lambda` is not allowed (an expression"),
    ("[a for a in b]", "subscripts and lists (`[`) are not allowed (at column 1)"),
    ("a if b else c", "the keyword `if` is not allowed"),
    ("not a", "the keyword `not` is not allowed (an expression"),
    ("a and b", "the keyword `and` is not allowed"),
    ("{a: b}", "braces (`{`) are not allowed (at column 1)"),
    ("a, b", "a comma is only allowed between a function's arguments (at column 2)"),
    ("(a, b)", "a comma is only allowed between a function's arguments (at column 3)"),
    ("open(a)", "`open` is not a function and cannot be called"),
    ("__import__(a)", "`__import__` is not a function and cannot be called"),
    ("a(b)", "`a` is not a function and cannot be called (functions: abs"),
    ("(a)(b)", "the result of an expression is not a function"),
    ("pi(a)", "`pi` is not a function"),
    ("sin", "`sin` is a function: call it, as in `sin(...)` (at column 1)"),
    ("sin(a, b)", "sin() takes 1 argument (got 2) (at column 1)"),
    ("max(a)", "max() takes 2 arguments (got 1)"),
    ("sum()", "sum() takes 1 argument (got 0)"),
    ("max(a, b, c)", "max() takes 2 arguments (got 3)"),
    ("sin(x=a)", "assignments are not allowed"),
    ("a = 1", "assignments are not allowed (`=`)"),
    ("a == b", "comparisons are not supported (at column 3)"),
    ("a < b", "comparisons are not supported"),
    ("a % b", "the operator `%` is not supported"),
    ("a // b", "the operator `//` is not supported"),
    ("a @ b", "the operator `@` is not supported"),
    ("a ^ 2", "write powers as `**`"),
    ("a; b", "`;` is not allowed"),
    ("a: b", "`:` is not allowed"),
    ("a # comment", "unexpected character `#` (at column 3)"),
    ("a $ b", "unexpected character `$` (at column 3)"),
    ("α + a", "unexpected character `α` (at column 1)"),
    ("2a", "malformed number `2a`"),
    ("1.2.3", "malformed number `1.2.3`"),
    ("1e", "malformed number `1e`"),
    ("1_000", "malformed number `1_000`"),
    ("1e999", "the number `1e999` is too large"),
    ("a b", "missing operator before `b` (at column 3)"),
    ("2 3", "missing operator before `3`"),
    ("", "the expression is empty"),
    ("   ", "the expression is empty"),
    ("a +", "the expression ends too early (expected a number, a name or `(`) (at column 4)"),
    ("(a", "the expression ends too early (expected `)`)"),
    ("a)", "unmatched `)` (at column 2)"),
    ("* a", "unexpected `*` (expected a number, a name or `(`) (at column 1)"),
    ("a ** * b", "unexpected `*`"),
    ("max(a,)", "unexpected `)`"),
    ("d", "unknown name `d` (known names: a, b, c; constants: pi, e) (at column 1)"),
    ("aa", "unknown name `aa`; did you mean `a`?"),
    ("x.y", "attribute access `.y`"),
]


@pytest.mark.parametrize("text, message", REJECTED)
def test_rejected(text, message):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, ["a", "b", "c"])
    assert message in str(info.value)
    assert isinstance(info.value, ScenarioError)


def test_error_column_attribute():
    with pytest.raises(ExpressionError) as info:
        parse_expression("a + b.c", ["a", "b"])
    assert info.value.column == 6


def test_build_reports_missing_names_and_bad_shapes():
    expr = parse_expression("a * b", ["a", "b"])
    with pytest.raises(ExpressionError, match="no value given for `b`"):
        expr.build({"a": ad.constant(1.0)})
    with pytest.raises(ExpressionError, match=r"cannot be computed.*\(at column 3\)"):
        expr.build({"a": ad.constant(np.ones(2)), "b": ad.constant(np.ones(3))})


def test_not_text():
    with pytest.raises(ExpressionError, match="must be text"):
        parse_expression(3, [])


# -- gradients against finite differences (hypothesis) -------------------------------------------
# Smooth pieces only, on domains where they are defined, so central differences are accurate.
_LEAF = st.sampled_from(["a", "b", "0.5", "2", "a", "b"])
_UNARY = ["sin({})", "cos({})", "tanh({})", "sigmoid({})", "softplus({})", "exp(tanh({}))",
          "sqrt(1 + ({})**2)", "log(2 + sin({}))", "({})**2", "({})**3", "-({})", "abs(1 + ({})**2)"]
_BINARY = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / (2 + sin({}))", "max({}, {}) ",
           "min({}, {})"]


def _expressions():
    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(_UNARY), children).map(lambda t: t[0].format(t[1])),
            st.tuples(st.sampled_from(_BINARY), children, children).map(
                lambda t: t[0].format(t[1], t[2])),
        )
    return st.recursive(_LEAF, extend, max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(_expressions(), st.lists(st.floats(-1.5, 1.5), min_size=6, max_size=6))
def test_gradients_match_finite_differences(text, values):
    a0, b0 = np.array(values[:3]), np.array(values[3:])
    # max/min are not differentiable at ties; keep a and b apart.
    b0 = np.where(np.abs(a0 - b0) < 0.1, b0 + 0.3, b0)
    expr = parse_expression(f"sum({text})", ["a", "b"])

    def f(a, b):
        return float(expr.build({"a": ad.constant(a), "b": ad.constant(b)}).data)

    a, b = ad.parameter(a0.copy()), ad.parameter(b0.copy())
    out = expr.build({"a": a, "b": b})
    out.backward()
    h = 1e-6
    f0 = float(out.data)
    for node, base, other, first in ((a, a0, b0, True), (b, b0, a0, False)):
        grad = np.zeros(3) if node.grad is None else node.grad
        for i in range(3):
            plus, minus = base.copy(), base.copy()
            plus[i] += h
            minus[i] -= h
            fp, fm = (f(plus, other), f(minus, other)) if first else (f(other, plus), f(other, minus))
            right, left = (fp - f0) / h, (f0 - fm) / h
            if abs(right - left) > 1e-3 * max(1.0, abs(right)):
                continue  # a kink (max or min of two equal arguments): no derivative to check
            assert grad[i] == pytest.approx((fp - fm) / (2 * h), rel=1e-4, abs=1e-5), (text, i)


# -- fuzz: nothing but ExpressionError escapes ---------------------------------------------------
_ALPHABET = st.sampled_from(list("abc019.+-*/()e, ") + ["**", "sin(", "max(", "pi", "[", "'",
                                                        "lambda", "x", "\n", "α", "1e9"])


# Tokens of valid expressions only: random sequences of them parse far more often.
_VALID_TOKENS = st.sampled_from(["a", "b", "c", "1", "2.5", "1e-3", "+", "-", "*", "/", "**",
                                 "(", ")", "sin(", "max(", "sum(", ",", "pi", " "])


@st.composite
def _corrupted(draw):
    """A valid expression with a few random tokens inserted or characters deleted."""
    text = draw(_expressions())
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:i] + draw(st.one_of(_ALPHABET, _VALID_TOKENS)) + text[i:]
        else:
            text = text[:i] + text[i + 1:]
    return text


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_ALPHABET, max_size=40).map("".join),
                 st.lists(_VALID_TOKENS, max_size=30).map("".join), _corrupted()))
def test_fuzz_parser_raises_only_expression_errors(text):
    try:
        expr = parse_expression(text, ["a", "b", "c"])
    except ExpressionError:
        return
    with np.errstate(all="ignore"):
        env = {k: ad.parameter(np.array([0.5, -1.0])) for k in ("a", "b", "c")}
        try:
            out = expr.build(env)
        except ExpressionError:
            return
        if out.requires_grad:
            out.backward()
