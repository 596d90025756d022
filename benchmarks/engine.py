#!/usr/bin/env python3
"""Microseconds per training step: gradstep's engine against PyTorch eager and a fused NumPy floor.

For every case (the objective f(a,b,c) and four tanh/MSE/Adam networks, full batch) and both
dtypes this times, in the same process:

1. ``engine``: ``gradstep.engine.training.session.Session(scenario).step()``, building its StepRecord;
2. ``torch``: a plain PyTorch eager step (``zero_grad``, forward, loss, ``backward``,
   ``torch.optim.Adam.step``) when torch is importable, else ``n/a``;
3. ``fused``: a hand-written NumPy step with no graph: forward and backward written out with
   matmuls into preallocated arrays; parameters, gradients and Adam moments are views of one flat
   buffer, and Adam runs in place on it with PyTorch's formulas.

All three start from the same initial parameters (the Session's), and before timing a sanity check
asserts that their first losses agree with the engine's (relative 1e-6).

On a machine other processes keep busy, ``--cpu-time`` (with ``OPENBLAS_NUM_THREADS=1``) times
each batch in this thread's CPU time with one BLAS and one torch thread: the three columns'
ratios then hold however loaded the machine is.

Timing: ``time.perf_counter_ns`` (or ``time.thread_time_ns``) around batches of k steps (k chosen so a batch lasts a few
milliseconds), after warm-up, repeated; the table shows the median per step. Implementations are
timed in blocks with a pause between them, never step by step in alternation (see
:func:`time_blocks`: the thread pools of OpenBLAS and PyTorch would fight over the cores). The garbage collector
stays enabled (as in real use); the number of collections during timing is reported.

The cases and the two steps timed beside the engine's are in ``engine_cases.py``, how they are
timed in ``engine_timing.py`` (both beside this script).

Run from the repository root (see benchmarks/README.md)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /work/torchvenv/bin/python benchmarks/engine.py
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import engine_timing as timing  # noqa: E402  (this folder, beside the script)
from engine_cases import CASES, DTYPES, Fused, engine_scenario, initial_params, torch_step  # noqa: E402
from engine_timing import GCCounter, blas_report, cpu_snapshot, others_busy, time_blocks  # noqa: E402
from gradstep.engine.training.session import Session  # noqa: E402

RTOL = 1e-6
SANITY_STEPS = 3
NOISY_IQR = 20.0  # per cent: a row whose batch times spread more than this is timed again
IMPLS = ("engine", "torch", "fused")


def relclose(a, b):
    return abs(a - b) <= RTOL * max(abs(a), abs(b), 1e-300)


# -- one case ------------------------------------------------------------------------------------
def run_case(case, dtype, torch, args, gc_counter):
    """One row: medians (us), check messages and spreads."""
    notes = []
    session = None
    try:
        session = Session(engine_scenario(case, dtype))
    except Exception as exc:  # engine/expr.py missing or not accepting the objective yet
        notes.append(f"engine n/a ({type(exc).__name__}: {exc})")
    params = initial_params(case, dtype, session)
    fused = Fused(case, dtype, params)
    tstep = torch_step(torch, case, dtype, params) if torch is not None else None

    losses = {}
    if session is not None:
        losses["engine"] = [session.step().loss for _ in range(SANITY_STEPS)]
    losses["fused"] = [float(fused.step()) for _ in range(SANITY_STEPS)]
    if tstep is not None:
        losses["torch"] = [tstep().item() for _ in range(SANITY_STEPS)]
    reference = "engine" if "engine" in losses else "fused"
    ok = True
    for name, values in losses.items():
        if name == reference:
            continue
        if not relclose(values[0], losses[reference][0]):
            ok = False
            notes.append(f"CHECK FAILED: first loss {name} {values[0]!r} vs {reference} {losses[reference][0]!r}")
        later = [i + 1 for i in range(1, SANITY_STEPS) if not relclose(values[i], losses[reference][i])]
        if later:
            notes.append(f"note: {name} loss differs from {reference} by > {RTOL:g} at step(s) {later}")

    fns = {}
    if session is not None:
        fns["engine"] = session.step
    if tstep is not None:
        fns["torch"] = tstep
    fns["fused"] = fused.step
    best = None
    for attempt in range(1, args.attempts + 1):
        samples = time_blocks(fns, args.repeat, args.batch_ms * 1e6, args.warmup_ms * 1e6,
                              args.pause_ms / 1e3, gc_counter)
        medians = {name: statistics.median(s) / 1e3 for name, s in samples.items()}
        spreads = {}
        for name, s in samples.items():
            q = statistics.quantiles(s, n=4) if len(s) >= 2 else [s[0]] * 3
            spreads[name] = (q[2] - q[0]) / q[1] * 100
        if best is None or max(spreads.values()) < max(best[1].values()):
            best = medians, spreads, attempt
        if max(spreads.values()) <= NOISY_IQR:
            break
    medians, spreads, chosen = best
    if attempt > 1:
        notes.append(f"timed {attempt} times (IQR above {NOISY_IQR:g} %); the table shows attempt {chosen}, "
                     f"the least noisy")
    return medians, spreads, ok, notes


# -- output --------------------------------------------------------------------------------------
def fmt_us(value):
    if value is None:
        return "n/a"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def fmt_ratio(value):
    return "n/a" if value is None else f"{value:.2f}x"


def verdict(value, target, at_least):
    if target is None:
        return "-"
    sign = ">=" if at_least else "<="
    if value is None:
        return f"{sign}{target:g}x n/a"
    passed = value >= target if at_least else value <= target
    return f"{sign}{target:g}x {'PASS' if passed else 'MISS'}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=None, help="timed batches per implementation (default 41, --quick 11)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and shorter batches")
    parser.add_argument("--case", action="append", choices=list(CASES), metavar="NAME",
                        help=f"only this case (repeatable): {', '.join(CASES)}")
    parser.add_argument("--dtype", action="append", choices=DTYPES, help="only this dtype (repeatable)")
    parser.add_argument("--attempts", type=int, default=3,
                        help=f"time a row up to this many times while its IQR is above {NOISY_IQR:g} %% (default 3)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch column")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with this thread's CPU time, one BLAS and one torch thread: ratios that "
                             "hold on a machine other processes load (set OPENBLAS_NUM_THREADS=1 too)")
    args = parser.parse_args(argv)
    if args.cpu_time:
        timing.CLOCK = time.thread_time_ns
    if args.repeat is None:
        args.repeat = 11 if args.quick else 41
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.attempts < 1:
        parser.error("--attempts must be at least 1")
    args.batch_ms = 1.0 if args.quick else 4.0
    args.warmup_ms = 20.0 if args.quick else 100.0
    args.pause_ms = 100.0 if args.quick else 250.0

    blas_lines, blas_threads = blas_report()   # before torch is imported: numpy's own BLAS
    torch = None
    torch_note = "not importable"
    if not args.no_torch:
        try:
            import torch as _torch
            torch = _torch
            default_threads = torch.get_num_threads()
            if args.cpu_time:
                torch.set_num_threads(1)  # every step's work on this thread, where it is timed
            elif blas_threads and blas_threads != default_threads:
                torch.set_num_threads(blas_threads)
            torch_note = (f"{torch.__version__}, threads={torch.get_num_threads()} (default {default_threads}), "
                          f"interop={torch.get_num_interop_threads()}")
        except ImportError:
            torch = None
    else:
        torch_note = "skipped (--no-torch)"

    env = ", ".join(f"{k}={os.environ[k]}" if k in os.environ else f"{k} unset"
                    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"))
    print("# gradstep engine benchmark: microseconds per training step (median)\n")
    print(f"- python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, {platform.machine()}")
    for line in blas_lines:
        print(f"- numpy BLAS: {line}")
    print(f"- torch: {torch_note}")
    print(f"- env: {env}")
    print(f"- load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
          + ("  (WARNING: load above 0.5: busy machine or a run just before; timings may be noisy)" if os.getloadavg()[0] > 0.5 else ""))
    if args.cpu_time:
        print(f"- timed in CPU time of this thread (--cpu-time); numpy BLAS threads: {blas_threads}"
              + ("" if blas_threads == 1 else "  (WARNING: set OPENBLAS_NUM_THREADS=1, or BLAS work on "
                                              "other threads goes untimed)"))
    print(f"- {args.repeat} timed batches per implementation, ~{args.batch_ms:g} ms each, in blocks taking turns, "
          f"{args.pause_ms:g} ms pause before each block; gc enabled ({gc.isenabled()})\n")

    gc_counter = GCCounter(IMPLS)
    gc.callbacks.append(gc_counter)
    snapshot = cpu_snapshot()
    cases = args.case or list(CASES)
    dtypes = args.dtype or list(DTYPES)
    rows, all_notes, failed = [], [], False
    try:
        for case in cases:
            for dtype in dtypes:
                medians, spreads, ok, notes = run_case(case, dtype, torch, args, gc_counter)
                failed |= not ok
                label, _, _, torch_target, fused_target = CASES[case]
                e, t, f = (medians.get(n) for n in IMPLS)
                torch_ratio = t / e if t is not None and e is not None else None
                fused_ratio = e / f if e is not None and f is not None else None
                spread = max(spreads.values())
                rows.append([label, dtype, fmt_us(e), fmt_us(t), fmt_us(f), fmt_ratio(torch_ratio),
                             fmt_ratio(fused_ratio), verdict(torch_ratio, torch_target, True),
                             verdict(fused_ratio, fused_target, False), f"{spread:.0f}%"])
                all_notes += [f"{label} {dtype}: {n}" for n in notes]
                print(f"  done {label} {dtype}", file=sys.stderr, flush=True)
    finally:
        gc.callbacks.remove(gc_counter)

    header = ["case", "dtype", "engine us", "torch us", "fused us", "torch/engine", "engine/fused",
              "target torch/engine", "target engine/fused", "IQR"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    print()
    print("IQR: the largest interquartile range of the three implementations' per-batch times, "
          "as % of its median (noise).")
    gcs = "; ".join(f"{name} {c[0]}/{c[1]}/{c[2]}" for name, c in gc_counter.counts.items())
    print(f"gc collections during timing (gen0/gen1/gen2): {gcs}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    busy = others_busy(snapshot, cpu_snapshot())
    if busy is not None:
        print(f"other processes kept {busy:.0%} of the CPUs busy during the run"
              + (" (noisy: rerun when the machine is idle)" if busy > 0.05 else ""))
    if all_notes:
        print()
        for note in all_notes:
            print(f"- {note}")
    print("\nsanity check: " + ("FAILED (see above)" if failed else
                                f"first losses agree within {RTOL:g} relative"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
