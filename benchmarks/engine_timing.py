"""How ``benchmarks/engine.py`` times: the machine it runs on, and blocks of steps taking turns.

:data:`CLOCK` is wall time unless ``--cpu-time`` sets it to this thread's CPU time
(``time.thread_time_ns``): then the ratios of the columns hold however busy the machine is.
"""

from __future__ import annotations

import ctypes
import os
import time

__all__ = ["CLOCK", "blas_report", "cpu_snapshot", "others_busy", "GCCounter", "batch_size_for", "time_blocks"]

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


# -- timing --------------------------------------------------------------------------------------
class GCCounter:
    """Counts garbage collections per generation while ``current`` names an implementation."""

    def __init__(self, names):
        self.current = None
        self.counts = {name: [0, 0, 0] for name in names}

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
