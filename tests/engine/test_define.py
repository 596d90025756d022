"""``[objective] define``: named intermediate nodes that compute exactly as written out in place."""

import numpy as np
import pytest

from gradstep.engine import ScenarioError
from gradstep.engine.model.expr import MAX_LENGTH, parse_expression
from gradstep.engine.scenario import loads_scenario
from gradstep.engine.training.gradient_sources import GraphSource, ScalarSource
from gradstep.engine.training.session import Session

TEMPLATE = """name = "t"
[objective]
{define}
expression = "{expression}"
params = {params}
constants = {constants}

[optimizer]
kind = "{optimizer}"
lr = 0.1
"""

CHAIN = dict(params="{ a = 0.5, b = -0.5, c = 0.3, d = -0.2 }",
             constants="{ x1 = 0.5, x2 = -1.0, y = 1.0 }")
# Arrays (the graph source, not the scalar fast path), a name used twice, a name used by a name.
ARRAYS = dict(params="{ w = [0.5, -0.25, 1.5], s = 0.75 }", constants="{ x = [1.0, 2.0, -1.0] }")

CASES = [
    # (define, the expression with names, the same expression written out by hand, setting)
    ('define = { h1 = "tanh(a*x1 + b)", h2 = "tanh(c*x2 + d)" }', "(h1 + h2 - y)**2",
     "(tanh(a*x1 + b) + tanh(c*x2 + d) - y)**2", CHAIN),
    ('define = { h1 = "tanh(a*x1 + b)", g = "(h1 + tanh(c*x2 + d) - y)**2" }', "g",
     "(tanh(a*x1 + b) + tanh(c*x2 + d) - y)**2", CHAIN),
    ('define = { u = "sigmoid(w*x + s)", v = "u*u - 2*u" }', "mean(v**2) + sum(u)",
     "mean(((sigmoid(w*x + s))*(sigmoid(w*x + s)) - 2*(sigmoid(w*x + s)))**2) + sum(sigmoid(w*x + s))",
     ARRAYS),
    ('define = { k = "2*3", m = "-k" }', "sum((w*k - x)**2) + m*s**2",
     "sum((w*(2*3) - x)**2) + (-(2*3))*s**2", ARRAYS),
]


def scenario(define, expression, setting, optimizer="sgd"):
    return loads_scenario(TEMPLATE.format(define=define, expression=expression,
                                          optimizer=optimizer, **setting), "t.toml")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("define, named, written, setting", CASES)
def test_names_compute_bit_for_bit_as_the_expression_written_out(define, named, written, setting,
                                                                  optimizer):
    with_names = Session(scenario(define, named, setting, optimizer))
    by_hand = Session(scenario("", written, setting, optimizer))
    assert type(with_names._source) is type(by_hand._source)  # the same fast path, or none
    for _ in range(15):
        one, other = with_names.step(), by_hand.step()
        assert one.loss == other.loss
        for name in one.grads:
            assert np.array_equal(one.grads[name], other.grads[name])
            assert np.array_equal(one.params[name], other.params[name])
    loss, _nodes = with_names.graph_at()
    loss_by_hand, _nodes = by_hand.graph_at()
    assert loss.data == loss_by_hand.data


def test_the_bundled_chain_rule_keeps_the_fast_path_and_names_its_nodes():
    sc = scenario(CASES[0][0], CASES[0][1], CHAIN)
    session = Session(sc)
    assert isinstance(session._source, ScalarSource)
    loss, _nodes = session.graph_at()
    named = {node.name: float(node.data) for node in loss.topological_order() if node._op and node.name}
    # By hand at a = 0.5, b = -0.5, c = 0.3, d = -0.2, x1 = 0.5, x2 = -1.
    assert named == {"h1": pytest.approx(np.tanh(0.5 * 0.5 - 0.5), abs=1e-15),
                     "h2": pytest.approx(np.tanh(0.3 * -1.0 - 0.2), abs=1e-15)}
    assert isinstance(GraphSource(sc, session.layout, np.float64), GraphSource)


