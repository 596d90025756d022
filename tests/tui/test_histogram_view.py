"""Histograms over time (`H`, issue 17): each layer's weights, gradients and updates as a heat
map of step against value, from the history the session keeps."""

from __future__ import annotations

import math

import numpy as np

from gradstep.tui import i18n
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.histogram_view import HistogramView

from .conftest import keys_then_settle, settle
from .test_views import plain


async def press(pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def panel_rows(text: str, title: str) -> list[str]:
    """The map rows under ``title`` (the part right of the value labels' bar)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows = []
    for line in lines[start + 1:]:
        if "│" not in line:
            break
        rows.append(line.split("│", 1)[1])
    return rows


def column_by_hand(values, low, high, bins):
    """The shades of one step's column, top bin first: each value's bin found by walking the
    edges, then the share of the layer's entries in each bin as 1 to 4 quarters (blank for none)."""
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        b = 0
        while b < bins - 1 and value >= low + (b + 1) * width:
            b += 1
        counts[b] += 1
    shades = [" " if c == 0 else " ░▒▓█"[min(4, math.ceil(4 * c / len(values)))] for c in counts]
    return "".join(reversed(shades))


async def test_the_gradient_map_of_the_step_shown_is_the_records_gradients_counted_by_hand():
    app = GradstepApp("xor")
    async with app.run_test(size=(80, 30)) as pilot:
        await press(pilot, "n", "H")
        view = app.screen
        assert isinstance(view, HistogramView)
        maps = view.maps["grad"]
        assert maps.steps.tolist() == list(range(1, 11))  # all ten steps fit the ring and the width
        grads = [view.dashboard.record_at(t).grad[:12] for t in range(1, 11)]  # layer1: W 2x4, b 4
        low, high = min(g.min() for g in grads), max(g.max() for g in grads)
        bins = len(maps.edges) - 1
        text = plain(view.query_one("#histogram-canvas").content, width=200)
        rows = panel_rows(text, "gradients ∂L/∂θ")
        assert len(rows) == bins
        for k, g in enumerate(grads):
            drawn = "".join(row[k] if k < len(row) else " " for row in rows)
            assert drawn == column_by_hand(g.tolist(), low, high, bins), k + 1
        head = plain(view.query_one("#histogram-head").content)
        assert "layer1 (12 entries), step 10" in head
        assert "steps 0 … 10: 11 columns" in text  # the weights from step 0
        assert "steps 1 … 10: 10 columns" in text

        await press(pilot, "l")
        assert "layer2 (5 entries)" in plain(view.query_one("#histogram-head").content)
        await press(pilot, "space")
        assert "step 11" in plain(view.query_one("#histogram-head").content)
        assert view.maps["delta"].steps.tolist()[-1] == 11
        await press(pilot, "escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_in_portuguese():
    i18n.install("pt")
    try:
        app = GradstepApp("xor")
        async with app.run_test(size=(80, 30)) as pilot:
            await press(pilot, "space", "H")
            text = plain(app.screen.query_one("#histogram-canvas").content, width=200)
            head = plain(app.screen.query_one("#histogram-head").content)
            assert "histogramas no tempo" in head and "passo 1" in head
            assert "pesos θ" in text and "gradientes ∂L/∂θ" in text and "atualizações Δθ" in text
            assert "steps" not in text and "columns" not in text
    finally:
        i18n.install("en")


def test_snapshot_histograms_of_xor(snap_compare):
    assert snap_compare(GradstepApp("xor"), terminal_size=(80, 24), run_before=keys_then_settle(["N", "H"]))
