#!/usr/bin/env python3
"""Every record bit for bit: dump many sessions' records, or compare them with a dump.

A change meant to make the step faster must not change one bit of what it computes. This runs
the bundled scenarios in both dtypes with every optimizer (and weight decay, momentum, β1 on
either side of ½), under every learning-rate schedule, with gradient clipping, L1/L2 terms and
the cases of ``benchmarks/engine.py``, objectives of 12 and 13 scalars (either side of the
float64 Adam on Python floats), a few hundred steps each, then goes back in history and
replays; it keeps every field of the records of a sample of steps (parameters, gradient,
update, optimizer state and the derived ``V_hat``/``S_hat``, loss, validation loss, the norm row
as stored and as read, clipped norm, metrics, batch, hyperparameters), the history's scalar log,
and each divergence's step and message. Arrays are compared by dtype and bytes (NaN equal to
NaN).

Usage, from the repository root::

    .venv/bin/python benchmarks/engine_golden.py save /tmp/before.npz    # on the old code
    .venv/bin/python benchmarks/engine_golden.py check /tmp/before.npz   # on the new code

``check`` exits with status 1 and names the first differences when anything differs.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import numpy as np  # noqa: E402

from engine_cases import CASES, engine_scenario  # noqa: E402
from gradstep.engine import load_scenario, resolve_scenario  # noqa: E402
from gradstep.engine.scenario import ExpressionSpec, OptimizerSpec, Scenario, ScheduleSpec  # noqa: E402
from gradstep.engine.scenario.schedule_reader import SCHEDULES  # noqa: E402
from gradstep.engine.training.session import Diverged, Session  # noqa: E402

STEPS = 240
SMALL_ADAM = 12  # gradstep.engine.optim.fused_adam.SMALL (written out: the script also runs on older code)
OPTIMIZERS = [("adam", {}), ("adam", {"weight_decay": 0.01}), ("adam", {"beta1": 0.3}), ("adamw", {}),
              ("amsgrad", {"weight_decay": 0.001}), ("sgd", {}), ("sgd", {"weight_decay": 0.01}),
              ("momentum", {}), ("nesterov", {"weight_decay": 0.01}), ("rmsprop", {}),
              ("rmsprop", {"momentum": 0.5, "weight_decay": 0.01}), ("adagrad", {"lr_decay": 0.01})]
SCENARIOS = ["adam-fabc", "gd-fabc", "gd-fabc-large-lr", "moons", "xor", "sine-net", "rosenbrock",
             "linear-regression", "spiral", "mse-3x5", "quadratic-fit", "chain-rule"]
SCHEDULE_ARGS = {"step": {"step_size": 30, "gamma": 0.5}, "exponential": {"gamma": 0.99},
                 "cosine": {"t_max": 100}, "warmup": {"total_iters": 40},
                 "one_cycle": {"max_lr": 0.05, "total_steps": 200}}


def _schedule(kind):
    args = {k: v for k, v in SCHEDULES[kind].items() if v is not None}
    args.update(SCHEDULE_ARGS[kind])
    return ScheduleSpec(kind, args)


def runs():
    """``(key, scenario)`` for every session compared."""
    for name in SCENARIOS:
        sc = load_scenario(resolve_scenario(name))
        for dtype in ("float64", "float32"):
            for kind, hyper in OPTIMIZERS:
                lr = sc.optimizer.lr if kind == sc.optimizer.kind else (0.01 if kind != "sgd" else 0.001)
                opt = OptimizerSpec(kind, lr, hyper=hyper)
                yield f"{name}-{dtype}-{kind}-{sorted(hyper.items())}", dataclasses.replace(sc, dtype=dtype, optimizer=opt)
    for name in ("moons", "sine-net", "adam-fabc"):
        sc = load_scenario(resolve_scenario(name))
        for kind in SCHEDULES:
            for opt in ("adam", "momentum", "rmsprop", "adamw"):
                spec = OptimizerSpec(opt, 0.01, hyper={"weight_decay": 0.01} if opt == "adamw" else {})
                yield f"{name}-schedule-{kind}-{opt}", dataclasses.replace(sc, schedule=_schedule(kind), optimizer=spec)
        training = sc.training
        yield f"{name}-clip-norm", dataclasses.replace(sc, training=dataclasses.replace(training, clip_norm=0.05))
        yield f"{name}-clip-value", dataclasses.replace(sc, training=dataclasses.replace(training, clip_value=0.01))
        if sc.kind == "network":
            yield f"{name}-l1-l2", dataclasses.replace(sc, l1=1e-3, l2=1e-2)
    for name, kind, lr in (("gd-fabc", "sgd", 1e306), ("adam-fabc", "sgd", 1e200), ("sine-net", "sgd", 1e30),
                           ("xor", "momentum", 1e160), ("moons", "rmsprop", 1e300)):
        for dtype in ("float64", "float32"):  # divergence in the loss, the gradient or the update
            sc = load_scenario(resolve_scenario(name))
            yield f"{name}-{dtype}-diverge-{kind}-{lr:g}", dataclasses.replace(sc, dtype=dtype, optimizer=OptimizerSpec(kind, lr))
    for case in CASES:
        for dtype in ("float64", "float32"):
            yield f"bench-{case}-{dtype}", engine_scenario(case, dtype)
    for size in (SMALL_ADAM, SMALL_ADAM + 1):  # either side of the Python-float Adam's threshold
        names = [f"p{i}" for i in range(size)]
        params = {name: np.array(0.25 * i - 1.0) for i, name in enumerate(names)}
        expression = " + ".join(f"{1 + i % 3}*({name} - {i % 4})**2" for i, name in enumerate(names))
        for hyper in ({}, {"weight_decay": 0.01, "beta1": 0.3}, {"bias_correction": 0}):
            for dtype in ("float64", "float32"):
                yield (f"objective-{size}-{dtype}-{sorted(hyper.items())}",
                       Scenario(name=f"objective-{size}", kind="objective", model=ExpressionSpec(expression, params),
                                optimizer=OptimizerSpec("adam", 0.05, hyper=hyper), dtype=dtype))


def _keep(out, key, record):
    """Every field of ``record`` into ``out`` under ``key``."""
    out[f"{key}|theta"] = record.theta
    out[f"{key}|grad"] = record.grad
    out[f"{key}|delta"] = record.delta
    out[f"{key}|loss"] = np.array([record.loss, np.nan if record.val_loss is None else record.val_loss,
                                   np.nan if record.clipped_norm is None else record.clipped_norm])
    out[f"{key}|norms-stored"] = np.array([]) if record.norms is None else np.asarray(record.norms)
    out[f"{key}|norms"] = np.asarray(record._norm_row)
    out[f"{key}|grad_norm"] = np.array([record.grad_norm])
    for k, v in record.flat_state.items():
        out[f"{key}|state-{k}"] = v
    out[f"{key}|t-batch"] = np.array([record.opt_state["t"], *record.batch, record.step])
    out[f"{key}|hyper"] = np.array(sorted((k, repr(v)) for k, v in record.hyper.items()), dtype=str)
    out[f"{key}|metrics"] = np.array(sorted((k, repr(v)) for k, v in (record.metrics or {}).items()), dtype=str)


def dump(steps=STEPS, only=None):
    out = {}
    for key, scenario in runs():
        if only and only not in key:
            continue
        session = Session(scenario)
        for _ in range(steps):
            try:
                record = session.step()
            except Diverged as exc:
                out[f"{key}|diverged"] = np.array([str(exc.step), repr(exc.loss), exc.message], dtype=str)
                break
            if record.step % 37 == 0 or record.step <= 3 or record.step == steps:
                _keep(out, f"{key}|{record.step}", record)
        history = session.history
        if history.furthest:
            out[f"{key}|scalars"] = np.vstack([np.asarray(history.scalars.values(c), dtype=np.float64)
                                               for c in range(history.scalars.columns)])
            for t in sorted({1, history.furthest // 2, history.furthest}):  # replays
                if t:
                    record = session.goto(t)
                    _keep(out, f"{key}|goto{t}", record)
    return out


def _same(a, b):
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        return np.array_equal(a, b, equal_nan=True) and a.tobytes() == b.tobytes() or (
            np.array_equal(a.view(np.uint8), b.view(np.uint8)))
    return np.array_equal(a, b)


def main(argv):
    if len(argv) < 2 or argv[0] not in ("save", "check"):
        print(__doc__)
        return 2
    only = argv[2] if len(argv) > 2 else None
    out = dump(only=only)
    if argv[0] == "save":
        np.savez(argv[1], **out)
        print(f"{len(out)} arrays saved to {argv[1]}")
        return 0
    with np.load(argv[1]) as ref:
        names = [k for k in ref.files if not only or only in k]
        bad = [k for k in names if k not in out or not _same(ref[k], np.asarray(out[k]))]
        extra = [k for k in out if k not in ref.files]
    print(f"{len(names)} arrays compared bit for bit; {len(bad)} differ; {len(extra)} new")
    for k in (bad + extra)[:20]:
        print(f"  DIFFERS: {k}")
    return 1 if bad or extra else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
