"""A full trace written in one go says, line by line, what each record says on its own.

``write_records`` fills one buffer of per-parameter views for every record instead of cutting
each record afresh; these tests hold it to :func:`record_to_dict`, which converts one record by
itself, over records whose optimizer state changes shape on the way (a switch of optimizer)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from gradstep.engine import Session
from gradstep.engine.scenario import Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec, Scenario
from gradstep.engine.training.trace import record_to_dict, write_records


def network(dtype):
    rng = np.random.default_rng(5)
    return Scenario(name="n", kind="network", model=NetworkSpec(2, (LayerSpec(3, "tanh"), LayerSpec(2))),
                    data=Dataset(rng.standard_normal((7, 2)), rng.standard_normal((7, 2))), loss="mse",
                    optimizer=OptimizerSpec("adam", 1e-2), dtype=dtype)


def objective(dtype):
    return Scenario(name="f", kind="objective",
                    model=ExpressionSpec("(a - 1)**2 + 10*(b + 2)**2 + c**2", {k: np.array(0.0) for k in "abc"}),
                    optimizer=OptimizerSpec("adam", 0.05), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("make", [network, objective], ids=["network", "objective"])
def test_each_line_is_the_record_on_its_own(make, dtype):
    session = Session(make(dtype))
    records = [session.step() for _ in range(3)]
    session.set_optimizer("amsgrad")          # V, S, S_max, V_hat, S_hat
    records += [session.step() for _ in range(3)]
    session.set_optimizer("momentum", 0.01)   # V only
    records += [session.step() for _ in range(2)]
    session.set_optimizer("sgd", 0.01)        # no state at all
    records += [session.step() for _ in range(2)]
    stream = io.StringIO()
    assert write_records(stream, iter(records), session.layout, "jsonl", True) == len(records)
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(records)
    for line, record in zip(lines, records):
        assert json.loads(line) == record_to_dict(record, full=True)


def test_brief_lines_carry_no_arrays():
    session = Session(network("float64"))
    records = [session.step() for _ in range(2)]
    stream = io.StringIO()
    write_records(stream, records, session.layout, "jsonl", False)
    assert [json.loads(line) for line in stream.getvalue().splitlines()] == [record_to_dict(r) for r in records]
