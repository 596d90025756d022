"""Dashboard figures: engine speed while running on screen, key latency, time to first frame.

Run from the repository root, on a calm machine::

    .venv/bin/python benchmarks/dashboard.py [--scenario adam-fabc] [--seconds 5]

1. Steps per second of the engine while the dashboard runs (``r``) in a headless Textual app
   (``App.run_test``), against a bare ``Session.step()`` loop measured in the same process just
   before: the issue asks for at least half.
2. Key latency while running: ``r`` is pressed to pause, and the time until the screen's mode
   says paused and the training thread has stopped stepping is measured, repeatedly.
3. First frame: ``gradstep SCENARIO`` is launched in a tmux window and the pane is read until
   the status line appears (``step 0``); the time since launch is reported (tmux must exist).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bare_rate(scenario_name, seconds):
    from engine.scenario import load_scenario, resolve_scenario
    from engine.session import Session

    session = Session(load_scenario(resolve_scenario(scenario_name)))
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            session.step()
    return session.t / (time.perf_counter() - started)


async def running_rate_and_latency(scenario_name, seconds, presses):
    from tui.app import GradstepApp

    app = GradstepApp(scenario_name)
    latencies = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("r")
        t0, s0 = time.perf_counter(), screen.session.t
        await pilot.pause(seconds)
        rate = (screen.session.t - s0) / (time.perf_counter() - t0)
        for _ in range(presses):
            await pilot.pause(0.3)
            pressed = time.perf_counter()
            await pilot.press("r")
            while screen.mode == "running":
                await asyncio.sleep(0.001)
            await app.workers.wait_for_complete()
            latencies.append(time.perf_counter() - pressed)
            await pilot.press("r")
        await pilot.press("r")
        await app.workers.wait_for_complete()
    return rate, latencies


def first_frame(scenario_name, repeats):
    if not shutil.which("tmux"):
        return None
    gradstep = ROOT / ".venv" / "bin" / "gradstep"
    times = []
    for i in range(repeats):
        name = f"gsbench{i}"
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        started = time.perf_counter()
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40",
                        f"{gradstep} {scenario_name}"], check=True)
        seen = None
        while time.perf_counter() - started < 10:
            pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            if "step 0" in pane:
                seen = time.perf_counter() - started
                break
            time.sleep(0.01)
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        if seen is not None:
            times.append(seen)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="adam-fabc")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--presses", type=int, default=10)
    args = parser.parse_args()
    bare = bare_rate(args.scenario, args.seconds)
    rate, latencies = asyncio.run(running_rate_and_latency(args.scenario, args.seconds, args.presses))
    print(f"{args.scenario}: bare engine {bare:,.0f} steps/s; while running on screen {rate:,.0f} steps/s "
          f"({100 * rate / bare:.0f}% of bare; target >= 50%)")
    print(f"pause key while running: median {1e3 * statistics.median(latencies):.0f} ms, "
          f"worst {1e3 * max(latencies):.0f} ms over {len(latencies)} presses (target < 100 ms)")
    frames = first_frame(args.scenario, 5)
    if frames:
        print(f"first frame in tmux: median {statistics.median(frames):.2f} s, worst {max(frames):.2f} s "
              f"over {len(frames)} launches (target < 0.6 s; includes tmux's own start and polling every 10 ms)")
    else:
        print("first frame: tmux not found or the dashboard never showed 'step 0'")


if __name__ == "__main__":
    main()