def test_a_name_used_twice_is_two_nodes_as_written_out():
    expr = parse_expression("u*u", ["a"], define=(("u", "exp(a)"),))
    a = __import__("gradstep.engine.autodiff", fromlist=["x"]).parameter(np.array(0.5), name="a")
    out = expr.build({"a": a})
    assert [p.name for p in out._prev] == ["u", "u"] and out._prev[0] is not out._prev[1]


def error(define, expression="h1**2 + b", setting=None):
    with pytest.raises(ScenarioError) as info:
        scenario(define, expression, setting or CHAIN)
    return str(info.value)


@pytest.mark.parametrize("define, expression, expected", [
    ('define = { h1 = "tanh(a*x1 + q)" }', "h1 + b + c + d",
     "t.toml:3: objective.define.h1: unknown name `q`"),
    ('define = { h1 = "h1 + a" }', "h1 + b + c + d", "t.toml:3: objective.define.h1: `h1` cannot use itself"),
    ('define = { h1 = "h2 + a", h2 = "b" }', "h1 + c + d",
     "t.toml:3: objective.define.h1: `h2` is defined after `h1`"),
    ('define = { a = "b" }', "a + c + d", "t.toml:3: objective.define.a: `a` is already a parameter"),
    ('define = { y = "b" }', "a + y + c + d", "t.toml:3: objective.define.y: `y` is already a parameter or a constant"),
    ('define = { tanh = "b" }', "a + c + d", "t.toml:3: objective.define.tanh: `tanh` is reserved for the function"),
    ('define = { pi = "b" }', "a + c + d", "t.toml:3: objective.define.pi: `pi` is reserved for the constant"),
    ('define = { "2x" = "b" }', "a + c + d", "t.toml:3: objective.define.2x: `2x` cannot be a name"),
    ('define = { h1 = 3 }', "h1 + a + b + c + d", "t.toml:3: objective.define.h1: expected a string, got 3"),
    ('define = { h1 = "a +* b" }', "h1 + c + d", "t.toml:3: objective.define.h1: unexpected `*`"),
    ('define = { h1 = "a*b" }', "h1 + hh + c + d", "t.toml:4: objective.expression: unknown name `hh`"),
    ('define = "h1 = a"', "a + b + c + d", "t.toml:3: objective.define: expected a table"),
])
def test_bad_definitions_get_one_line_naming_the_file_line_and_key(define, expression, expected):
    message = error(define, expression)
    assert message.startswith(expected)
    assert "\n" not in message


def test_a_definition_doubling_itself_cannot_grow_without_bound():
    chain = ", ".join(f'h{k} = "h{k - 1}*h{k - 1}"' for k in range(2, 13))
    message = error(f'define = {{ h1 = "a*b", {chain} }}', "h12 + c + d")
    # Written out, h_k has 2**(k+1) - 1 nodes: h10 is the first over the limit of 2000.
    assert 2 ** 10 - 1 <= MAX_LENGTH < 2 ** 11 - 1
    assert message.startswith("t.toml:3: objective.define.h10: written out, the expression would "
                              "have 2047 operations")


def test_nesting_counts_the_definition_written_out():
    deep = "(" * 40 + "a" + ")" * 40
    message = error(f'define = {{ h1 = "{deep}" }}', "(" * 30 + "h1 + b + c + d" + ")" * 30)
    assert message.startswith("t.toml:4: objective.expression: the expression is nested too deeply")
    scenario(f'define = {{ h1 = "{deep}" }}', "(" * 10 + "h1 + b + c + d" + ")" * 10, CHAIN)


