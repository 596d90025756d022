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
