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

Run from the repository root (see benchmarks/README.md)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /work/torchvenv/bin/python benchmarks/engine.py
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import math
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

from gradstep.engine.scenario import (  # noqa: E402
    Dataset, ExpressionSpec, LayerSpec, NetworkSpec, OptimizerSpec, Scenario,
)
from gradstep.engine.training.session import Session  # noqa: E402

OBJECTIVE = "(a-1)**2 + 10*(b+2)**2 + c**2"
OBJECTIVE_LR = 0.05
NETWORK_LR = 1e-3
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
RTOL = 1e-6
SANITY_STEPS = 3
NOISY_IQR = 20.0  # per cent: a row whose batch times spread more than this is timed again

# name -> (label, layer sizes or None for the objective, batch, torch/engine target, fused target).
# Issue 15: on every case the engine's step, its record included, at least as fast as PyTorch
# eager and within 1.25x of the fused floor.
TORCH_TARGET, FUSED_TARGET = 1.0, 1.25
CASES = {
    "objective": ("f(a,b,c)", None, 0, TORCH_TARGET, FUSED_TARGET),
    "1-8-1": ("1-8-1", (1, 8, 1), 32, TORCH_TARGET, FUSED_TARGET),
    "2-16-16-1": ("2-16-16-1", (2, 16, 16, 1), 128, TORCH_TARGET, FUSED_TARGET),
    "2-64-64-1": ("2-64-64-1", (2, 64, 64, 1), 256, TORCH_TARGET, FUSED_TARGET),
    "784-128-10": ("784-128-10", (784, 128, 10), 128, TORCH_TARGET, FUSED_TARGET),
}
DTYPES = ("float64", "float32")
IMPLS = ("engine", "torch", "fused")
CLOCK = time.perf_counter_ns
"""What the batches are timed with: wall time, or with ``--cpu-time`` this thread's CPU time."""


# -- environment ---------------------------------------------------------------------------------
def _numpy_openblas():
    """(corename, config, threads) of the OpenBLAS numpy loaded, read with ctypes; None if unknown."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    paths = sorted(paths, key=lambda p: "numpy" not in p)
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                try:
                    core = getattr(lib, f"{prefix}get_corename{suffix}")
                    config = getattr(lib, f"{prefix}get_config{suffix}")
                    threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
                except AttributeError:
                    continue
                core.restype = config.restype = ctypes.c_char_p
                return core().decode(), config().decode().strip(), int(threads())
    return None


def blas_report():
    """Lines describing numpy's BLAS at run time, and its thread count (None if unknown)."""
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            lines = [f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture')} "
                     f"threads={i.get('num_threads')} ({i.get('filepath')})" for i in infos]
            return lines, infos[0].get("num_threads")
    found = _numpy_openblas()
    if found is None:
        return ["unknown (threadpoolctl not installed and no OpenBLAS found)"], None
    core, config, threads = found
    return [f"kernel={core} threads={threads} ({config}; read via ctypes, threadpoolctl not installed)"], threads


def cpu_snapshot():
    """(wall s, busy CPU-seconds of the whole machine, CPU-seconds of this process); None if unknown."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)  # minus idle and iowait
    times = os.times()
    return time.perf_counter(), busy / os.sysconf("SC_CLK_TCK"), times.user + times.system


def others_busy(before, after):
    """Fraction of the machine's CPUs that other processes kept busy between two snapshots."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    other = (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, other / ((after[0] - before[0]) * (os.cpu_count() or 1)))


# -- implementations -----------------------------------------------------------------------------
def make_data(sizes, batch, dtype, seed=0):
    rng = np.random.default_rng([seed, sizes[0], sizes[-1], batch])
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.standard_normal((batch, sizes[-1])).astype(dtype)
    return x, y


def engine_scenario(case, dtype):
    label, sizes, batch, _, _ = CASES[case]
    if sizes is None:
        import gradstep.engine.model.expr  # noqa: F401  (raises ImportError while the expression module is missing)
        params = {"a": np.array(0.0), "b": np.array(0.0), "c": np.array(0.0)}
        return Scenario(name=label, kind="objective", model=ExpressionSpec(expression=OBJECTIVE, params=params),
                        optimizer=OptimizerSpec("adam", OBJECTIVE_LR), dtype=dtype)
    x, y = make_data(sizes, batch, dtype)
    layers = tuple(LayerSpec(u, "tanh") for u in sizes[1:-1]) + (LayerSpec(sizes[-1]),)
    return Scenario(name=label, kind="network", model=NetworkSpec(sizes[0], layers), data=Dataset(x, y),
                    loss="mse", optimizer=OptimizerSpec("adam", NETWORK_LR), dtype=dtype)


