"""Panels that use the space (issue 19): tables shown whole where the terminal has the room, the
3x5 example's prediction and target beside its gradient, α_eff only where it says something,
and at every size no panel cut off or over another.

The expected numbers are the scenario file's own, typed here again, and the gradient of the
mean squared error worked out by hand: ∂MSE/∂Ŷ = 2 (Ŷ − Y) / 15.
"""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import Tabs

from gradstep.tui import i18n
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.matrix_view import MatrixView

from .conftest import settle

# scenarios/mse-3x5.toml
Y_PRED = np.array([[0.50, -1.20, 0.30, 1.10, -0.40],
                   [-0.70, 0.90, 1.60, -0.20, 0.80],
                   [1.30, -0.10, -1.50, 0.60, 0.20]])
Y = np.array([[0.10, -0.60, 1.20, 0.40, -1.00],
              [0.30, 0.20, 0.70, -1.30, 0.50],
              [-0.40, 0.90, -0.80, 1.40, 0.00]])


def drawn_table(view: MatrixView) -> tuple[list[str], dict[str, list[float]], str]:
    """``(column labels, {row label: numbers}, everything else)`` as the view draws itself at its
    size on screen: a window that is not the whole table says so in the rest."""
    assert view.region.area, f"{view.id} is not on screen"
    lines = view.render().plain.splitlines()
    if view.show_caption:
        lines = lines[1:]
    header, *body = lines
    rows, rest = {}, []
    for line in body:
        label, *cells = line.split()
        try:
            rows[label] = [float(c) for c in cells]
        except ValueError:
            rest.append(line)
    return header.split(), rows, "\n".join(rest)


def assert_whole(view: MatrixView, expected: np.ndarray) -> None:
    columns, rows, rest = drawn_table(view)
    assert columns == [f"[{j}]" for j in range(expected.shape[1])], (view.id, columns, rest)
    assert list(rows) == [f"[{i}]" for i in range(expected.shape[0])], (view.id, rows)
    np.testing.assert_allclose(np.array(list(rows.values())), expected, rtol=2e-3, atol=1e-12)
    assert "cols" not in rest and "rows" not in rest, rest


async def press(pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])
async def test_the_3x5_example_shows_whole_with_its_prediction_and_target(size):
    app = GradstepApp("mse-3x5")
    async with app.run_test(size=size) as pilot:
        await press(pilot, "space")
        screen = app.screen
        gradient = 2 * (Y_PRED - Y) / 15
        tabs = screen.query_one("#state-tabs", Tabs)
        if screen.has_class("-narrow"):  # below 120 columns the gradient is the first tab
            assert tabs.active == "tab-grad"
            assert_whole(screen.query_one("#view-grad", MatrixView), gradient)
        else:
            assert_whole(screen.query_one("#grad", MatrixView), gradient)
        expected = {"Y_pred": Y_PRED - 1.0 * gradient, "Y": Y}  # lr = 1
        for tab in tabs.query("Tab"):
            label = str(tab.label)
            if label in expected:
                if tabs.display:
                    tabs.active = tab.id
                    await settle(pilot)
                assert_whole(screen.query_one("#view-" + tab.id.removeprefix("tab-"), MatrixView),
                             expected.pop(label))
        assert not expected, f"no tab for {list(expected)}"


@pytest.mark.parametrize("size", [(120, 40), (200, 60)], ids=["120x40", "200x60"])
async def test_chain_rule_shows_every_gradient_without_scrolling(size):
    app = GradstepApp("chain-rule")
    async with app.run_test(size=size) as pilot:
        await press(pilot, "space")
        columns, _rows, rest = drawn_table(app.screen.query_one("#grad", MatrixView))
        assert columns == ["a", "b", "c", "d"] and "cols" not in rest, (columns, rest)


async def test_sgd_says_alpha_eff_in_one_line_and_adam_shows_its_table():
    app = GradstepApp("mse-3x5")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "space")
        labels = [str(tab.label) for tab in app.screen.query("#state-tabs Tab")]
        assert "α_eff" not in labels, labels
        assert not app.screen.query("#view-lr_eff")
        assert "α_eff = α" in str(app.screen.query_one("#state").border_subtitle)
    app = GradstepApp("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "space")
        labels = [str(tab.label) for tab in app.screen.query("#state-tabs Tab")]
        assert "α_eff" in labels, labels


PANELS = ("#status", "#loss-panel", "#gradient", "#state", "#upclose", "Footer")


@pytest.mark.parametrize("lang", ["en", "pt"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])
@pytest.mark.parametrize("name", ["mse-3x5", "chain-rule", "adam-fabc", "xor", "moons"])
async def test_no_panel_is_cut_off_or_over_another(name, size, lang):
    i18n.install(lang)
    try:
        app = GradstepApp(name)
        async with app.run_test(size=size) as pilot:
            await press(pilot, "space")
            screen = app.screen
            whole = screen.region
            shown = [screen.query_one(selector) for selector in PANELS]
            shown = [w for w in shown if w.display and w.region.area]
            assert {w.id for w in shown} >= {"loss-panel", "state", "upclose"}, [w.id for w in shown]
            for widget in shown:
                assert whole.contains_region(widget.region), (widget.id, widget.region, whole)
            for i, first in enumerate(shown):
                for second in shown[i + 1:]:
                    assert not first.region.overlaps(second.region), (first.id, second.id)
            # the tables inside the panels: each inside its panel, whole lines of cells
            for view in screen.query(MatrixView):
                if view.display and view.region.area:
                    panel = next(p for p in view.ancestors if getattr(p, "id", None) in ("gradient", "state"))
                    assert panel.content_region.contains_region(view.region), (view.id, panel.id)
    finally:
        i18n.install("en")


def cell_list(line: str) -> list[str]:
    """The cells of a line: a combining mark (the hat of V̂) belongs to the letter before it."""
    from rich.cells import cell_len

    cells: list[str] = []
    for ch in line:
        if cells and cell_len(ch) == 0:
            cells[-1] += ch
        else:
            cells.append(ch)
    return cells


async def test_the_state_tables_headings_stand_over_their_numbers():
    """V̂ and Ŝ are two characters in one cell: each heading ends in the column its numbers end
    in, as V and S do."""
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(200, 60)) as pilot:
        await press(pilot, "space", "space")
        from gradstep.tui.widgets.state_table import StateTable

        header, first, *_rest = app.screen.query_one(StateTable).render().plain.splitlines()
        header, first = cell_list(header), cell_list(first)
        heading_ends = [i for i, cell in enumerate(header) if cell.strip() and (i + 1 == len(header) or not header[i + 1].strip())]
        number_ends = [i for i, cell in enumerate(first) if i > 1 and cell.strip() and (i + 1 == len(first) or not first[i + 1].strip())]
        labels = ["".join(header[i]) for i in heading_ends]
        assert "V̂" in labels and "Ŝ" in labels, labels
        assert heading_ends == number_ends, (labels, heading_ends, number_ends)
