"""Every autodiff op against central finite differences, over random shapes (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from gradstep.engine import autodiff as ad

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def numeric_grad(f, arrays, k, h=1e-6):
    """Central differences of scalar f(*arrays) with respect to arrays[k]."""
    base = [np.array(a, dtype=np.float64) for a in arrays]
    grad = np.zeros_like(base[k])
    it = np.nditer(base[k], flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        plus = [a.copy() for a in base]
        minus = [a.copy() for a in base]
        plus[k][idx] += h
        minus[k][idx] -= h
        grad[idx] = (f(*plus) - f(*minus)) / (2 * h)
    return grad


def check(op, arrays, tol=1e-5, weights=None):
    """op(*nodes) -> node; the loss is sum(w * op(...)) for fixed random weights w."""
    rng = np.random.default_rng(0)
    out_shape = np.shape(op(*[ad.constant(a) for a in arrays]).data)
    w = rng.normal(size=out_shape) if weights is None else weights

    def scalar(*xs):
        return float(np.sum(w * op(*[ad.constant(x) for x in xs]).data))

    nodes = [ad.parameter(np.array(a, dtype=np.float64)) for a in arrays]
    out = op(*nodes)
    loss = ad.sum(ad.mul(out, ad.constant(w)))
    loss.backward()
    for k, node in enumerate(nodes):
        expected = numeric_grad(scalar, arrays, k)
        assert node.grad is not None
        assert np.shape(node.grad) == np.shape(arrays[k]), f"operand {k}: grad shape"
        np.testing.assert_allclose(node.grad, expected, rtol=tol, atol=tol, err_msg=f"operand {k}")


def arrays(shape, low=-2.0, high=2.0, away_from=None):
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False)
    strat = hnp.arrays(np.float64, shape, elements=elements)
    if away_from is not None:
        strat = strat.filter(lambda a: np.all(np.abs(a - away_from) > 1e-2))
    return strat


def broadcast_pair():
    """Two shapes that broadcast together, one of them possibly smaller."""
    return SHAPES.flatmap(lambda s: st.tuples(st.just(s), hnp.broadcastable_shapes(s, min_dims=0, max_dims=len(s))))


@settings(max_examples=40, deadline=None)
@given(shapes=broadcast_pair(), data=st.data())
@pytest.mark.parametrize("op", [ad.add, ad.sub, ad.mul, ad.maximum, ad.minimum])
def test_binary_ops_with_broadcasting(op, shapes, data):
    a = data.draw(arrays(shapes[0]))
    b = data.draw(arrays(shapes[1]))
    if op in (ad.maximum, ad.minimum):
        # a on multiples of 1/4, b halfway between: never a tie, where the derivative jumps
        a, b = np.round(a * 4) / 4, np.round(b * 4) / 4 + 0.125
    check(op, [a, b])
    check(op, [b, a])


@settings(max_examples=40, deadline=None)
@given(shapes=broadcast_pair(), data=st.data())
def test_div_with_broadcasting(shapes, data):
    a = data.draw(arrays(shapes[0]))
    b = data.draw(arrays(shapes[1], 0.5, 2.0))
    check(ad.div, [a, b])


UNARY = {
    # name: (op, low, high, points the input keeps away from: kinks, bounds, thresholds)
    "exp": (ad.exp, -2, 2, ()), "log": (ad.log, 0.2, 3, ()), "sqrt": (ad.sqrt, 0.2, 3, ()),
    "abs": (ad.abs, -2, 2, (0,)), "sin": (ad.sin, -3, 3, ()), "cos": (ad.cos, -3, 3, ()),
    "tan": (ad.tan, -1.2, 1.2, ()), "tanh": (ad.tanh, -3, 3, ()), "sigmoid": (ad.sigmoid, -5, 5, ()),
    "relu": (ad.relu, -2, 2, (0,)), "leaky_relu": (ad.leaky_relu, -2, 2, (0,)),
    "elu": (ad.elu, -2, 2, (0,)), "softplus": (ad.softplus, -5, 5, ()), "neg": (ad.neg, -2, 2, ()),
    "softplus_threshold": (lambda a: ad.softplus(a * 30.0), -1, 1, (20 / 30,)),
    "clip": (lambda a: ad.clip(a, -0.5, 0.7), -2, 2, (-0.5, 0.7)),
    "pow3": (lambda a: ad.power(a, 3.0), -2, 2, ()), "pow2": (lambda a: ad.power(a, 2.0), -2, 2, ()),
    "pow-1.5": (lambda a: ad.power(a, -1.5), 0.3, 2, ()), "pow0.5": (lambda a: ad.power(a, 0.5), 0.3, 2, ()),
    "log_softmax": (lambda a: ad.log_softmax(a, axis=-1), -3, 3, ()),
}


@settings(max_examples=25, deadline=None)
@given(shape=SHAPES, data=st.data())
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_ops(name, shape, data):
    op, low, high, avoid = UNARY[name]
    a = data.draw(arrays(shape, low, high))
    for point in avoid:
        a = np.where(np.abs(a - point) < 1e-2, point + 0.1, a)
    check(op, [a])


@settings(max_examples=25, deadline=None)
@given(shape=SHAPES, data=st.data())
def test_power_with_array_exponent(shape, data):
    a = data.draw(arrays(shape, 0.3, 2.0))
    b = data.draw(arrays(shape, -1.5, 2.5))
    check(ad.power, [a, b])


@settings(max_examples=30, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data(), keepdims=st.booleans())
@pytest.mark.parametrize("op", [ad.sum, ad.mean])
def test_reductions(op, shape, data, keepdims):
    a = data.draw(arrays(shape))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    check(lambda x: op(x, axis=axis, keepdims=keepdims), [a])


@settings(max_examples=30, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_reshape_and_transpose(shape, data):
    a = data.draw(arrays(shape))
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    check(lambda x: ad.reshape(x, (-1,)), [a])
    check(lambda x: ad.transpose(x, perm), [a])
    check(ad.transpose, [a])


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4), data=st.data())
def test_matmul_and_linear(n, k, m, data):
    x = data.draw(arrays((n, k)))
    W = data.draw(arrays((k, m)))
    b = data.draw(arrays((m,)))
    v = data.draw(arrays((k,)))
    check(ad.matmul, [x, W])
    check(ad.matmul, [v, W])
    check(ad.matmul, [x, v])
    check(ad.linear, [x, W, b])


def test_backward_twice_on_fresh_forward_gives_same_gradients():
    a = ad.parameter(np.array([0.5, -1.0]))
    grads = []
    for _ in range(2):
        loss = ad.sum(ad.tanh(a * a) * 3.0)
        loss.backward()
        grads.append(a.grad.copy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_shared_subexpression_accumulates():
    # f = x*x + x: df/dx = 2x + 1, the node x feeds three places
    x = ad.parameter(1.5)
    (x * x + x).backward()
    assert x.grad == 2 * 1.5 + 1


def test_kinks_follow_pytorch():
    # PyTorch: relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope, max splits ties in half,
    # clamp passes the gradient at its bounds.
    x = ad.parameter(np.zeros(1))
    ad.sum(ad.relu(x)).backward()
    assert x.grad[0] == 0
    ad.sum(ad.abs(x)).backward()
    assert x.grad[0] == 0
    ad.sum(ad.leaky_relu(x)).backward()
    assert x.grad[0] == 0.01
    y = ad.parameter(np.zeros(1))
    ad.sum(ad.maximum(x, y)).backward()
    assert x.grad[0] == 0.5 and y.grad[0] == 0.5
    z = ad.parameter(np.array([-1.0, 1.0]))
    ad.sum(ad.clip(z, -1.0, 1.0)).backward()
    np.testing.assert_array_equal(z.grad, [1.0, 1.0])


def test_no_reference_cycles():
    import gc
    import weakref

    gc.collect()
    gc.disable()
    try:
        a = ad.parameter(np.ones(3))
        loss = ad.sum(ad.tanh(a * 2.0 + 1.0))
        loss.backward()
        ref = weakref.ref(loss)
        del loss
        assert ref() is None, "the graph should be freed by reference counting alone"
    finally:
        gc.enable()


def test_float32_stays_float32():
    a = ad.parameter(np.ones(3, dtype=np.float32), dtype=np.float32)
    loss = ad.mean(ad.sigmoid(a * 2.0) + ad.softplus(a) - 1.5)
    loss.backward()
    assert loss.data.dtype == np.float32
    assert a.grad.dtype == np.float32
