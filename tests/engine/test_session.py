"""The training session: step records, reproducibility, batching, divergence."""

import math

import numpy as np
import pytest

from gradstep.engine.analysis.gradcheck import gradient_check
from gradstep.engine.model.losses import LOSSES
from gradstep.engine import autodiff as ad
from gradstep.engine.scenario import (Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec, Scenario,
                             TrainingSpec)
from gradstep.engine.training.session import Diverged, Session

F_ABC = "(a - 1)**2 + 10*(b + 2)**2 + c**2"


def objective(expression=F_ABC, kind="adam", lr=0.05, hyper=None, **params):
    params = params or {"a": 0.0, "b": 0.0, "c": 0.0}
    return Scenario(name="f", kind="objective",
                    model=ExpressionSpec(expression, {k: np.array(v) for k, v in params.items()}),
                    optimizer=OptimizerSpec(kind, lr, hyper or {}))


def network(batch_size=0, shuffle=True, seed=0, dtype="float64", n=40, kind="adam", lr=0.01, y_shape="flat"):
    rng = np.random.default_rng(123)
    x = rng.normal(size=(n, 2))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1]
    return Scenario(name="net", kind="network",
                    model=NetworkSpec(2, (LayerSpec(5, "tanh"), LayerSpec(1))),
                    data=Dataset(x, y if y_shape == "flat" else y[:, None]), loss="mse",
                    optimizer=OptimizerSpec(kind, lr), training=TrainingSpec(batch_size=batch_size, shuffle=shuffle),
                    seed=seed, dtype=dtype)


def test_two_adam_steps_on_f_abc_worked_by_hand():
    """The tutorial's Adam on f(a,b,c), written out as a learner would check it."""
    alpha, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
    session = Session(objective())
    a = b = c = 0.0

    # step 1: the gradient of f at (0, 0, 0)
    g = [2 * (a - 1), 20 * (b + 2), 2 * c]                       # (-2, 40, 0)
    V = [(1 - beta1) * gi for gi in g]                          # V1 = b1*0 + (1-b1) g
    S = [(1 - beta2) * gi * gi for gi in g]                     # S1 = b2*0 + (1-b2) g^2
    V_hat = [v / (1 - beta1 ** 1) for v in V]                   # (-2, 40, 0)
    S_hat = [s / (1 - beta2 ** 1) for s in S]                   # (4, 1600, 0)
    step = [-alpha * vh / (math.sqrt(sh) + eps) for vh, sh in zip(V_hat, S_hat)]
    loss1 = (a - 1) ** 2 + 10 * (b + 2) ** 2 + c ** 2           # 41
    a, b, c = a + step[0], b + step[1], c + step[2]

    r1 = session.step()
    assert r1.step == 1
    assert r1.loss == pytest.approx(41.0, rel=1e-15) == loss1
    for name, want in zip("abc", g):
        assert float(r1.grads[name]) == pytest.approx(want, rel=1e-12, abs=1e-15)
    for name, v, s, vh, sh, p in zip("abc", V, S, V_hat, S_hat, (a, b, c)):
        st = r1.state[name]
        assert float(st["V"]) == pytest.approx(v, rel=1e-12, abs=1e-300)
        assert float(st["S"]) == pytest.approx(s, rel=1e-12, abs=1e-300)
        assert float(st["V_hat"]) == pytest.approx(vh, rel=1e-12, abs=1e-300)
        assert float(st["S_hat"]) == pytest.approx(sh, rel=1e-12, abs=1e-300)
        assert float(r1.params[name]) == pytest.approx(p, rel=1e-12, abs=1e-300)
    assert float(r1.params["a"]) == pytest.approx(0.05, rel=1e-8)  # the first Adam step is ~alpha
    assert r1.bias_correction1 == pytest.approx(0.1) and r1.bias_correction2 == pytest.approx(0.001)

    # step 2: the moments carry the raw V1, S1; only the update uses the corrected copies
    g = [2 * (a - 1), 20 * (b + 2), 2 * c]
    loss2 = (a - 1) ** 2 + 10 * (b + 2) ** 2 + c ** 2
    V = [beta1 * v + (1 - beta1) * gi for v, gi in zip(V, g)]
    S = [beta2 * s + (1 - beta2) * gi * gi for s, gi in zip(S, g)]
    V_hat = [v / (1 - beta1 ** 2) for v in V]                   # 1 - 0.9^2 = 0.19
    S_hat = [s / (1 - beta2 ** 2) for s in S]                   # 1 - 0.999^2 = 0.001999
    new = [p - alpha * vh / (math.sqrt(sh) + eps) for p, vh, sh in zip((a, b, c), V_hat, S_hat)]

    r2 = session.step()
    assert r2.loss == pytest.approx(loss2, rel=1e-12)
    for name, gi, v, s, vh, sh, p in zip("abc", g, V, S, V_hat, S_hat, new):
        assert float(r2.grads[name]) == pytest.approx(gi, rel=1e-12, abs=1e-300)
        assert float(r2.state[name]["V"]) == pytest.approx(v, rel=1e-12, abs=1e-300)
        assert float(r2.state[name]["S"]) == pytest.approx(s, rel=1e-12, abs=1e-300)
        assert float(r2.state[name]["V_hat"]) == pytest.approx(vh, rel=1e-12, abs=1e-300)
        assert float(r2.state[name]["S_hat"]) == pytest.approx(sh, rel=1e-12, abs=1e-300)
        assert float(r2.params[name]) == pytest.approx(p, rel=1e-12, abs=1e-300)
    assert r2.bias_correction1 == pytest.approx(0.19) and r2.bias_correction2 == pytest.approx(0.001999)


