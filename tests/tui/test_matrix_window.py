"""A large layer (784 × 128 with its bias row) is shown as a window of the matrix that fits: page
keys, shift+arrows and the mouse wheel move it, a line says which rows and columns it shows, and
the numbers in it are those of an independent session's record at those indices."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Tabs

import gradstep.tui.widgets.matrix_view as matrix_view
from gradstep.engine.scenario import load_scenario
from gradstep.engine.training.session import Session
from gradstep.tui.app import GradstepApp
from gradstep.tui.format import fit
from gradstep.tui.grid import grids_for
from gradstep.tui.widgets.matrix_view import CELL, MatrixView

from .conftest import settle

DIGITS = Path(__file__).resolve().parents[1] / "data" / "large" / "digits-784.toml"
SIZE = (120, 40)
POSITION = re.compile(r"(rows|cols) (\d+)–(\d+)(?: of |/)(\d+)")


def shown(view: MatrixView):
    """``(column labels, [(row label, [cell texts])], position line)`` as the view renders them."""
    lines = view.render().plain.splitlines()
    if view.show_caption:
        lines = lines[1:]
    header, *body = lines
    rows, position = [], ""
    for line in body:
        if POSITION.search(line):
            position = line
        elif not line.startswith("−"):  # the colour key
            label, *cells = line.split()
            rows.append((label, cells))
    return header.split(), rows, position


def position(view: MatrixView) -> dict[str, tuple[int, int, int]]:
    """``{"rows": (first, last, total), "cols": ...}`` read from the view's position line (either
    form: ``rows 1–12 of 785`` or, when narrow, ``rows 1–12/785``)."""
    return {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in POSITION.finditer(shown(view)[2])}


def expected_rows(record, rows, cols):
    """The texts of ``record``'s gradient at grid rows ``rows`` (784 inputs, then b) and columns
    ``cols``, read from the record's own arrays."""
    w, b = record.grads["layer1.W"], record.grads["layer1.b"]
    out = []
    for r in rows:
        values = b[cols] if r == w.shape[0] else w[r, cols]
        out.append(("b" if r == w.shape[0] else f"x{r + 1}", [fit(v, CELL - 1) for v in values]))
    return out


def window_of(view: MatrixView):
    """Rows and columns (0-based) named by what the view shows: its labels."""
    header, rows, _ = shown(view)
    cols = [int(label[1:]) - 1 for label in header]
    row_index = [784 if label == "b" else int(label[1:]) - 1 for label, _cells in rows]
    return row_index, cols


async def scroll(pilot, view, event_class, shift=False):
    # Pilot has no wheel: post the event at a point over the view, as the driver would.
    await pilot._post_mouse_events([event_class], widget=view, offset=(5, 3), shift=shift)
    await settle(pilot)


@pytest.fixture(scope="module")
def reference():
    """The record of step 1 of a session the app knows nothing about."""
    return Session(load_scenario(DIGITS)).run(1)


