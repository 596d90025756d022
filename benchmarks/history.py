"""History figures: memory and speed over a long run, and the worst-case time of goto(t).

Run from the repository root (one run takes about a minute per million steps)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/history.py [--steps 1000000]

Prints the steps per second with and without a history (same process, interleaved blocks), the
resident memory and what the history holds every million steps of the long run (the per-step
scalars level off once the run outgrows their budget, about 1.4 million steps), the time the
loss chart's points take to compute at the end (a frame's share), and goto(t) timings over the
whole history (the worst of many random targets, plus targets just before each keyframe, where
the replay is longest).

Then the same figures where they are hardest, on a 784-128-10 network
(``tests/data/large/digits-784.toml``, ``--network-steps`` steps): the bytes of the records and
keyframes the history holds (the distinct arrays, summed) against their budget, the scalars'
against theirs, this process's resident memory, how many passes over the gradient a step and a
shown frame make for the gradient norms, and goto(t) anywhere. Each figure is printed beside the
issue's target in a table at the end. The dashboard's own resident memory over 10 minutes is
``benchmarks/soak.py``'s (a real terminal, minutes long); this prints the engine's share.
Runs on main too (the "before"): what main's history does not expose is shown as n/a.
"""

from __future__ import annotations

import argparse
import os
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
    records = getattr(history, "record_nbytes", None)  # main has no such count: its estimate
    return scalars / 2**20, (history.nbytes - scalars if records is None else records) / 2**20


def budget_of(history):
    """Bytes the history's records and keyframes may hold (main: its two budgets' sum)."""
    if hasattr(history, "window_bytes"):
        return history.window_bytes + history.keyframe_bytes
    return history._window_bytes + history._keyframe_bytes


def keyframe_steps(history):
    steps = getattr(history, "keyframe_steps", None)
    return list(steps if steps is not None else history._keyframe_ts)