def test_record_describes_step_t():
    session = Session(network())
    assert session.t == 0 and session.record is None
    before = session.theta.copy()
    loss_before, grad_before = session.gradient_at(before)
    record = session.step()
    assert session.t == 1 and session.record is record
    assert record.loss == loss_before                        # loss at the parameters before the update
    np.testing.assert_array_equal(record.grad, grad_before)  # raw gradient of that loss
    np.testing.assert_array_equal(record.delta, record.theta - before)
    for name in session.layout.names:
        np.testing.assert_array_equal(record.update[name], record.params[name] - before[session.layout.slices[session.layout.index[name]]].reshape(session.layout.shapes[session.layout.index[name]]))
        assert record.grad_norms[name] == pytest.approx(np.linalg.norm(record.grads[name]))
    assert record.layer_grad_norms["layer1"] == pytest.approx(
        math.hypot(np.linalg.norm(record.grads["layer1.W"]), np.linalg.norm(record.grads["layer1.b"])))


def test_an_update_made_when_first_read_is_the_same_from_every_copy():
    """A step leaves its record's delta to be made on first reading: every record of a step,
    the session's and the history's copies, gives theta after less theta before, and it
    cannot be set from outside."""
    session = Session(network())
    before = session.theta.copy()
    first = session.step()
    session.run(3)
    copy = session.history.cached(1)
    assert copy is not None and copy is not first
    assert np.array_equal(copy.delta, first.theta - before) and np.array_equal(first.delta, copy.delta)
    assert first.delta is first.delta  # made once, then kept
    with pytest.raises(AttributeError):
        first.missing_field  # noqa: B018  (any other missing name still raises)
    with pytest.raises(Exception):
        first.delta = np.zeros_like(first.delta)


def test_records_never_change_afterwards():
    session = Session(network())
    first = session.step()
    copies = {k: v.copy() for k, v in first.params.items()}
    state = {k: {s: v.copy() for s, v in d.items()} for k, d in first.state.items()}
    session.run(20)
    for k, v in first.params.items():
        np.testing.assert_array_equal(v, copies[k])
        for s, arr in first.state[k].items():
            np.testing.assert_array_equal(arr, state[k][s])
    with pytest.raises(ValueError):
        first.params["layer1.W"][0, 0] = 1.0
    with pytest.raises(Exception):
        first.loss = 0.0


def test_weight_decay_is_not_in_the_recorded_gradient():
    sc = objective(kind="adam", hyper={"weight_decay": 0.5}, a=0.3, b=0.2, c=-0.4)
    session = Session(sc)
    record = session.step()
    # raw gradient 2(a-1), 20(b+2), 2c at the start
    np.testing.assert_allclose([float(record.grads[k]) for k in "abc"], [2 * (0.3 - 1), 20 * 2.2, -0.8], rtol=1e-14)


def test_same_seed_same_run_bit_for_bit():
    runs = []
    for _ in range(2):
        session = Session(network(batch_size=16, seed=7))
        runs.append([session.step() for _ in range(7)])
    for r1, r2 in zip(*runs):
        assert r1.loss == r2.loss
        np.testing.assert_array_equal(r1.theta, r2.theta)
    other = Session(network(batch_size=16, seed=8)).step()
    assert not np.array_equal(other.theta, runs[0][0].theta)


