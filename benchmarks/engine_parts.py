#!/usr/bin/env python3
"""Where a step's time goes: the engine's kernels, its bookkeeping, and the fused floor's parts.

For each case of ``benchmarks/engine.py`` this times, in this thread's CPU time, the whole
``Session.step`` and each piece of it called alone on the same inputs: the loss and gradient
(``session._source.value_and_grad``), the optimizer's update (``session._update.step``), the
update's difference (``new - old``, which a record now makes only when read), the norm row,
building the record, ``history.add``, the error state (``quiet``/``restore``); and the floor's
whole step and its Adam alone. The
bookkeeping is the step less the two kernels. Last, the best ratio the engine could reach with
no bookkeeping at all (its kernels over the floor) and the bookkeeping the 1.25x target leaves.

Run from the repository root (one BLAS thread, so that its work is on this thread's clock)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/engine_parts.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE.parent, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from engine_cases import CASES, DTYPES, FUSED_TARGET, Fused, adam_inplace, engine_scenario, initial_params  # noqa: E402
from gradstep.engine.training.quiet import quiet, restore  # noqa: E402
from gradstep.engine.training.record import StepRecord  # noqa: E402
from gradstep.engine.training.session import Session  # noqa: E402


def per_call(fn, budget_ns=3e6, repeat=7):
    """Median CPU microseconds per call of ``fn`` over ``repeat`` batches of about ``budget_ns``."""
    clock = time.thread_time_ns
    n, start = 0, clock()
    while clock() - start < budget_ns / 10:
        fn()
        n += 1
    n = max(1, n * 10)
    times = []
    for _ in range(repeat):
        start = clock()
        for _ in range(n):
            fn()
        times.append((clock() - start) / n / 1e3)
    return statistics.median(times)


def parts(case, dtype):
    session = Session(engine_scenario(case, dtype))
    fused = Fused(case, dtype, initial_params(case, dtype, session))
    session.run(20)
    out = {"step": per_call(session.step)}
    theta, state, hyper = session.theta, session._state, session.hyper
    batch, position = session._batches.at(session.t + 1)
    token = quiet()
    try:
        loss, grad = session._source.value_and_grad(theta, batch)
        new_theta = session._update.step(theta, grad, state, hyper)[0]
        out["value_and_grad"] = per_call(lambda: session._source.value_and_grad(theta, batch))
        out["update.step"] = per_call(lambda: session._update.step(theta, grad, state, hyper))
        out["delta"] = per_call(lambda: new_theta - theta)
        out["norm_row"] = per_call(lambda: session.layout.norm_row(grad))
    finally:
        restore(token)
    norms = session.layout.norm_row(grad)
    fields = dict(session.record.__dict__)
    out["StepRecord.of"] = per_call(lambda: StepRecord.of({**fields}))
    history, record = session.history, session.record
    steps = [10 ** 9]

    def add():  # a new furthest step each call, as a run adds them
        steps[0] += 1
        record.__dict__["step"] = steps[0]
        history.add(record, norms, 1e-6)
    out["history.add"] = per_call(add)
    out["quiet+restore"] = per_call(lambda: restore(quiet()))
    out["floor step"] = per_call(fused.step)
    out["floor adam"] = per_call(lambda: adam_inplace(fused.theta, fused.grad, fused.m, fused.v, fused.tmp, 5,
                                                      fused.lr))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=list(CASES))
    parser.add_argument("--dtype", action="append", choices=DTYPES)
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; CPU us per call (median)\n")
    names = None
    for case in args.case or ["objective", "1-8-1", "2-16-16-1"]:
        for dtype in args.dtype or ["float64"]:
            p = parts(case, dtype)
            kernels = p["value_and_grad"] + p["update.step"]
            p["bookkeeping"] = p["step"] - kernels
            p["kernels/floor"] = kernels / p["floor step"]
            p["step/floor"] = p["step"] / p["floor step"]
            p["budget at target"] = FUSED_TARGET * p["floor step"] - kernels
            if names is None:
                names = list(p)
                print("| case | " + " | ".join(names) + " |")
                print("|" + " --- |" * (len(names) + 1))
            cells = [f"{p[k]:.2f}x" if "/" in k else f"{p[k]:.2f}" for k in names]
            print(f"| {CASES[case][0]} {dtype} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nbookkeeping = step - value_and_grad - update.step; budget at target = {FUSED_TARGET}x the floor's "
          f"step less the engine's kernels (what the rest of the step may take)")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
