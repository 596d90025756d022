"""Soak: the dashboard in run mode for minutes, and what its memory does meanwhile.

Run from the repository root (takes ``--minutes`` plus a few seconds)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/soak.py [--minutes 10]

By default the dashboard runs as a person runs it: the real ``App.run()`` with Textual's Linux
driver, drawing into a real terminal (a tmux window of 120x40), with ``r`` typed into that
terminal. A headless ``App.run_test`` (``--headless``) would skip the driver writing frames to a
terminal and the terminal reading them, which is part of what runs for a person. The app's
process samples itself every ``--every`` seconds from a thread (``/proc/self/status`` VmRSS,
the steps done, what the engine's and the dashboard's histories hold) into a JSON-lines log that
this script reads back.

Prints the resident memory at minute 1 and at the end, the growth per minute (from minute 1
on), the steps done, and whether the kept records stayed within their budgets: the engine's
window and keyframes (``gradstep.engine.training.history.History``, 64 MiB together by default; the
dashboard keeps none of its own). The per-step scalars (loss and gradient norms) are shown apart:
they grow with the steps until their byte budget (the engine's
:class:`~gradstep.engine.training.scalar_log.ScalarLog`, 24 MiB by default: exact rows, then min/max
blocks), then stay level; so do the keyframes, once there are ``max_keyframes`` of them (8192 by
default) or they fill their share of the budget. Then the run is paused
(``r``) and, 3 s later, the resident memory is read again, again after glibc's ``malloc_trim(0)``
(the freed heap given back), and the bytes of the arrays the widgets keep are counted (a few
points per column of each chart): what is left is what the app really holds. ``--tracemalloc``
adds the allocation sites that grew most between minute 1 and the end (tracing slows the
dashboard about a hundred-fold, so its figures say little about a real run; the pause figures
are the better tool). Should the app stop early, its tmux window stays open and its last screen
(a traceback) is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_kb() -> int:
    """This process's resident set size, in KiB (VmRSS of /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def sample(screen, elapsed: float) -> dict:
    """What the app holds now; read from the sampling thread without locks (numbers only)."""
    import tracemalloc

    session = screen.session
    history = session.history
    return {
        "seconds": round(elapsed, 1), "rss_kb": rss_kb(), "steps": session.furthest,
        "mode": screen.mode,
        "engine_scalar_bytes": history.scalar_nbytes,
        "engine_record_bytes": history.record_nbytes,  # the distinct arrays held, summed
        "engine_record_budget": history.window_bytes + history.keyframe_bytes,
        "keyframes": len(history.keyframe_steps) - 1,
        # the dashboard keeps no history of its own (one history, in the engine)
        "tui_table_bytes": 0, "tui_records": 0, "tui_records_budget": 0,
        "traced_kb": tracemalloc.get_traced_memory()[0] // 1024 if tracemalloc.is_tracing() else None,
    }


def _top_growth(before, after, count=12) -> list[str]:
    stats = after.compare_to(before, "lineno")
    return [str(stat) for stat in stats[:count]]


def sampler(app, log_path: Path, every: float, minutes: float, trace: bool) -> None:
    """Thread body: wait for the run to start, then log a sample every ``every`` seconds."""
    import tracemalloc

    from gradstep.tui.screens.dashboard import DashboardScreen

    with open(log_path, "a") as log:
        def write(entry):
            log.write(json.dumps(entry) + "\n")
            log.flush()

        while not isinstance(getattr(app, "screen", None), DashboardScreen):
            time.sleep(0.05)
        write({"ready": True, "rss_kb": rss_kb()})
        screen = app.screen
        while screen.mode != "running":
            time.sleep(0.01)
        started = time.monotonic()
        write(sample(screen, 0.0))
        first = None
        n = 1
        while True:
            time.sleep(max(0.0, started + n * every - time.monotonic()))
            elapsed = time.monotonic() - started
            write(sample(screen, elapsed))
            if trace and first is None and elapsed >= 60:
                first = tracemalloc.take_snapshot()
            if elapsed >= minutes * 60 - 1e-6:
                if trace and first is not None:
                    write({"tracemalloc": _top_growth(first, tracemalloc.take_snapshot())})
                write({"done": True})
                break
            n += 1
        # Told apart: what a frame holds while running (copies of the whole history), what the
        # heap keeps after freeing, and what is really kept.
        while screen.mode == "running":
            time.sleep(0.05)
        time.sleep(3.0)
        paused = rss_kb()
        trimmed = _malloc_trim()
        write({"after": True, "paused_rss_kb": paused, "trimmed_rss_kb": trimmed,
               "steps": screen.session.furthest, "widget_bytes": _widget_arrays(screen)})