def test_minibatches_without_shuffle_follow_the_rows():
    sc = network(batch_size=16, shuffle=False)
    session = Session(sc)
    params = {k: v.copy() for k, v in session.params.items()}
    x, y = sc.data.x, sc.data.y

    def hand_loss(rows, p):
        h = np.tanh(x[rows] @ p["layer1.W"] + p["layer1.b"])
        pred = (h @ p["layer2.W"] + p["layer2.b"])[:, 0]
        return np.mean((pred - y[rows]) ** 2)

    positions = []
    for rows in (slice(0, 16), slice(16, 32), slice(32, 40), slice(0, 16)):  # last batch of 8 used as is
        record = session.step()
        positions.append(record.batch)
        assert record.loss == pytest.approx(hand_loss(rows, params), rel=1e-13)
        params = {k: v.copy() for k, v in record.params.items()}
    assert positions == [(0, 0), (1, 0), (2, 0), (0, 1)]


def test_shuffled_epoch_visits_every_row_once():
    sc = network(batch_size=16, shuffle=True, n=40)
    perm = np.random.default_rng([sc.seed, 1, 0]).permutation(40)  # epoch 0's order
    session = Session(sc)
    p = {k: v.copy() for k, v in session.params.items()}
    record = session.step()
    x, y = sc.data.x, sc.data.y
    rows = perm[:16]
    pred = (np.tanh(x[rows] @ p["layer1.W"] + p["layer1.b"]) @ p["layer2.W"] + p["layer2.b"])[:, 0]
    assert record.loss == pytest.approx(np.mean((pred - y[rows]) ** 2), rel=1e-13)


@pytest.mark.parametrize("y_shape", ["flat", "column"])
def test_targets_of_shape_n_never_broadcast_to_n_by_n(y_shape):
    sc = network(y_shape=y_shape)
    session = Session(sc)
    p = session.params
    pred = (np.tanh(sc.data.x @ p["layer1.W"] + p["layer1.b"]) @ p["layer2.W"] + p["layer2.b"])[:, 0]
    assert session.step().loss == pytest.approx(np.mean((pred - np.ravel(sc.data.y)) ** 2), rel=1e-13)


def test_float32_scenarios_compute_in_float32():
    session = Session(network(dtype="float32"))
    record = session.run(3)
    assert record.theta.dtype == np.float32 and record.grad.dtype == np.float32
    assert all(v.dtype == np.float32 for v in record.flat_state.values())


def test_divergence_stops_at_the_last_good_step():
    session = Session(objective("exp(a*a)", kind="sgd", lr=10.0, a=1.0))
    with pytest.raises(Diverged) as info:
        for _ in range(50):
            session.step()
    assert info.value.step == session.t + 1
    assert "learning rate" in info.value.message
    good = session.record
    assert good is None or math.isfinite(good.loss)


@pytest.mark.parametrize("errstate", [False, True], ids=["context-variable", "np.errstate"])
@pytest.mark.parametrize("diverging", [False, True])
def test_a_step_ignores_float_errors_and_leaves_the_callers_error_state(diverging, errstate, monkeypatch):
    """Inside a step an overflow is a value the finite checks catch (Diverged, with its
    sentence), whatever the caller's NumPy error state; after it, good or diverged, the
    caller's state is back. Both ways of setting the state: NumPy 2's context variable, and
    ``np.errstate`` (another NumPy)."""
    if errstate:
        from gradstep.engine.training import quiet

        monkeypatch.setattr(quiet, "_VAR", None)
    # the network's update overflows (the loss was finite): the fast paths, no graph's errstate
    session = Session(network(kind="sgd", lr=1e306) if diverging else network(kind="adam", lr=1e-3))
    with np.errstate(all="raise"):
        if diverging:
            with pytest.raises(Diverged) as info:
                for _ in range(50):
                    session.step()
            assert "learning rate" in info.value.message
        else:
            session.step()
        assert np.geterr() == {"divide": "raise", "over": "raise", "under": "raise", "invalid": "raise"}
        with pytest.raises(FloatingPointError):
            np.array([1e308]) * 10.0


def test_set_lr_applies_from_the_next_step():
    session = Session(objective(kind="sgd", lr=0.01))
    session.step()
    session.set_lr(0.02)
    record = session.step()
    assert record.lr == 0.02
    with pytest.raises(ValueError):
        session.set_lr(-1.0)


