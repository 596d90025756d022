"""The dashboard never dies (issue 13): a divergence of any size ends in the banner, the charts
draw any float, a dependency's bug (Textual's palette) is worked around or contained, and an
error nobody expected, out of memory included, is said in a dialog while the training stays.

Errors the app contains are logged; ``conftest.nothing_contained`` fails every other test that
meets one, so these tests ask for the ``contained`` fixture only where an error is the point.
"""

from __future__ import annotations

import asyncio
import math
import re
import time

import numpy as np
import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.command import CommandList, CommandPalette

from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.error_dialog import ErrorDialog
from gradstep.tui.widgets.fit_plot import FitPlot
from gradstep.tui.widgets.heat_map import sequential
from gradstep.tui.widgets.loss_chart import LossChart, value_ticks
from gradstep.tui.widgets.param_chart import ParamChart
from gradstep.tui.widgets.race_chart import RaceChart

SIZE = (80, 24)
BIGGEST = float(np.finfo(float).max)


async def until(condition, timeout: float = 120.0, what: str = "") -> None:
    """Poll ``condition()`` until it holds; generous, for a busy 2-core machine."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.02)


def send_at_once(app, *keys: str) -> None:
    """Keys as a fast typist (or a pasted sequence) sends them: queued together, with no
    waiting for the screen between them (``Pilot.press`` waits)."""
    for key in keys:
        event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)


# -- ticks and charts for any float --------------------------------------------------------
RANGES = [
    (40.0, 1.7e308, False),  # the large-lr lesson's loss just before it overflows
    (40.0, BIGGEST, False),
    (40.0, BIGGEST, True),
    (-BIGGEST, BIGGEST, False),  # its span is infinite in floats
    (5e-324, BIGGEST, True),  # the whole float line: 632 decades
    (1e-300, 1e300, True),  # 600 decades
    (-1e308, -1e307, False),
    (0.0, 5e-324, False),  # a range of one denormal
    (1.0, 1.0 + 2**-52, False),  # a range of one ulp
    (1e-14, 0.72, True),
]


@pytest.mark.parametrize("low, high, log", RANGES)
def test_value_ticks_are_few_finite_and_inside_any_finite_range(low, high, log):
    ticks, labels = value_ticks(low, high, log, 5)
    assert len(ticks) == len(labels) <= 12
    assert all(math.isfinite(t) and low <= t <= high for t in ticks)
    assert len(set(labels)) == len(labels)
    for tick, label in zip(ticks, labels):  # each label reads as its tick, to 3 digits
        assert math.isclose(float(label), tick, rel_tol=5e-3, abs_tol=1e-300)


@pytest.mark.parametrize("low, high", [(math.inf, 1.0), (0.0, math.inf), (math.nan, 1.0), (-math.inf, math.inf)])
def test_value_ticks_of_no_finite_range_are_none(low, high):
    assert value_ticks(low, high, False) == ([], [])


HOSTILE = {
    "inf": [1.0, 2.0, math.inf],
    "-inf": [1.0, -math.inf, 3.0],
    "nan": [math.nan, 1.0, 2.0],
    "only nan": [math.nan, math.nan],
    "1e308": [40.0, 1e308, 1.7e308],
    "the float line": [-BIGGEST, 0.0, BIGGEST],
    "600 decades": list(np.logspace(300, -300, 61)),
    "denormals": [5e-324, 1e-320, 0.0],
    "flat": [3.0, 3.0, 3.0],
}


class Charts(App):
    """Every chart widget, side by side, in a bare app: an error in drawing is re-raised by
    ``run_test`` (nothing here contains it)."""

    def compose(self) -> ComposeResult:
        yield LossChart(id="loss")
        yield ParamChart(id="param")
        yield RaceChart(id="race")
        yield FitPlot(id="fit")


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("kind", list(HOSTILE))
async def test_every_chart_draws_any_floats(kind, log):
    values = np.array(HOSTILE[kind])
    steps = np.arange(1, len(values) + 1, dtype=float)
    app = Charts()
    async with app.run_test(size=(100, 60)) as pilot:
        loss = app.query_one(LossChart)
        loss.log_scale = log
        loss.show(lambda columns, low: {"train": (steps, values, 1, len(values)),
                                        "validation": (steps, values[::-1].copy(), 1, len(values)),
                                        "ghost": (steps, values, 1, len(values))}, marks=(2,), current=1)
        app.query_one(ParamChart).show(steps, {"g": values, "V": values[::-1].copy()}, ("θ", values))
        race = app.query_one(RaceChart)
        race.log_scale = log
        race.show([("sgd", values, (255, 0, 0)), ("adam", values[::-1].copy(), (0, 255, 0))], threshold=1.0)
        app.query_one(FitPlot).show([("train", values, values, "cyan", "dot")], values, {"ŷ": values})
        await pilot.pause()
        for chart in app.query("LossChart, ParamChart, RaceChart, FitPlot"):
            drawn = " ".join(strip.text for strip in chart.render_lines(chart.region.reset_offset))
            assert "cannot be charted" not in drawn, (type(chart).__name__, drawn)
            if kind != "only nan" and not (log and kind == "denormals"):  # nothing positive to place
                assert any("\u2801" <= c <= "\u28ff" or c == "•" for c in drawn), (type(chart).__name__, drawn)
    rgb = sequential(values.reshape(1, -1), log=log)  # the heat map's colours
    assert rgb.shape == (1, len(values), 3)


# -- item 1: the tutorial's own lesson ----------------------------------------------------
def overflow_step() -> int:
    """The step whose loss overflows in gd-fabc-large-lr, by hand: f = (a-1)² + 10(b+2)² + c²,
    gradient descent with lr 0.105 multiplies b + 2 by 1 - 20·0.105 = -1.1 each step, so step
    t's loss (before its update) is about 40·1.21^(t-1); the engine computes 10·(b + 2)², which
    overflows once (b + 2)² passes BIGGEST / 10."""
    b, t = 0.0, 0
    while True:
        t += 1
        d = b + 2
        if d * d > BIGGEST / 10:
            return t
        b -= 0.105 * 20 * d


async def test_the_large_learning_rate_lesson_runs_to_its_banner():
    expected = overflow_step()
    assert 3700 < expected < 3720  # log(1.8e307 / 4) / log(1.21) + 1 ≈ 3706
    app = GradstepApp("gd-fabc-large-lr")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("r")
        await until(lambda: screen.mode == "diverged", what="the run diverges")
        await pilot.pause()
        banner = str(screen.query_one("#banner").render())
        assert f"diverged at step {expected}" in banner
        assert screen.session.t == expected - 1
        await pilot.press("g")  # the log scale over 300 decades of loss
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and app.is_running
        for key in ("c", "k", "f", "s", "C"):  # every view, with parameters near 1e154
            await pilot.press(key)
            await until(lambda: not isinstance(app.screen, DashboardScreen), what=key)
            await pilot.pause(0.5)
            await pilot.press("escape")
            await until(lambda: app.screen is screen, what=f"back from {key}")
        assert screen.session.t == expected - 1 and app.is_running


# -- item 2: ctrl+p then pagedown ---------------------------------------------------------
async def test_pagedown_at_once_after_ctrl_p_pages_the_palette():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        send_at_once(app, "ctrl+p", "pagedown")
        await until(lambda: isinstance(app.screen, CommandPalette), what="the palette opens")
        commands = app.screen.query_one(CommandList)
        await until(lambda: (commands.highlighted or 0) > 0, what="pagedown moves down a page")
        send_at_once(app, "pageup", "pagedown", "pageup", "escape")
        await until(lambda: isinstance(app.screen, DashboardScreen), what="escape closes the palette")
        await pilot.press("space")
        assert app.screen.session.t == 1


# -- an error in a dependency is contained -------------------------------------------------
async def test_a_dependencys_error_is_said_in_a_dialog_and_the_training_goes_on(contained, tmp_path,
                                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        dashboard = app.screen
        await until(lambda: dashboard.session.t == 10 and dashboard.mode == "paused")
        # Textual's own palette, without our workaround, still has its bug: a real error in a
        # dependency, raised in the app's own message loop.
        app.push_screen(CommandPalette())
        send_at_once(app, "pagedown")
        await until(lambda: isinstance(app.screen, ErrorDialog), what="the error dialog")
        dialog = app.screen
        await until(lambda: dialog.query("#export"), what="the dialog's buttons")
        assert dialog.message == "KeyError: 0"
        assert dialog.where.startswith("textual/widgets/_option_list.py:") and "_move_page" in dialog.where
        assert [r.getMessage() for r in contained()] == [f"contained: KeyError: 0 ({dialog.where})"]
        await pilot.press("e")  # export from the dialog: the export dialog opens
        await until(lambda: type(app.screen).__name__ == "ExportDialog", what="the export dialog")
        await pilot.press("enter")
        await until(lambda: any(tmp_path.iterdir()), what="the trace is written")
        await until(lambda: type(app.screen).__name__ == "CommandPalette", what="back to the palette")
        await pilot.press("escape")
        await until(lambda: app.screen is dashboard)
        assert dashboard.session.t == 10
        await pilot.press("space")
        assert dashboard.session.t == 11 and app.is_running


# -- out of memory -------------------------------------------------------------------------
def test_a_numpy_memory_error_is_told_as_the_memory_budget_tells_it():
    from gradstep.tui.faults import describe

    try:  # 2^57 float64 = 2^60 bytes, beyond any address space: refused without allocating
        np.empty((2**27, 2**30))
    except MemoryError as error:
        fault = describe(error)
    assert fault.title == "not enough memory"
    assert fault.text.startswith("this needs about 1 EiB of memory for an array of 134217728×1073741824 numbers")
    assert "memory budget 1 GiB" in fault.text and "test_never_dies.py" in fault.where


CHILD = r'''
import asyncio, json, resource, sys, time
from pathlib import Path
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.error_dialog import ErrorDialog

folder = Path(sys.argv[1])

def cap_memory():
    """From here on the process may grow by 1.5 GB only: a scenario asking for gigabytes
    meets a MemoryError (or, first, the memory budget's check)."""
    size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + 1_500_000_000, resource.RLIM_INFINITY))

