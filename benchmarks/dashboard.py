"""Dashboard figures: engine speed while running on screen, key latency, time to first frame.

Run from the repository root, on a calm machine::

    .venv/bin/python benchmarks/dashboard.py [--scenario adam-fabc] [--seconds 5]

1. Steps per second of the engine while the dashboard runs (``r``) in a headless Textual app
   (``App.run_test``), against a bare ``Session.step()`` loop measured in the same process just
   before: the issue asks for at least half.
2. Key latency while running, in a real terminal: ``gradstep`` runs in tmux, ``r`` is sent with
   ``send-keys`` and the pane is read until the status line says paused. (Pilot's ``press``
   waits for the app to be idle, which a running dashboard never is, so it overstates this.)
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


async def running_rate(scenario_name, seconds):
    from tui.app import GradstepApp

    app = GradstepApp(scenario_name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("r")
        t0, s0 = time.perf_counter(), screen.session.t
        await pilot.pause(seconds)
        rate = (screen.session.t - s0) / (time.perf_counter() - t0)
        await pilot.press("r")
        await app.workers.wait_for_complete()
    return rate


def _tmux_top(name):
    out = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
    return "\n".join(out.splitlines()[:2])


def _wait_for(name, text, timeout=5.0):
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if text in _tmux_top(name):
            return time.perf_counter()
        time.sleep(0.002)
    return None


def key_latency(scenario_name, presses):
    """In a real terminal (tmux): ``r`` while running, until the status line says paused."""
    if not shutil.which("tmux"):
        return None
    gradstep = ROOT / ".venv" / "bin" / "gradstep"
    name = "gslatency"
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40",
                    f"{gradstep} {scenario_name}"], check=True)
    latencies = []
    try:
        _wait_for(name, "step 0")
        for _ in range(presses):
            subprocess.run(["tmux", "send-keys", "-t", name, "r"], check=True)
            _wait_for(name, "running")
            time.sleep(0.5)
            pressed = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", name, "r"], check=True)
            seen = _wait_for(name, "paused")
            if seen is not None:
                latencies.append(seen - pressed)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    return latencies


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
    rate = asyncio.run(running_rate(args.scenario, args.seconds))
    latencies = key_latency(args.scenario, args.presses)
    print(f"{args.scenario}: bare engine {bare:,.0f} steps/s; while running on screen {rate:,.0f} steps/s "
          f"({100 * rate / bare:.0f}% of bare; target >= 50%)")
    if latencies:
        print(f"pause key while running, in tmux: 'paused' on screen after median "
              f"{1e3 * statistics.median(latencies):.0f} ms, worst {1e3 * max(latencies):.0f} ms over "
              f"{len(latencies)} presses (target < 100 ms; includes tmux's send-keys and capture, ~5 ms)")
    frames = first_frame(args.scenario, 5)
    if frames:
        print(f"first frame in tmux: median {statistics.median(frames):.2f} s, worst {max(frames):.2f} s "
              f"over {len(frames)} launches (target < 0.6 s; includes tmux's own start and polling every 10 ms)")
    else:
        print("first frame: tmux not found or the dashboard never showed 'step 0'")


if __name__ == "__main__":
    main()