def test_same_seed_same_initial_weights_for_every_init():
    for init in ("xavier_uniform", "he_normal", "normal", "zeros"):
        spec = NetworkSpec(3, (LayerSpec(4, "relu"), LayerSpec(2)), init=init, init_std=0.1)
        sc = Scenario(name="n", kind="network", model=spec, data=Dataset(np.zeros((4, 3)), np.zeros((4, 2))), loss="mse")
        w1, w2 = Session(sc).theta, Session(sc).theta
        np.testing.assert_array_equal(w1, w2)
    xavier = Session(Scenario(name="n", kind="network", model=NetworkSpec(30, (LayerSpec(50),)),
                              data=Dataset(np.zeros((2, 30)), np.zeros((2, 50))), loss="mse")).params["layer1.W"]
    bound = np.sqrt(6 / 80)
    assert np.abs(xavier).max() <= bound and np.abs(xavier).max() > 0.9 * bound


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_gradient_matches_finite_differences(loss):
    rng = np.random.default_rng(1)
    pred = rng.normal(size=(6, 3))
    target = rng.integers(0, 3, size=6) if loss == "cross_entropy" else (
        rng.integers(0, 2, size=(6, 3)).astype(float) if loss == "bce_logits" else rng.normal(size=(6, 3)))
    node = ad.parameter(pred)
    LOSSES[loss](node, target).backward()
    h = 1e-6
    numeric = np.zeros_like(pred)
    for idx in np.ndindex(pred.shape):
        up, down = pred.copy(), pred.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (LOSSES[loss](ad.constant(up), target).data - LOSSES[loss](ad.constant(down), target).data) / (2 * h)
    np.testing.assert_allclose(node.grad, numeric, rtol=1e-6, atol=1e-8)


def test_gradient_check_passes_and_finds_kinks():
    assert gradient_check(Session(network())).passed
    result = gradient_check(Session(objective("abs(a) + (b - 1)**2", a=0.0, b=0.5)))
    assert result.passed
    assert [e.name for e in result.kinks] == ["a"]


def test_gradient_check_at_the_edge_of_the_domain_is_reported_not_failed():
    """sqrt(a) at a = 0: the slope is infinite and sqrt(-h) is not defined. Not the engine's
    mistake: the entry is reported as not differentiable there, and b (whose gradient is
    2 (b - 1) = -1 by hand) is still checked. Where the loss itself is infinite (log(a) at 0),
    nothing can be compared, and nothing is failed."""
    result = gradient_check(Session(objective("sqrt(a) + (b - 1)**2", a=0.0, b=0.5)))
    assert [e.name for e in result.kinks] == ["a"]
    assert result.passed and result.worst.name == "b" and result.worst.analytic == -1.0
    result = gradient_check(Session(objective("log(a) + (b - 1)**2", a=0.0, b=0.5)))
    assert result.passed and result.worst is None


@pytest.mark.parametrize("kind", ["sgd", "momentum", "rmsprop", "adagrad", "adam", "adamw", "amsgrad"])
def test_effective_lr_times_the_direction_is_the_update(kind):
    """The effective step size shown per parameter, times the direction, gives the update."""
    session = Session(objective(kind=kind, lr=0.01, a=0.3, b=0.1, c=-0.2))
    session.run(3)
    before = session.theta.copy()
    record = session.step()
    for name in "abc":
        eff = float(record.effective_lr[name])
        g = float(record.grads[name])
        if kind in ("adam", "adamw", "amsgrad"):
            direction = float(record.state[name]["V_hat"])
        elif kind == "momentum":
            direction = float(record.state[name]["V"])
        else:
            direction = g
        decay = 0.01 * 0.01 * before[session.layout.index[name]] if kind == "adamw" else 0.0  # default wd 0.01
        assert float(record.update[name]) == pytest.approx(-eff * direction - decay, rel=1e-9, abs=1e-15)


def test_gradient_check_fails_a_wrong_gradient_even_when_it_is_small():
    """A wrong entry of size 1e-6 is still caught; rounding noise far below it is not failed."""
    from gradstep.engine.analysis.gradcheck import noise_floor, relative_error, TOLERANCE

    floor = noise_floor(loss=0.5, h=1e-4)
    assert relative_error(3.5e-7, 3.5e-7 + 5e-13, floor) <= TOLERANCE   # noise of the quotient
    assert relative_error(1e-6, 2e-6, floor) > TOLERANCE                  # wrong by 100%
    assert relative_error(0.3, 0.3 * (1 + 1e-5), floor) > TOLERANCE       # wrong in the 5th digit


def test_a_dropped_session_and_its_history_are_freed_at_once():
    """No reference cycle: a history of hundreds of megabytes must not wait for the cyclic collector."""
    import gc
    import weakref

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for sc in (objective(), network(batch_size=16)):
            session = Session(sc)
            session.run(30)
            session.goto(3)
            session.set_lr(0.02)
            session.step_inputs(2)
            parts = [weakref.ref(part) for part in (session, session.history, session._batches,
                                                    session._source, session._graph)]
            del session
            assert [part() for part in parts] == [None] * len(parts)
    finally:
        if was_enabled:
            gc.enable()