async def until(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)

async def dialog_after(app, pilot, keys):
    for key in keys:
        await pilot.press(key)
    await until(lambda: isinstance(app.screen, ErrorDialog) and app.screen.query("#message"))
    await pilot.pause()
    seen = {"title": app.screen.title_text, "message": app.screen.message}
    await pilot.press("escape")
    await until(lambda: not isinstance(app.screen, ErrorDialog))
    dashboard = app._dashboard()
    seen.update(screen=type(app.screen).__name__, scenario=dashboard.scenario.name,
                t=dashboard.session.t, mode=dashboard.mode)
    return seen

async def main():
    report = {}
    app = GradstepApp(str(folder / "small.toml"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await until(lambda: app.screen.session.t == 10 and app.screen.mode == "paused")
        cap_memory()
        # o, then a path typed: a file whose constant broadcasts to 1000 x 1,000,000
        report["open"] = await dialog_after(app, pilot, ["o", "tab", *str(folder / "broadcast.toml"), "enter"])
        # R after the file on screen was edited into the same
        (folder / "small.toml").write_text((folder / "broadcast.toml").read_text())
        report["reload"] = await dialog_after(app, pilot, ["R"])
        # a network of 4096 units on a million rows: opened, then space, then r
        await pilot.press("o", "tab", *str(folder / "wide.toml"), "enter")
        await until(lambda: app._dashboard() is not None and (
            app._dashboard().scenario.name == "wide" or isinstance(app.screen, ErrorDialog)))
        if isinstance(app.screen, ErrorDialog):  # refused when opened: the memory budget's check
            report["wide"] = await dialog_after(app, pilot, [])
        else:
            report["space"] = await dialog_after(app, pilot, ["space"])
            report["r"] = await dialog_after(app, pilot, ["r"])
        report["alive"] = app.is_running
    print(json.dumps(report))

asyncio.run(main())
'''

SMALL = """
name = "small"
description = "a line through three points"

[model]
expression = "a*x + b"
params = { a = 0.0, b = 0.0 }

[data]
x = [0.0, 1.0, 2.0]
y = [1.0, 3.0, 5.0]
"""

BROADCAST = """
name = "broadcast"
description = "a (1000, 1) constant times a million rows"

[model]
expression = "a*x + b + 0*mean(C*x)"
params = { a = 0.0, b = 0.0 }
constants = { C = [%s] }

[data]
generator = "quadratic"
n = 1000000
""" % ", ".join(["[1.0]"] * 1000)

WIDE = """
name = "wide"
description = "4096 units on a million rows"

[model]
inputs = 1
layers = [ { units = 4096, activation = "tanh" }, { units = 1 } ]

[data]
generator = "quadratic"
n = 1000000
"""


def test_a_file_or_a_step_that_needs_gigabytes_gives_the_error_dialog_and_keeps_the_training(tmp_path):
    """In a child process whose memory is capped 1.5 GB above what it uses (so that nothing
    here can take the machine's memory): the 7.5 GiB broadcast, opened with o and reloaded with
    R, and the 30.5 GiB network's first step (space, then r), each end in the error dialog, and
    the training on screen (10 steps of ``small``) is still there after it."""
    import json
    import subprocess
    import sys

    for name, text in (("small", SMALL), ("broadcast", BROADCAST), ("wide", WIDE)):
        (tmp_path / f"{name}.toml").write_text(text)
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report.pop("alive") is True
    for key in ("open", "reload"):
        seen = report.pop(key)
        assert seen["title"] == "cannot open this scenario", seen
        assert "broadcast.toml" in seen["message"] or "small.toml" in seen["message"], seen
        # NumPy's refusal names the 1000 × 1,000,000 array (8e9 bytes, 7.5 GiB); the memory budget,
        # checked first where the loader has it, counts the activations and gradients too.
        assert re.search(r"needs about \d+(\.\d)? GiB of memory", seen["message"]), seen
        assert (seen["screen"], seen["scenario"], seen["t"], seen["mode"]) == ("DashboardScreen", "small", 10,
                                                                             "paused"), seen
    for key, seen in report.items():  # the wide network: at its first step, or when opened
        assert re.search(r"needs about \d+(\.\d)? GiB of memory", seen["message"]), (key, seen)
        assert seen["screen"] == "DashboardScreen" and seen["t"] == (0 if key != "wide" else 10), (key, seen)
        assert seen["mode"] == "paused", (key, seen)


# -- every bundled scenario, run until it diverges or has taken 3,000 steps ----------------
def bundled() -> list[str]:
    from gradstep.engine.scenario import bundled_scenarios

    return [name for name, _description, _path in bundled_scenarios("en")]


@pytest.mark.parametrize("name", bundled())
async def test_every_bundled_scenario_runs_to_3000_steps_or_its_banner(name):
    app = GradstepApp(name)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("r")  # at the fastest speed, the default
        await until(lambda: screen.mode == "diverged" or screen.session.t >= 3000, timeout=600,
                    what=f"{name}: 3,000 steps")
        await pilot.press("g")  # the log scale over whatever the run drew
        if screen.mode == "running":
            await pilot.press("r")
        await until(lambda: screen.mode != "running")
        await pilot.pause()
        banner = str(screen.query_one("#banner").render())
        if screen.mode == "diverged":
            assert f"diverged at step {screen.session.t + 1}" in banner
        else:
            assert "diverged" not in banner and screen.session.t >= 3000
        assert app.screen is screen and app.is_running