# -- the chain rule grouped by the names (engine/analysis/named_chain.py) ----------------------
def test_the_chain_rule_scenario_grouped_by_its_names_by_hand():
    """dg/da = dg/dh1 · dh1/da with dg/dh1 = 2(h1 + h2 - y), dh1/da = (1 - h1²)·x1 (the
    scenario's notes), accumulated from g downwards; the product is the engine's gradient."""
    from gradstep.engine.analysis.chain import chain_report
    from tests.engine.sessions import bundled

    session = bundled("chain-rule")
    session.run(3)
    report = chain_report(session, "b", step=4)
    theta, _batch = session.step_inputs(4)
    a, b, c, d = (float(v) for v in theta)
    x1, x2, y = 0.5, -1.0, 1.0
    h1, h2 = np.tanh(a * x1 + b), np.tanh(c * x2 + d)
    dg_dh1, dh1_db = 2 * (h1 + h2 - y), 1 - h1 ** 2
    (path,) = report.named
    assert report.named_count == 1 and path.top == "g"
    assert [(f.upper, f.lower) for f in path.factors] == [("g", "h1"), ("h1", "b")]
    first, second = path.factors
    assert first.definition == "tanh(a*x1 + b)" and first.value == pytest.approx(h1, rel=1e-14)
    assert first.local == pytest.approx(dg_dh1, rel=1e-14)
    assert first.so_far == pytest.approx(dg_dh1, rel=1e-14)          # the loss's share first
    assert second.local == pytest.approx(dh1_db, rel=1e-14)
    assert second.so_far == pytest.approx(dg_dh1 * dh1_db, rel=1e-14)
    assert path.product == pytest.approx(report.gradient, rel=1e-14)
    assert report.gradient == float(session.step().grads["b"])       # the engine's, bit for bit


