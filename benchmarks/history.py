"""History figures: memory and speed over a long run, and the worst-case time of goto(t).

Run from the repository root (one run takes about a minute per million steps)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/history.py [--steps 1000000]

Prints the steps per second with and without a history (same process, interleaved blocks), the
resident memory and what the history holds every million steps of the long run (the per-step
scalars level off once the run outgrows their budget, about 1.4 million steps), the time the
loss chart's points take to compute at the end (a frame's share), and goto(t) timings over the
whole history (the worst of many random targets, plus targets just before each keyframe, where
the replay is longest).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradstep.engine.scenario import DEFAULT_SCENARIO, load_scenario, resolve_scenario  # noqa: E402
from gradstep.engine.training.session import Session  # noqa: E402


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb():
    """Resident memory now (VmRSS), in MiB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def held(history):
    """``scalars MiB, records MiB`` the history holds."""
    scalars = history.scalars.nbytes + (history.ghost_log.nbytes if history.ghost_log is not None else 0)
    return scalars / 2**20, (history.nbytes - scalars) / 2**20


def rate(session, steps):
    started = time.perf_counter()
    for _ in range(steps):
        session.step()
    return steps / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO)
    parser.add_argument("--gotos", type=int, default=200)
    args = parser.parse_args()
    scenario = load_scenario(resolve_scenario(args.scenario))

    # Speed: alternate blocks with and without history so that machine noise hits both alike.
    with_h, without_h = Session(scenario), Session(scenario, history_options={"enabled": False})
    block = 20_000
    rates = {"history": [], "none": []}
    for _ in range(5):
        rates["history"].append(rate(with_h, block))
        rates["none"].append(rate(without_h, block))
    h, n = np.median(rates["history"]), np.median(rates["none"])
    print(f"steps/s with history {h:,.0f}, without {n:,.0f}: history costs {100 * (1 - h / n):.1f}% "
          f"(median of 5 interleaved blocks of {block:,} steps)")
    del with_h, without_h

    rss_before = peak_rss_mb()
    session = Session(scenario)
    started = time.perf_counter()
    done = 0
    while done < args.steps:
        chunk = min(100_000, args.steps - done)
        for _ in range(chunk):
            session.step()
        done += chunk
        if done % 1_000_000 == 0 or done == args.steps:
            scalars, records = held(session.history)
            log = session.history.scalars
            kept = ("every step exact" if not log.exact_from else
                    f"exact from step {log.exact_from + 1:,}, before in blocks of {log.stride} steps")
            print(f"  {done:>11,} steps: RSS {rss_mb():6.1f} MiB; scalars {scalars:6.1f} MiB ({kept}); "
                  f"records {records:5.1f} MiB ({len(session.history._keyframe_ts)} keyframes)")
    elapsed = time.perf_counter() - started
    print(f"{args.steps:,} steps of {scenario.name} in {elapsed:.1f} s ({args.steps / elapsed:,.0f} steps/s)")
    print(f"peak resident memory: {peak_rss_mb():.0f} MB (before the run: {rss_before:.0f} MB); "
          f"history holds ~{session.history.nbytes / 2**20:.1f} MB; "
          f"{len(session.history._keyframe_ts)} keyframes")

    # What a frame of the loss chart costs now: its points for 110 columns, linear and log.
    for low in (None, 1e-150):
        times = []
        for _ in range(20):
            started = time.perf_counter()
            session.history.envelope("loss", 110, low)
            times.append(time.perf_counter() - started)
        print(f"loss chart points (110 columns, {'log' if low else 'linear'} scale): "
              f"median {1e3 * np.median(times):.2f} ms")

    rng = np.random.default_rng(0)
    keys = session.history._keyframe_ts
    targets = list(rng.integers(1, session.furthest + 1, size=args.gotos))
    targets += [k - 1 for k in keys[1:][:: max(1, len(keys) // 50)]]  # longest replays
    times = []
    for t in targets:
        started = time.perf_counter()
        session.goto(int(t))
        times.append(time.perf_counter() - started)
        assert session.t == t
    times = np.array(times)
    print(f"goto(t) over {len(times)} targets: median {1e3 * np.median(times):.1f} ms, "
          f"worst {1e3 * times.max():.1f} ms")


if __name__ == "__main__":
    main()