def _widget_arrays(screen) -> int:
    """Bytes of the NumPy arrays the screen's widgets hold as attributes (charts keep the series
    they draw), directly or in a dict or tuple; read while paused."""
    import numpy as np

    held = {}  # id of the array that owns the memory -> its bytes (a view keeps its base alive)

    def visit(value, depth=0):
        if isinstance(value, np.ndarray):
            while isinstance(value.base, np.ndarray):
                value = value.base
            held[id(value)] = value.nbytes
        elif depth < 2 and isinstance(value, dict):
            for item in value.values():
                visit(item, depth + 1)
        elif depth < 2 and isinstance(value, (tuple, list)) and len(value) < 100:
            for item in value:
                visit(item, depth + 1)

    for widget in screen.query("*"):
        for value in vars(widget).values():
            visit(value)
    return sum(held.values())


def _malloc_trim():
    """RSS after glibc's ``malloc_trim(0)`` returned the free heap to the system (None when
    not glibc)."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return None
    return rss_kb()


def child(args) -> None:
    """The app's process: the dashboard, plus the sampling thread."""
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(8)
    from gradstep.tui.app import GradstepApp

    app = GradstepApp(args.scenario)
    thread = threading.Thread(target=sampler, daemon=True,
                              args=(app, Path(args.log), args.every, args.minutes, args.tracemalloc))
    thread.start()
    app.run()


async def headless(args) -> None:
    """The same, in this process, under ``App.run_test``."""
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(8)
    from gradstep.tui.app import GradstepApp

    app = GradstepApp(args.scenario)
    async with app.run_test(size=(120, 40)) as pilot:
        thread = threading.Thread(target=sampler, daemon=True,
                                  args=(app, Path(args.log), args.every, args.minutes, args.tracemalloc))
        thread.start()
        await pilot.pause(0.5)
        await pilot.press("r")
        while not any("done" in e for e in read_log(args.log)):
            await pilot.pause(1.0)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        while thread.is_alive():
            await pilot.pause(0.5)