def initial_params(case, dtype, session):
    """``[(name, array copy)]`` the three implementations start from."""
    if session is not None:
        return [(name, np.array(value)) for name, value in session.params.items()]
    label, sizes, *_ = CASES[case]
    if sizes is None:
        return [(name, np.zeros((), dtype)) for name in "abc"]
    from gradstep.engine.model.nn import network_parameters
    spec = engine_scenario(case, dtype).model
    return network_parameters(spec, np.random.default_rng(0), np.dtype(dtype))


def adam_inplace(theta, grad, m, v, tmp, t, lr):
    """One torch.optim.Adam step (single-tensor CPU path, defaults) in place on flat buffers."""
    np.subtract(grad, m, out=tmp)          # exp_avg.lerp_(grad, 1 - beta1)
    tmp *= 1 - BETA1
    m += tmp
    v *= BETA2                             # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    np.multiply(grad, grad, out=tmp)
    tmp *= 1 - BETA2
    v += tmp
    step_size = lr / (1 - BETA1 ** t)
    np.sqrt(v, out=tmp)                    # denom = exp_avg_sq.sqrt() / sqrt(bc2) + eps
    tmp /= math.sqrt(1 - BETA2 ** t)
    tmp += EPS
    np.divide(m, tmp, out=tmp)             # param.addcdiv_(exp_avg, denom, value=-step_size)
    tmp *= step_size
    theta -= tmp


class Fused:
    """The floor: a hand-written NumPy step over one flat buffer (theta | grad | m | v | scratch)."""

    def __init__(self, case, dtype, params):
        dtype = np.dtype(dtype)
        sizes = CASES[case][1]
        n = sum(int(np.size(p)) for _, p in params)
        self.buf = np.zeros(5 * n, dtype)
        self.theta, self.grad, self.m, self.v, self.tmp = (self.buf[i * n:(i + 1) * n] for i in range(5))
        self.theta[:] = np.concatenate([np.ravel(p) for _, p in params])
        self.t = 0
        if sizes is None:
            self.lr = OBJECTIVE_LR
            # f = sum_i w_i (theta_i - s_i)^2 with w = (1, 10, 1), s = (1, -2, 0); grad = 2 w (theta - s)
            self.w = np.array([1.0, 10.0, 1.0], dtype)
            self.w2 = 2 * self.w
            self.s = np.array([1.0, -2.0, 0.0], dtype)
            self.r = np.zeros(3, dtype)
            self.step = self._objective_step
            return
        self.lr = NETWORK_LR
        self.x, self.y = make_data(sizes, CASES[case][2], dtype)
        batch = len(self.x)
        self.layers = []
        offset = 0
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            views = []
            for shape in ((fan_in, fan_out), (fan_out,)):
                size = int(np.prod(shape))
                views.append((self.theta[offset:offset + size].reshape(shape),
                              self.grad[offset:offset + size].reshape(shape)))
                offset += size
            (W, dW), (b, db) = views
            tanh = k < len(sizes) - 2
            self.layers.append((W, b, dW, db, tanh, np.empty((batch, fan_out), dtype),
                                np.empty((batch, fan_out), dtype), np.empty((batch, fan_out), dtype)))
        self.scale = 2.0 / (batch * sizes[-1])
        self.step = self._network_step

    def _objective_step(self):
        r, theta = self.r, self.theta
        np.subtract(theta, self.s, out=r)
        loss = np.dot(self.w * r, r)
        np.multiply(r, self.w2, out=self.grad)
        self.t += 1
        adam_inplace(theta, self.grad, self.m, self.v, self.tmp, self.t, self.lr)
        return loss

    def _network_step(self):
        layers = self.layers
        a = self.x
        for W, b, _, _, tanh, A, _, _ in layers:       # forward: A_k = act(A_{k-1} @ W_k + b_k)
            np.matmul(a, W, out=A)
            A += b
            if tanh:
                np.tanh(A, out=A)
            a = A
        D = layers[-1][6]
        np.subtract(a, self.y, out=D)                   # MSE: L = mean(d^2), dL/dout = 2 d / N
        flat = D.reshape(-1)
        loss = np.dot(flat, flat) / flat.size
        D *= self.scale
        for k in range(len(layers) - 1, -1, -1):        # backward
            W, _, dW, db, _, _, D, _ = layers[k]
            a_prev = self.x if k == 0 else layers[k - 1][5]
            np.matmul(a_prev.T, D, out=dW)
            np.sum(D, axis=0, out=db)
            if k:
                _, _, _, _, tanh, A, Dp, S = layers[k - 1]
                np.matmul(D, W.T, out=Dp)
                if tanh:                                # tanh' = 1 - a^2
                    np.multiply(A, A, out=S)
                    np.subtract(1.0, S, out=S)
                    Dp *= S
        self.t += 1
        adam_inplace(self.theta, self.grad, self.m, self.v, self.tmp, self.t, self.lr)
        return loss


