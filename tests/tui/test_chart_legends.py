"""Chart legends outside the plot area with every line named, V̂ one cell wide on screen and in
exported SVGs, and the up-close chart's ticks by one rule (issue 19, "Space").

What is checked is what a person sees: the cells each chart draws (``render_lines``), the
dashboard's screen text, and the SVG a screenshot writes.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.loss_chart import LossChart
from gradstep.tui.widgets.param_chart import ParamChart
from gradstep.tui.widgets.race_chart import RaceChart

from .conftest import settle
from .screen_text import screen_text

BRAILLE = re.compile("[\u2801-\u28ff]")


class Charts(App):
    def compose(self) -> ComposeResult:
        yield LossChart(id="loss")
        yield ParamChart(id="param")
        yield RaceChart(id="race")


def cells(chart) -> list[str]:
    """The chart's lines as drawn, one character per cell (a combining mark joins its letter)."""
    lines = []
    for strip in chart.render_lines(chart.region.reset_offset):
        line = []
        for segment in strip:
            for ch in segment.text:
                if line and cell_len(ch) == 0:
                    line[-1] += ch
                else:
                    line.append(ch)
        lines.append(line)
    return ["\x00".join(line) for line in lines]  # cells joined by a separator, to count them


def plain(line: str) -> str:
    return line.replace("\x00", "")


def plot_top(lines: list[str]) -> int:
    """The line of the plot area's top edge (``┌``)."""
    return next(i for i, line in enumerate(lines) if "┌" in line)


async def test_every_legend_is_above_the_plot_area_and_names_every_line():
    steps = np.arange(1, 41, dtype=float)
    falling = 10 * np.exp(-steps / 10)
    app = Charts()
    async with app.run_test(size=(60, 60)) as pilot:
        app.query_one(LossChart).show(lambda columns, low: {
            "train": (steps, falling, 1, 40), "validation": (steps, falling * 1.2, 1, 40),
            "ghost": (steps, falling * 0.8, 1, 40)})
        app.query_one(ParamChart).show(steps, {"g": -falling, "V": -falling / 2, "V̂": -falling / 3},
                                       ("layer1.W[0,3]", falling))
        app.query_one(RaceChart).show([("sgd", falling, (255, 0, 0)), ("adam", falling / 2, (0, 255, 0))])
        await pilot.pause()
        expected = {"loss": ["train", "validation", "abandoned"],
                    "param": ["g", "V", "V̂", "layer1.W[0,3] (right)"],
                    "race": ["sgd", "adam"]}
        for chart_id, labels in expected.items():
            lines = cells(app.query_one(f"#{chart_id}"))
            top = plot_top(lines)
            above = " ".join(plain(line) for line in lines[:top])
            for label in labels:
                assert f"━━ {label}" in above, (chart_id, label, above)
            # the curves start right at the plot's left edge, with no label over them
            inside = [plain(line) for line in lines[top + 1:]]
            assert any(BRAILLE.search(line[:12]) for line in inside[:6]), (chart_id, inside[:6])
            for label in labels:
                assert not any(label in line for line in inside), (chart_id, label)


async def test_v_hat_takes_one_cell_and_the_right_axis_stays_in_one_column():
    steps = np.arange(1, 41, dtype=float)
    app = Charts()
    async with app.run_test(size=(60, 60)) as pilot:
        chart = app.query_one(ParamChart)
        chart.show(steps, {"g": np.sin(steps), "V": np.cos(steps), "V̂": np.sin(steps) / 2},
                   ("a", steps / 40))
        await pilot.pause()
        lines = cells(chart)
        width = chart.region.width
        assert all(len(line.split("\x00")) == width for line in lines), "every line fills the chart exactly"
        frame = [max((i for i, cell in enumerate(line.split("\x00")) if cell in "│├┐┘"), default=None)
                 for line in lines[plot_top(lines):]]
        right_axis = {i for i in frame if i is not None and i > width // 2}
        assert len(right_axis) == 1, right_axis  # the frame's right edge, on every line of the plot


@pytest.mark.parametrize("values", [1181598.7 + np.arange(40) * 37.0, 1e-7 * (1 + np.arange(40)),
                                    0.05333 + np.arange(40) * 1e-6], ids=["millions", "tiny", "narrow-range"])
async def test_the_up_close_ticks_are_short_round_labels(values):
    steps = np.arange(1, 41, dtype=float)
    app = Charts()
    async with app.run_test(size=(60, 40)) as pilot:
        chart = app.query_one(ParamChart)
        chart.show(steps, {"g": values}, ("θ", values[::-1].copy()))
        await pilot.pause()
        labels = []
        for line in map(plain, cells(chart)):
            labels += re.findall(r"(\S+)┤", line) + re.findall(r"├(\S+)", line)
        assert len(labels) >= 4, labels
        for label in labels:
            number = float(label)  # every label is a number
            significant = re.sub(r"e.*|[-.]", "", label).strip("0")
            assert len(significant) <= 6, label
        ticks = sorted({float(label) for label in labels})
        assert all(values.min() - abs(values.min()) * 1e-3 <= t or t <= values.max() for t in ticks)


async def test_xor_up_close_names_all_four_lines():
    app = GradstepApp("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ["n", "n", "n", "n", "n", "right", "down"]:
            await pilot.press(key)
            await settle(pilot)
        text = screen_text(app)
        for label in ("━━ g", "━━ V", "━━ V̂", "━━ layer1.W[1,1] (right)"):
            assert label in text, label


async def test_an_exported_screenshot_gives_v_hat_one_cell():
    """Every run of text in the SVG spans as many cells as it takes on the terminal, so the
    run after ``V̂ = ... =`` (the result) keeps the space before it."""
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ["space", "space", "n"]:
            await pilot.press(key)
            await settle(pilot)
        svg = app.export_screenshot()
    runs = re.findall(r'<text\b[^>]*?\bx="([0-9.]+)"[^>]*?\btextLength="([0-9.]+)"[^>]*>([^<]*)</text>', svg)
    widths = {round(float(length) / len(html.unescape(text)), 3) for _x, length, text in runs
              if cell_len(html.unescape(text)) == len(html.unescape(text)) and text}
    assert len(widths) == 1, widths  # one cell's width throughout
    cell = widths.pop()
    hatted = [(float(x), float(length), html.unescape(text)) for x, length, text in runs if "̂" in html.unescape(text)]
    assert any("V̂ = V/(1−β1ᵗ)" in text.replace("\xa0", " ") for _x, _length, text in hatted), hatted
    for x, length, text in hatted:
        assert abs(length - cell * cell_len(text)) < 1e-6, (text, length / cell, cell_len(text))


@pytest.mark.parametrize("low, high", [(-1.6046, -1.6039), (0.44655, 0.44715), (2.25, 2.75), (1181598.7, 1183000.0)])
def test_every_tick_label_says_its_own_value(low, high):
    """A tick at -1.6045 is labelled -1.6045, not -1.605 (which another tick may be); the
    labels are read back as numbers and compared with where the ticks are."""
    from gradstep.tui.widgets.loss_chart import value_ticks

    ticks, labels = value_ticks(low, high, False, 2)
    assert len(ticks) >= 2
    spacing = min(b - a for a, b in zip(ticks, ticks[1:]))
    for tick, label in zip(ticks, labels):
        assert abs(float(label) - tick) <= spacing * 1e-3, (tick, label)