def test_grouped_factors_equal_finite_differences_and_add_up_to_the_gradient():
    """u = sigmoid(w*x + s) (3 entries), v = u*u - 2u, L = mean(v**2) + sum(u): two paths from L
    down to s (through v and u, and through u alone). Each factor holds the other names fixed,
    so it is the finite difference of the formula above it in its own names."""
    from gradstep.engine.analysis.chain import chain_report

    define, named, _written, setting = CASES[2]
    session = Session(scenario(define, named, setting))
    report = chain_report(session, "s")
    w, s, x = np.array([0.5, -0.25, 1.5]), 0.75, np.array([1.0, 2.0, -1.0])

    def fd(f, at, k=None, h=1e-6):
        """Central difference of f at ``at`` (entry k of an array)."""
        up, down = np.array(at, dtype=float), np.array(at, dtype=float)
        if k is None:
            up, down = up + h, down - h
        else:
            up[k] += h
            down[k] -= h
        return (f(up) - f(down)) / (2 * h)

    u = 1 / (1 + np.exp(-(w * x + s)))
    v = u * u - 2 * u
    L_of_v = lambda vv: np.mean(vv ** 2) + np.sum(u)     # u held fixed
    L_of_u = lambda uu: np.mean(v ** 2) + np.sum(uu)     # v held fixed
    v_of_u = lambda uu: uu * uu - 2 * uu
    u_of_s = lambda ss: 1 / (1 + np.exp(-(w * x + ss)))
    # Written out, u is four nodes (u*u - 2*u uses it three times, sum(u) once): four paths.
    routes = [tuple(f.lower for f in p.factors) for p in report.named]
    assert sorted(routes) == [("u", "s")] + [("v", "u", "s")] * 3
    longs = [p for p in report.named if len(p.factors) == 3]
    (short,) = [p for p in report.named if len(p.factors) == 2]
    for p in longs:
        np.testing.assert_allclose(p.factors[0].local, [fd(L_of_v, v, k) for k in range(3)], rtol=1e-7)
        np.testing.assert_allclose(p.factors[2].local, fd(u_of_s, s), rtol=1e-7)
    # Each use of u on its own (the others held fixed); together, dv/du of v = u*u - 2u.
    jac = np.array([[fd(lambda uu: v_of_u(uu)[i], u, k) for k in range(3)] for i in range(3)])
    np.testing.assert_allclose(sum(p.factors[1].local for p in longs), jac, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(short.factors[0].local, [fd(L_of_u, u, k) for k in range(3)], rtol=1e-7)
    # So far, from the loss down: dL/dv, then dL/du along each path, then the path's share.
    np.testing.assert_allclose(sum(p.factors[1].so_far for p in longs), (2 * v / 3) * (2 * u - 2),
                               rtol=1e-12)
    total = sum(p.product for p in report.named)
    assert total == pytest.approx(report.gradient, rel=1e-12)
    L_of_s = lambda ss: float(np.mean(v_of_u(u_of_s(ss)) ** 2) + np.sum(u_of_s(ss)))
    assert report.gradient == pytest.approx(fd(L_of_s, s), rel=1e-7)


def test_no_names_no_grouping():
    from gradstep.engine.analysis.chain import chain_report
    from tests.engine.sessions import bundled

    assert chain_report(bundled("adam-fabc"), "a").named == ()
    assert chain_report(bundled("xor"), "layer1.W", (0, 0)).named == ()   # networks: by layer


def test_each_factor_holds_the_other_names_fixed():
    """h1 = a*x1, h2 = tanh(h1 + a), L = h2**2 + b + c + d: a reaches h2 directly and through h1.
    dh2/da with h1 held fixed is 1 - h2² (not (1 - h2²)(1 + x1), h2's total derivative)."""
    from gradstep.engine.analysis.chain import chain_report

    session = Session(scenario('define = { h1 = "a*x1", h2 = "tanh(h1 + a)" }', "h2**2 + b + c + d", CHAIN))
    report = chain_report(session, "a")
    a, x1 = 0.5, 0.5
    h2 = np.tanh(a * x1 + a)
    routes = {tuple(f.lower for f in p.factors): p for p in report.named}
    assert set(routes) == {("h2", "h1", "a"), ("h2", "a")}
    direct, through = routes[("h2", "a")], routes[("h2", "h1", "a")]
    assert direct.factors[1].local == pytest.approx(1 - h2 ** 2, rel=1e-14)
    assert through.factors[1].local == pytest.approx(1 - h2 ** 2, rel=1e-14)
    assert through.factors[2].local == x1
    assert direct.factors[0].so_far == pytest.approx(2 * h2, rel=1e-14)   # dL/dh2, the loss's share
    assert direct.product + through.product == pytest.approx(report.gradient, rel=1e-14)


def test_a_models_definitions_compute_as_written_out_and_reach_the_chain_view():
    """[model] define: a parametric model over the data, the same numbers as written out; the
    grouped chain (100 rows: the named node is too large to group by entry) is left out."""
    from gradstep.engine.analysis.chain import chain_report

    model = """name = "m"
[model]
{define}
expression = "{expression}"
params = {{ w = 0.5, b = -0.25 }}

[data]
generator = "linear"
n = {n}
noise = 0.1

[loss]
kind = "mse"

[optimizer]
kind = "sgd"
lr = 0.1
"""
    for n, grouped in ((100, False), (8, True)):
        named = Session(loads_scenario(model.format(define='define = { z = "w*x + b" }',
                                                    expression="tanh(z) + z", n=n), "m.toml"))
        by_hand = Session(loads_scenario(model.format(define="", expression="tanh(w*x + b) + (w*x + b)", n=n),
                                         "m.toml"))
        for _ in range(5):
            one, other = named.step(), by_hand.step()
            assert one.loss == other.loss
            assert all(np.array_equal(one.grads[k], other.grads[k]) for k in one.grads)
        report = chain_report(named, "w")
        assert bool(report.named) is grouped
        if grouped:
            assert sum(p.product for p in report.named) == pytest.approx(report.gradient, rel=1e-12)
