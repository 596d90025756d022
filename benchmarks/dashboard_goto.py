"""Issue 15's goto figures for ``benchmarks/dashboard.py --issue15``, and the tmux helpers its
key timings share: "goto answers" (the status line shows the target step, its loss from the
scalar log) and "goto arrives" (every panel shows its arrays), in a real terminal and headless.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def pane(name):
    """The text of tmux window ``name``."""
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout


def header(text):
    """The dashboard's header in a pane's ``text``: its first two lines."""
    return "\n".join(text.splitlines()[:2])


def until(name, test, timeout):
    """The time at which ``test(pane)`` first holds (polled every 2 ms), or None."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if test(pane(name)):
            return time.perf_counter()
        time.sleep(0.002)
    return None


def wait_for(name, text, timeout=5.0):
    """The time at which the header of tmux window ``name`` first shows ``text``, or None."""
    return until(name, lambda text_now: text in header(text_now), timeout)


def goto_latency(scenario_name, run_seconds, count, seed=0):
    """In a real terminal (tmux, 120x40): run ``scenario_name`` with ``r`` for ``run_seconds``,
    pause, then go to ``count`` far steps with the jump dialog (``:``, the number, enter).

    Returns ``(furthest, [(target, answers, arrives)])``: seconds from enter until the status
    line shows the target step ("goto answers") and until the whole screen shows its arrays,
    no panel saying "reaching" any more ("goto arrives"); on a goto done at once both are the
    same. None without tmux.
    """
    import random

    if not shutil.which("tmux"):
        return None
    gradstep = ROOT / ".venv" / "bin" / "gradstep"
    name = f"gsgoto{os.getpid()}"
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    if subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40",
                       f"{gradstep} {scenario_name}"], capture_output=True).returncode:
        return None
    results = []
    try:
        wait_for(name, "step 0", timeout=20)
        subprocess.run(["tmux", "send-keys", "-t", name, "r"])
        time.sleep(run_seconds)
        subprocess.run(["tmux", "send-keys", "-t", name, "r"])
        wait_for(name, "paused", timeout=10)
        time.sleep(1)
        furthest = int(re.search(r"step (\d+)", header(pane(name))).group(1))
        if not furthest:
            print("  (the run took no step)", file=sys.stderr)
        rng = random.Random(seed)
        for target in sorted({rng.randint(1, max(1, furthest - 20)) for _ in range(count)}, key=lambda _t: rng.random()):
            subprocess.run(["tmux", "send-keys", "-t", name, ":"])
            if until(name, lambda pane: "which step?" in pane, 10) is None:
                print("  (the jump dialog did not open)", file=sys.stderr)
                break
            for _attempt in range(3):  # keys typed while the dialog mounts may be lost
                subprocess.run(["tmux", "send-keys", "-t", name, "C-u"])
                subprocess.run(["tmux", "send-keys", "-t", name, "-l", str(target)])
                if until(name, lambda pane, t=str(target): f"▊  {t} " in pane, 5) is not None:
                    break
            else:
                print(f"  (the jump dialog did not show {target})", file=sys.stderr)
                break
            pressed = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", name, "Enter"])
            answered = until(name, lambda pane, t=target: f"step {t} of" in header(pane), 30)
            arrived = until(name, lambda pane, t=target: f"step {t} of" in pane and "reaching" not in pane
                             and "which step?" not in pane, 120)
            if answered is None or arrived is None:
                print(f"  (step {target} never shown: answered {answered}, arrived {arrived})", file=sys.stderr)
                break
            results.append((target, answered - pressed, arrived - pressed))
            time.sleep(0.3)
        for _n in range(3):  # "end", then "," (ten steps back: not kept on a large network), no dialog
            subprocess.run(["tmux", "send-keys", "-t", name, "End"])
            if until(name, lambda pane: f"step {furthest} " in header(pane)
                      and "reaching" not in pane, 60) is None:
                break
            time.sleep(0.5)
            target = furthest - 10
            pressed = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", name, ","])
            answered = until(name, lambda pane, t=target: f"step {t} of" in header(pane), 30)
            arrived = until(name, lambda pane, t=target: f"step {t} of" in pane and "reaching" not in pane, 120)
            if answered is None or arrived is None:
                break
            results.append((f"{target} (,)", answered - pressed, arrived - pressed))
            time.sleep(0.3)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    return furthest, results