def torch_step(torch, case, dtype, params):
    """A plain PyTorch eager training step, as a closure returning the loss tensor."""
    tdtype = getattr(torch, dtype)
    sizes = CASES[case][1]
    if sizes is None:
        a, b, c = (torch.tensor(float(p), dtype=tdtype, requires_grad=True) for _, p in params)
        opt = torch.optim.Adam([a, b, c], lr=OBJECTIVE_LR)

        def step():
            opt.zero_grad()
            loss = (a - 1) ** 2 + 10 * (b + 2) ** 2 + c ** 2
            loss.backward()
            opt.step()
            return loss
        return step
    x, y = (torch.from_numpy(v) for v in make_data(sizes, CASES[case][2], dtype))
    modules = []
    values = [p for _, p in params]
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = torch.nn.Linear(fan_in, fan_out, dtype=tdtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(values[2 * k].T)))
            linear.bias.copy_(torch.from_numpy(values[2 * k + 1]))
        modules.append(linear)
        if k < len(sizes) - 2:
            modules.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*modules)
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=NETWORK_LR)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


# -- timing --------------------------------------------------------------------------------------
class GCCounter:
    """Counts garbage collections per generation while ``current`` names an implementation."""

    def __init__(self):
        self.current = None
        self.counts = {name: [0, 0, 0] for name in IMPLS}

    def __call__(self, phase, info):
        if phase == "start" and self.current is not None:
            self.counts[self.current][info["generation"]] += 1


def batch_size_for(fn, target_ns):
    """Steps per timed batch so that one batch lasts about ``target_ns`` (also warms ``fn`` up)."""
    k = 1
    while True:
        start = CLOCK()
        for _ in range(k):
            fn()
        elapsed = CLOCK() - start
        if elapsed >= target_ns or k >= 1 << 16:
            return k
        k = min(1 << 16, max(2 * k, int(k * target_ns / max(elapsed, 1)) + 1))


def time_blocks(fns, repeat, target_ns, warmup_ns, pause_s, gc_counter):
    """``{name: [ns per step, one per batch]}``.

    Each implementation is timed in blocks of consecutive batches; the implementations take turns
    block by block (a few rounds, so slow drifts of the machine's load touch all of them). Before
    each block the process sleeps ``pause_s`` and runs one untimed batch: OpenBLAS's and PyTorch's
    OpenMP worker threads spin for a while after their last use, and on a 2-core machine the other
    pool's spinning threads would otherwise steal the cores (measured: a 10x slowdown of the NumPy
    steps right after a torch step).
    """
    ks = {}
    for name, fn in fns.items():
        time.sleep(pause_s)
        ks[name] = batch_size_for(fn, target_ns)
        end = time.perf_counter_ns() + warmup_ns
        while time.perf_counter_ns() < end:
            for _ in range(ks[name]):
                fn()
    samples = {name: [] for name in fns}
    rounds = min(3, repeat)
    per_block = [repeat // rounds + (1 if r < repeat % rounds else 0) for r in range(rounds)]
    for r, count in enumerate(per_block):
        for name, fn in fns.items():
            k = ks[name]
            time.sleep(pause_s)
            for _ in range(k):
                fn()
            for _ in range(count):
                gc_counter.current = name
                start = CLOCK()
                for _ in range(k):
                    fn()
                elapsed = CLOCK() - start
                gc_counter.current = None
                samples[name].append(elapsed / k)
    return samples


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
        global CLOCK
        CLOCK = time.thread_time_ns
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

    gc_counter = GCCounter()
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
