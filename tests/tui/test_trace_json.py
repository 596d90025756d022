"""The interface's trace encoder (orjson) against the engine's (the standard library): every
number of a trace reads back bit for bit as the engine held it, whichever wrote it."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from gradstep.engine import Session
from gradstep.engine.scenario import Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec, Scenario
from gradstep.engine.training.trace import JsonEncoder, write_records
from gradstep.tui.trace_json import OrjsonEncoder

ENCODERS = [JsonEncoder(), OrjsonEncoder()]


def network(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 2))
    # targets over many decades, so parameters, gradients and S span tiny and huge numbers
    y = rng.standard_normal((9, 1)) * np.logspace(-30, 15, 9)[:, None]
    return Scenario(name="n", kind="network", model=NetworkSpec(2, (LayerSpec(3, "tanh"), LayerSpec(1))),
                    data=Dataset(x, y), loss="mse", optimizer=OptimizerSpec("adam", 1e-3), dtype=dtype)


def objective():
    return Scenario(name="f", kind="objective",
                    model=ExpressionSpec("(a - 1)**2 + 10*(b + 2)**2 + c**2", {k: np.array(0.0) for k in "abc"}),
                    optimizer=OptimizerSpec("adam", 0.05))


def records_of(scenario, steps=6):
    session = Session(scenario)
    return session, [session.step() for _ in range(steps)]


def exact(read, held):
    """``read`` (from the text) is bit for bit ``held`` read as float64."""
    read = np.asarray(read, dtype=np.float64)
    held = np.asarray(held).astype(np.float64)
    assert read.shape == held.shape
    assert read.tobytes() == held.tobytes()


@pytest.mark.parametrize("encoder", ENCODERS, ids=["json", "orjson"])
@pytest.mark.parametrize("scenario", [network("float64"), network("float32"), objective()],
                         ids=["float64", "float32", "objective"])
def test_every_number_of_a_jsonl_trace_reads_back_exactly(encoder, scenario):
    session, records = records_of(scenario)
    stream = io.StringIO()
    assert write_records(stream, records, session.layout, "jsonl", True, False, encoder) == len(records)
    rows = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["step"] for r in rows] == [r.step for r in records]
    for row, rec in zip(rows, records):
        assert row["loss"] == rec.loss and row["lr"] == rec.lr and row["grad_norm"] == rec.grad_norm
        for name in rec.layout.names:
            exact(row["params"][name], rec.params[name])
            exact(row["grads"][name], rec.grads[name])
            exact(row["update"][name], rec.update[name])
            assert list(row["state"][name]) == list(rec.state[name])
            for key, value in rec.state[name].items():
                exact(row["state"][name][key], value)


@pytest.mark.parametrize("encoder", ENCODERS, ids=["json", "orjson"])
def test_every_number_of_a_csv_trace_reads_back_exactly(encoder):
    session, records = records_of(network("float32"))
    stream = io.StringIO()
    write_records(stream, records, session.layout, "csv", True, False, encoder)
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    header, body = rows[0], rows[1:]
    assert len(body) == len(records)
    for row, rec in zip(body, records):
        assert len(row) == len(header)
        flats = [rec.theta, rec.grad, rec.delta, *rec.flat_state.values()]
        exact([float(v) for v in row[4:]], np.concatenate(flats))
        assert float(row[1]) == rec.loss


def test_progress_is_told_each_step_and_can_stop_the_writing():
    session, records = records_of(network("float64"))
    seen = []

    class Stop(Exception):
        pass

    def progress(done):
        seen.append(done)
        if done == 3:
            raise Stop

    stream = io.StringIO()
    with pytest.raises(Stop):
        write_records(stream, records, session.layout, "jsonl", True, False, OrjsonEncoder(), progress)
    assert seen == [1, 2, 3]
    assert len(stream.getvalue().splitlines()) == 3