def goto_report(scenario_name, run_seconds, count):
    """Print "goto answers" and "goto arrives" beside the issue's 100 ms."""
    measured = goto_latency(scenario_name, run_seconds, count)
    if not measured or not measured[1]:
        print(f"goto, {Path(scenario_name).stem}: not measured (no tmux, or the dashboard did not answer)")
        return
    furthest, results = measured
    answers = [a for _t, a, _b in results]
    arrives = [b for _t, _a, b in results]
    where = f"{Path(scenario_name).stem}, {len(results)} far targets of a {furthest:,}-step run"
    print(f"goto answers (enter -> the step on screen), {where}: worst {1e3 * max(answers):.0f} ms, median "
          f"{1e3 * statistics.median(answers):.0f} ms (target <= 100 ms) {'PASS' if max(answers) <= 0.1 else 'MISS'}")
    print(f"goto arrives (enter -> its arrays on screen), {where}: worst {1e3 * max(arrives):.0f} ms, median "
          f"{1e3 * statistics.median(arrives):.0f} ms (target <= 100 ms) {'PASS' if max(arrives) <= 0.1 else 'MISS'}")
    print("  " + ", ".join(f"{t}: {1e3 * a:.0f}/{1e3 * b:.0f} ms" for t, a, b in results)
          + f" (load average {' '.join(f'{v:.2f}' for v in os.getloadavg())})")


async def _goto_in_process(scenario_name, steps, count, seed=0):
    """Headless (120x40): ``steps`` steps, then ``count`` far gotos as the jump dialog's enter
    makes them. Returns ``[(target, answer CPU, answer wall, arrive wall)]``: the UI thread's
    CPU time (``time.thread_time``, what a loaded machine does not inflate) and the wall time
    until the answer is painted, and the wall time until the arrays are."""
    import random

    from gradstep.tui.app import GradstepApp

    from gradstep.tui.widgets.status_line import StatusLine

    app = GradstepApp(scenario_name)
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.training.step(steps)
        screen.present.everything(screen.session.record)
        await pilot.pause()
        status = screen.query_one(StatusLine)
        painted = {}
        display = app._display

        def timing(shown, update):  # each paint of the screen: the first one showing the step
            display(shown, update)
            if update is not None and "answer" not in painted and status.step == painted.get("target"):
                painted["answer"] = (time.thread_time(), time.perf_counter())

        app._display = timing
        rng = random.Random(seed)
        for _n in range(count):
            target = rng.randint(1, steps - 20)
            painted.clear()
            painted["target"] = target
            cpu, wall = time.thread_time(), time.perf_counter()
            screen._travel(target)  # what enter in the jump dialog calls
            while "answer" not in painted or screen.reaching is not None:
                await pilot.pause(0.002)
            arrived = time.perf_counter()
            answer_cpu, answer = painted["answer"][0] - cpu, painted["answer"][1] - wall
            out.append((target, answer_cpu, answer, arrived - wall))
            assert screen.session.t == target
            await pilot.pause(0.2)
        app._display = display
    return out


def goto_in_process_report(scenario_name, steps, count):
    results = asyncio.run(_goto_in_process(scenario_name, steps, count))
    cpu = [c for _t, c, _a, _b in results]
    answers = [a for _t, _c, a, _b in results]
    arrives = [b for _t, _c, _a, b in results]
    print(f"goto in process (headless), {Path(scenario_name).stem} after {steps:,} steps, {len(results)} targets: "
          f"answers worst {1e3 * max(answers):.0f} ms, median {1e3 * statistics.median(answers):.0f} ms "
          f"(UI thread CPU worst {1e3 * max(cpu):.0f} ms, median {1e3 * statistics.median(cpu):.0f} ms; target <= 100 ms "
          f"{'PASS' if max(answers) <= 0.1 else 'MISS'}); arrives worst {1e3 * max(arrives):.0f} ms, median "
          f"{1e3 * statistics.median(arrives):.0f} ms (load average {' '.join(f'{v:.2f}' for v in os.getloadavg())})")
