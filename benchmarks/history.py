"""History figures: memory and speed over a long run, and the worst-case time of goto(t).

Run from the repository root (one run takes about a minute per million steps)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/history.py [--steps 1000000]

Prints the steps per second with and without a history (same process, interleaved blocks), the
peak resident memory of the process after the long run, and goto(t) timings over the whole
history (the worst of many random targets, plus targets just before each keyframe, where the
replay is longest).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.scenario import DEFAULT_SCENARIO, load_scenario, resolve_scenario  # noqa: E402
from engine.session import Session  # noqa: E402


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    elapsed = time.perf_counter() - started
    print(f"{args.steps:,} steps of {scenario.name} in {elapsed:.1f} s ({args.steps / elapsed:,.0f} steps/s)")
    print(f"peak resident memory: {peak_rss_mb():.0f} MB (before the run: {rss_before:.0f} MB); "
          f"history holds ~{session.history.nbytes / 2**20:.1f} MB; "
          f"{len(session.history._keyframe_ts)} keyframes")

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