def in_tmux(args) -> None:
    """Start the app in a tmux window, type ``r``, wait, type ``q``."""
    if not shutil.which("tmux"):
        sys.exit("tmux is needed (or use --headless)")
    name = f"gssoak{os.getpid()}"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--log", args.log,
               "--scenario", args.scenario, "--minutes", str(args.minutes), "--every", str(args.every)]
    if args.tracemalloc:
        command.append("--tracemalloc")
    # tmux starts the command with its server's environment, not this one: drop what this one
    # dropped (see benchmarks/README.md on the OpenBLAS variables).
    unset = [v for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if v not in os.environ]
    command = ["env", *(f"-u{v}" for v in unset), *command]
    # Textual draws on stderr: it must stay the terminal, so nothing is redirected here.
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", "-c", str(ROOT),
                    " ".join(_quote(c) for c in command)], check=True)
    # An app that stops early leaves its window (and traceback) open, for the report below.
    subprocess.run(["tmux", "set-option", "-t", name, "remain-on-exit", "on"], capture_output=True)
    try:
        _wait_log(args.log, "ready", 60)
        time.sleep(1.0)  # the first frame
        subprocess.run(["tmux", "send-keys", "-t", name, "r"], check=True)
        _wait_log(args.log, "done", args.minutes * 60 + 120)
        subprocess.run(["tmux", "send-keys", "-t", name, "r"], check=True)  # pause
        _wait_log(args.log, "after", 60)
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        time.sleep(2.0)
    except SystemExit:
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True)
        print(screen.stdout.rstrip() or "(the tmux session is gone)", file=sys.stderr)
        raise
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _wait_log(path: str, key: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(key in entry for entry in read_log(path)):
            return
        time.sleep(0.5)
    sys.exit(f"the app never logged {key!r} (log: {path})")


def read_log(path: str) -> list[dict]:
    try:
        with open(path) as log:
            return [json.loads(line) for line in log if line.strip()]
    except FileNotFoundError:
        return []


def report(entries: list[dict], minutes: float) -> None:
    samples = [e for e in entries if "seconds" in e]
    if not samples:
        sys.exit("no samples")
    mib = 1 / 1024
    at = lambda s: min(samples, key=lambda e: abs(e["seconds"] - s))  # noqa: E731
    one, last = at(60), samples[-1]
    print(f"{'t (s)':>6} {'RSS MiB':>8} {'steps':>11} {'mode':>8} {'eng scal MiB':>12} "
          f"{'eng rec MiB':>11} {'kf':>4} {'tui tab MiB':>11} {'tui rec':>7}")
    for e in samples:
        if e is samples[0] or e is last or round(e["seconds"]) % 60 < 10:
            print(f"{e['seconds']:>6.0f} {e['rss_kb'] * mib:>8.1f} {e['steps']:>11,} {e['mode']:>8} "
                  f"{e['engine_scalar_bytes'] / 2**20:>12.1f} {e['engine_record_bytes'] / 2**20:>11.1f} "
                  f"{e['keyframes']:>4} {e['tui_table_bytes'] / 2**20:>11.1f} {e['tui_records']:>7}")
    span = (last["seconds"] - one["seconds"]) / 60
    growth = (last["rss_kb"] - one["rss_kb"]) * mib / span if span > 0 else float("nan")
    steps_rate = (last["steps"] - one["steps"]) / (span * 60) if span > 0 else float("nan")
    print()
    print(f"RSS at minute 1: {one['rss_kb'] * mib:.1f} MiB; at {last['seconds'] / 60:.1f} min: "
          f"{last['rss_kb'] * mib:.1f} MiB; growth {growth:.2f} MiB/min after minute 1")
    half = at(last["seconds"] / 2)  # the heap settles for a while: is it level by then?
    if last["seconds"] > half["seconds"] > one["seconds"]:
        print(f"growth over the second half (from {half['seconds'] / 60:.1f} min, "
              f"{half['rss_kb'] * mib:.1f} MiB): "
              f"{(last['rss_kb'] - half['rss_kb']) * mib / ((last['seconds'] - half['seconds']) / 60):.2f} MiB/min")
    print(f"steps done: {last['steps']:,} ({last['steps'] / max(last['seconds'], 1e-9):,.0f} steps/s overall, "
          f"{steps_rate:,.0f} steps/s after minute 1); final mode {last['mode']}")
    scalars = (last["engine_scalar_bytes"] + last["tui_table_bytes"]) - (one["engine_scalar_bytes"] + one["tui_table_bytes"])
    if span > 0:
        print(f"per-step scalars (both histories, bounded by their budgets) grew "
              f"{scalars / 2**20 / span:.2f} MiB/min after minute 1; at the end "
              f"{(last['engine_scalar_bytes'] + last['tui_table_bytes']) / 2**20:.1f} MiB")
    worst_rec = max(e["engine_record_bytes"] for e in samples)
    worst_tui = max(e["tui_records"] for e in samples)
    budget = last["engine_record_budget"]
    tui = ("the dashboard keeps none of its own" if not last["tui_records_budget"] else
           f"dashboard's recent records: at most {worst_tui} of {last['tui_records_budget']}: "
           f"{'within' if worst_tui <= last['tui_records_budget'] else 'OVER'}")
    print(f"engine's kept records: at most {worst_rec / 2**20:.1f} MiB of a {budget / 2**20:.0f} MiB budget: "
          f"{'within' if worst_rec <= budget else 'OVER'}; {tui}")
    load = os.getloadavg()
    print(f"load average now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    held = (last["engine_scalar_bytes"] + last["tui_table_bytes"] + last["engine_record_bytes"]) / 2**20
    print(f"at the end the histories' arrays hold {held:.0f} MiB of the {last['rss_kb'] * mib:.0f} MiB resident"
          + (f"; tracemalloc counts {last['traced_kb'] * mib:.0f} MiB live" if last.get("traced_kb") else ""))
    for e in entries:
        if "after" in e:
            trimmed = "n/a" if e["trimmed_rss_kb"] is None else f"{e['trimmed_rss_kb'] * mib:.0f} MiB"
            print(f"paused for 3 s after the run: RSS {e['paused_rss_kb'] * mib:.0f} MiB; after "
                  f"malloc_trim(0) (the free heap given back): {trimmed}; the widgets' arrays "
                  f"hold {e['widget_bytes'] / 2**20:.1f} MiB")
    for e in entries:
        if "tracemalloc" in e:
            print("\ngrowth by allocation site, minute 1 to the end (tracemalloc):")
            for line in e["tracemalloc"]:
                print("  " + line)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--scenario", default="adam-fabc")
    parser.add_argument("--headless", action="store_true", help="App.run_test in this process")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--log", default=None, help="JSON-lines log of the samples")
    parser.add_argument("--report", metavar="LOG", help="only print the figures of an earlier log")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report:
        report(read_log(args.report), args.minutes)
        return
    if args.log is None:
        args.log = f"/tmp/gradstep-soak-{os.getpid()}.jsonl"
    if args.child:
        child(args)
        return
    Path(args.log).unlink(missing_ok=True)
    if args.headless:
        import asyncio

        asyncio.run(headless(args))
    else:
        in_tmux(args)
    print(f"{args.scenario}, {'headless run_test' if args.headless else 'tmux 120x40'}, "
          f"{args.minutes:g} min, samples every {args.every:g} s (log: {args.log})\n")
    report(read_log(args.log), args.minutes)


if __name__ == "__main__":
    main()