def gotos(session, count, rng):
    """goto(t) times (seconds) over ``count`` random targets and the steps just before each
    keyframe (the longest replays)."""
    keys = keyframe_steps(session.history)
    targets = list(rng.integers(1, session.furthest + 1, size=count))
    targets += [k - 1 for k in keys[1:][:: max(1, len(keys) // 50)] if k > 1]
    times, replays = [], []
    travel = getattr(session, "_travel", None)
    for t in targets:
        if hasattr(travel, "replay_steps"):  # main has none
            replays.append(travel.replay_steps(int(t)))
        started = time.perf_counter()
        session.goto(int(t))
        times.append(time.perf_counter() - started)
        assert session.t == t
    gotos.replays = np.array(replays)
    return np.array(times)


def norm_passes(session, steps=50):
    """Passes over the whole gradient for its norms (calls of ``ParamLayout.norm_row`` and of
    ``segment_norms`` outside it) per step, and per shown frame (a step, then what the dashboard reads: the record's parameter and layer norms
    and the sparklines' series)."""
    from gradstep.engine.training import record as record_module

    calls, inside = [0], [False]
    original = record_module.segment_norms
    layout_class = record_module.ParamLayout
    row = getattr(layout_class, "norm_row", None)  # main has none

    def counted(*args, **kwargs):
        calls[0] += not inside[0]
        return original(*args, **kwargs)

    def counted_row(self, flat):  # one pass, whatever it calls inside
        calls[0] += 1
        inside[0] = True
        try:
            return row(self, flat)
        finally:
            inside[0] = False

    record_module.segment_norms = counted
    if row is not None:
        layout_class.norm_row = counted_row
    try:
        for _ in range(steps):
            session.step()
        per_step = calls[0] / steps
        calls[0] = 0
        for _ in range(steps):
            record = session.step()
            dict(record.grad_norms), dict(record.layer_grad_norms)
            if hasattr(session.history, "peaks"):
                [session.history.peaks(j, 100) for j in range(len(session.layout.names))]
            else:  # main: the dashboard's own norm table computed them again
                record_module.segment_norms(record.grad, session.layout.offsets[:-1])
        per_frame = calls[0] / steps
    finally:
        record_module.segment_norms = original
        if row is not None:
            layout_class.norm_row = row
    return per_step, per_frame


def network_figures(args, rows):
    """The 784-128-10 network's figures, appended to ``rows`` as (figure, measured, target, ok)."""
    large = Path(__file__).resolve().parent.parent / "tests" / "data" / "large" / "digits-784.toml"
    session = Session(load_scenario(large))
    print(f"\n784-128-10 ({session.layout.size:,} parameters), {args.network_steps:,} steps:")
    started = time.perf_counter()
    for _ in range(args.network_steps):
        session.step()
    step_ms = 1e3 * (time.perf_counter() - started) / args.network_steps
    history = session.history
    scalars, records = held(history)
    budget = budget_of(history)
    print(f"  {step_ms:.1f} ms a step; records and keyframes {records:.1f} MiB "
          f"({len(keyframe_steps(history)) - 1} keyframes), scalars {scalars:.1f} MiB; RSS {rss_mb():.0f} MiB")
    rows.append(("784: records + keyframes held (MiB)", f"{records:.1f}", f"<= {budget / 2**20:.0f}",
                 records <= budget / 2**20))
    rows.append(("784: engine process RSS (MiB)", f"{rss_mb():.0f}", "< 300 (dashboard: soak.py)",
                 rss_mb() < 300))
    per_step, per_frame = norm_passes(session)
    rows.append(("784: gradient norm passes per step", f"{per_step:g}", "1", per_step == 1))
    rows.append(("784: gradient norm passes per shown frame", f"{per_frame:g}", "1", per_frame == 1))
    times = gotos(session, args.gotos, np.random.default_rng(1))
    print(f"  goto(t) over {len(times)} targets: median {1e3 * np.median(times):.0f} ms, "
          f"worst {1e3 * times.max():.0f} ms (replays of up to "
          f"{max(np.diff(keyframe_steps(history)), default=0)} steps at {step_ms:.1f} ms)")
    replays = gotos.replays
    if len(replays):
        print(f"  steps replayed per goto: median {np.median(replays):.0f}, mean {replays.mean():.0f}, "
              f"worst {replays.max()} ({len(keyframe_steps(history)) - 1} keyframes)")
    # The engine's goto is what the dashboard's far goto waits for to show the arrays ("arrives");
    # the dashboard answers at once with the step's scalars (benchmarks/dashboard.py, "answers").
    rows.append(("784: goto arrives (engine replay), worst (ms)", f"{1e3 * times.max():.0f}",
                 "<= 100 (answers: dashboard.py)", times.max() <= 0.1))
    rows.append(("784: goto arrives (engine replay), median (ms)", f"{1e3 * np.median(times):.0f}",
                 "<= 100 (answers: dashboard.py)", np.median(times) <= 0.1))


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
    parser.add_argument("--network-steps", type=int, default=3000,
                        help="steps of the 784-128-10 network (0: leave it out)")
    args = parser.parse_args()
    rows = []
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
                  f"records {records:5.1f} MiB ({len(keyframe_steps(session.history))} keyframes)")
    elapsed = time.perf_counter() - started
    print(f"{args.steps:,} steps of {scenario.name} in {elapsed:.1f} s ({args.steps / elapsed:,.0f} steps/s)")
    print(f"peak resident memory: {peak_rss_mb():.0f} MB (before the run: {rss_before:.0f} MB); "
          f"history holds ~{session.history.nbytes / 2**20:.1f} MB; "
          f"{len(keyframe_steps(session.history))} keyframes")

    # What a frame of the loss chart costs now: its points for 110 columns, linear and log.
    for low in (None, 1e-150):
        times = []
        for _ in range(20):
            started = time.perf_counter()
            session.history.envelope("loss", 110, low)
            times.append(time.perf_counter() - started)
        print(f"loss chart points (110 columns, {'log' if low else 'linear'} scale): "
              f"median {1e3 * np.median(times):.2f} ms")

    times = gotos(session, args.gotos, np.random.default_rng(0))
    print(f"goto(t) over {len(times)} targets: median {1e3 * np.median(times):.1f} ms, "
          f"worst {1e3 * times.max():.1f} ms"
          + (f"; steps replayed: median {np.median(gotos.replays):.0f}, worst {gotos.replays.max()}"
             if len(gotos.replays) else ""))
    scalars, records = held(session.history)
    budget = budget_of(session.history)
    rows.append((f"{scenario.name}: records + keyframes held (MiB)", f"{records:.1f}",
                 f"<= {budget / 2**20:.0f}", records <= budget / 2**20))
    rows.append((f"{scenario.name}: scalars held (MiB)", f"{scalars:.1f}", "<= 24 (+ ghost)", scalars <= 24))

    if args.network_steps:
        network_figures(args, rows)
    print(f"\n{'figure':<44} {'measured':>10}  {'target':<28} result")
    for figure, measured, target, ok in rows:
        print(f"{figure:<44} {measured:>10}  {target:<28} {'PASS' if ok else 'MISS'}")
    load = os.getloadavg()
    print(f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