async def test_the_window_moves_and_shows_the_records_numbers(reference):
    app = GradstepApp(DIGITS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.query_one("#grad", MatrixView)
        assert app.screen.focused is view

        rows, cols = window_of(view)
        assert rows == list(range(len(rows))) and cols == list(range(len(cols)))
        assert 5 <= len(rows) < 785 and 2 <= len(cols) < 128
        assert shown(view)[1] == expected_rows(reference, rows, cols)
        assert f"rows 1–{len(rows)} of 785, cols 1–{len(cols)} of 128" in shown(view)[2]
        height, width = len(rows), len(cols)

        await pilot.press("pagedown")
        await settle(pilot)
        rows, cols = window_of(view)
        assert rows == list(range(height, 2 * height)) and cols == list(range(width))
        assert shown(view)[1] == expected_rows(reference, rows, cols)
        assert app.screen.cursor == (height, 0)  # the cursor came along: the up-close panel follows

        await pilot.press("shift+right", "shift+right")
        await settle(pilot)
        rows, cols = window_of(view)
        assert cols == list(range(2 * width, 3 * width))
        assert shown(view)[1] == expected_rows(reference, rows, cols)
        assert position(view) == {"rows": (height + 1, 2 * height, 785), "cols": (2 * width + 1, 3 * width, 128)}

        await scroll(pilot, view, events.MouseScrollDown)
        rows, _ = window_of(view)
        assert rows[0] == height + matrix_view.WHEEL_ROWS
        await scroll(pilot, view, events.MouseScrollUp, shift=True)  # shift+wheel: sideways
        rows, cols = window_of(view)
        assert rows[0] == height + matrix_view.WHEEL_ROWS and cols[0] == 2 * width - matrix_view.WHEEL_ROWS
        assert shown(view)[1] == expected_rows(reference, rows, cols)
        row, col = app.screen.cursor
        assert row in rows and col in cols  # scrolling keeps the selected cell in sight

        await pilot.press("pageup", "pageup", "pageup", "shift+left", "shift+left", "shift+left")
        await settle(pilot)
        assert window_of(view) == (list(range(height)), list(range(width)))


async def test_the_last_page_ends_with_the_bias_row(reference):
    app = GradstepApp(DIGITS)
    async with app.run_test(size=(120, 60)) as pilot:  # tall: fewer pages to the end
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.query_one("#grad", MatrixView)
        for _page in range(785):
            rows, _ = window_of(view)
            if rows[-1] == 784:
                break
            await pilot.press("pagedown")
            await pilot.pause()
        else:
            pytest.fail("page down never reached the last row")
        rows, cols = window_of(view)
        assert shown(view)[1][-1][0] == "b"
        assert shown(view)[1] == expected_rows(reference, rows, cols)
        assert position(view)["rows"] == (rows[0] + 1, 785, 785)
        await pilot.press("pagedown")  # the window is at the end: the cursor goes to the last row
        await settle(pilot)
        assert window_of(view) == (rows, cols)
        assert app.screen.cursor[0] == 784


async def test_the_state_views_follow_the_cursor_into_the_matrix(reference):
    app = GradstepApp(DIGITS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await settle(pilot)
        for _press in range(3):
            await pilot.press("pagedown")
        await settle(pilot)
        row, col = app.screen.cursor
        app.screen.query_one("#state-tabs", Tabs).active = "tab-V"
        await settle(pilot)
        view = app.screen.query_one("#view-V", MatrixView)
        header, body, _ = shown(view)
        labels = [label for label, _cells in body]
        assert f"x{row + 1}" in labels
        cols = [int(label[1:]) - 1 for label in header]
        cells = dict(body)[f"x{row + 1}"]
        assert cells == [fit(v, CELL - 1) for v in reference.state["layer1.W"]["V"][row, cols]]


async def test_only_the_window_is_formatted(reference, monkeypatch):
    """A frame formats the numbers of the window, never the layer's hundred thousand."""
    formatted = []
    real_fit = matrix_view.fit

    def counting_fit(value, width, *args):
        formatted.append(value)
        return real_fit(value, width, *args)

    app = GradstepApp(DIGITS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await settle(pilot)
        view = app.screen.query_one("#grad", MatrixView)
        rows, cols = window_of(view)
        monkeypatch.setattr(matrix_view, "fit", counting_fit)
        view.render()
        assert len(formatted) == len(rows) * len(cols)


class OneMatrix(App):
    """A matrix view of a given size, alone."""

    CSS = "MatrixView { width: auto; height: auto; }"

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.view_size = (width, height)

    def compose(self) -> ComposeResult:
        view = MatrixView("V")
        view.styles.width, view.styles.height = self.view_size
        view.styles.min_height = 0
        yield view


@pytest.mark.parametrize("width, height, fits", [(8, 10, False), (40, 2, False), (40, 3, True), (14, 4, True), (13, 4, False)])
async def test_a_view_too_small_for_one_number_says_so(width, height, fits):
    grid = grids_for(Session(load_scenario(DIGITS)).layout)[1]  # layer 2: 129 × 10
    app = OneMatrix(width, height)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(MatrixView)
        view.grid = grid
        view.values = np.arange(129 * 10, dtype=float).reshape(129, 10) - 600
        await pilot.pause()
        text = view.render()
        assert isinstance(text, Text)
        if fits:
            header, body, _ = shown(view)
            assert header[0] == "u1" and body[0][0] == "a1" and body[0][1][0] == fit(-600.0, CELL - 1)
        else:
            assert "too small" in text.plain
