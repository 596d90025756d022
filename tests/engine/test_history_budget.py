"""The history within its byte budget on a 784-128-10 network, and exact time travel after eviction.

The network has the real shapes of ``tests/data/large/digits-784.toml`` (101,770 parameters:
each kept record is about 4 MB, each keyframe about 2.4 MB) but trains on 16 random rows, so
that 2,000 steps stay affordable; the budget is small (a few records and keyframes), so the
history evicts records and thins keyframes all through the run. What it holds is counted here by
walking every object the history reaches (never by its own ``nbytes``), each array's memory once.
"""

import gc
import types

import numpy as np

from gradstep.engine.scenario import Dataset, LayerSpec, NetworkSpec, OptimizerSpec, Scenario, TrainingSpec
from gradstep.engine.training.record import StepRecord
from gradstep.engine.training.session import Session
from tests.engine.test_history import assert_same

STEPS = 2000
RECORDS = 24 << 20  # whole records: 3 in the ring (12 MiB), 5 keyframes (12 MiB)
SCALARS = 64 << 10
OPTIONS = dict(record_bytes=RECORDS, scalar_bytes=SCALARS, scalar_chunk=64, keyframe_seconds=1e9, max_interval=50)


def digits_like():
    rng = np.random.default_rng(784)
    x = (rng.random((16, 784)) < 0.2).astype(float)
    y = rng.integers(0, 10, size=16)
    return Scenario(name="784", kind="network",
                    model=NetworkSpec(784, (LayerSpec(128, "relu"), LayerSpec(10)), init="he_normal"),
                    data=Dataset(x, y), loss="cross_entropy", optimizer=OptimizerSpec("adam", 1e-3),
                    training=TrainingSpec(batch_size=8, shuffle=True), seed=0)


def reachable_array_bytes(root):
    """Bytes of the distinct NumPy array memory reachable from ``root`` through references
    (``gc.get_referents``), a view counted as the array that owns its memory."""
    seen, owners, stack = set(), {}, [root]
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            owner = obj
            while isinstance(owner.base, np.ndarray):
                owner = owner.base
            owners[id(owner)] = owner.nbytes
            continue
        stack.extend(gc.get_referents(obj))
    return sum(owners.values())


def test_the_history_of_2000_steps_of_a_784_network_stays_within_its_budget_and_travels_exactly():
    scenario = digits_like()
    session = Session(scenario, history_options=OPTIONS)
    assert session.layout.size == 784 * 128 + 128 + 128 * 10 + 10
    record_size = 5 * session.layout.size * 8  # theta, grad, delta, V, S
    assert record_size > 4_000_000
    most = 0
    for _n in range(STEPS // 100):
        session.run(100)
        held = reachable_array_bytes(session.history)
        most = max(most, held)
        assert held <= RECORDS + SCALARS, f"{held / 2**20:.1f} MiB at step {session.t}"
    # what it holds is records and keyframes, not nothing: at least a record and two keyframes
    assert most >= record_size + 2 * (3 * session.layout.size * 8)
    assert len(session.history.keyframe_steps) >= 3

    kept = [t for t in range(1, STEPS + 1) if session.history.cached(t) is not None]
    assert len(kept) <= 3  # the ring holds only the last few records: every other step was evicted
    keyframes = [t for t in session.history.keyframe_steps if t > 0]
    targets = sorted({1, 2, 777, 1001, 1500, STEPS - 10, keyframes[0], keyframes[-1], keyframes[-1] + 1, STEPS})
    targets = [t for t in targets if t <= STEPS]
    straight = Session(scenario, history_options=dict(record_bytes=0, scalar_bytes=SCALARS, scalar_chunk=64))
    expected = {}
    for t in range(1, STEPS + 1):
        record = straight.step()
        if t in targets:
            expected[t] = record
    for t in reversed(targets):  # from the end backwards, then forwards again
        assert_same(session.goto(t), expected[t])
    for t in targets:
        record = session.goto(t)
        assert_same(record, expected[t])
        assert dict(record.grad_norms) == dict(expected[t].grad_norms)
        assert isinstance(record, StepRecord) and session.t == t
        np.testing.assert_array_equal(session.theta, expected[t].theta)
    assert reachable_array_bytes(session.history) <= RECORDS + SCALARS
