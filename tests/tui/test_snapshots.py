"""Snapshots of the dashboard (three bundled scenarios, two sizes) and of the help screen.

Regenerate after a deliberate change with ``pytest tests/tui --snapshot-update`` and look at the
SVGs under ``__snapshots__`` before committing them. Nothing timed is on these screens: steps per
second are shown only while running, and every snapshot is taken paused.
"""

from __future__ import annotations

import pytest

from gradstep.tui import i18n
from gradstep.tui.app import GradstepApp

from .conftest import keys_then_settle, settle

SCENES = {
    "adam-fabc": ["space", "space", "n"],                 # step 12, as in the design sketch
    "xor": ["n", "n", "n", "n", "n", "right", "down"],    # step 50, cursor on layer1.W[1,1]
    "moons": ["N", "g"],                                  # step 100, validation, log scale
}




@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
@pytest.mark.parametrize("name", list(SCENES))
def test_dashboard(snap_compare, name, size):
    assert snap_compare(GradstepApp(name), terminal_size=size, run_before=keys_then_settle(SCENES[name]))


SPACE = {  # issue 19: panels sized by their tables, legends above the plots
    "mse-3x5": ["space"],                                   # the 3x5 gradient whole, Y_pred and Y
    "chain-rule": ["space"],                                # a, b, c, d without scrolling
    "xor": ["n", "n", "n", "n", "n", "right", "down"],      # the up-close legend names four lines
    "adam-fabc": ["space", "space", "n"],                   # V̂ one cell, the legend above the chart
}


@pytest.fixture
def language(request):
    """The language of the test's parameter, English again afterwards."""
    i18n.install(request.param)
    yield request.param
    i18n.install("en")


@pytest.mark.parametrize("language", ["en", "pt"], indirect=True)
@pytest.mark.parametrize("name", list(SPACE))
def test_dashboard_at_120x40(snap_compare, name, language):
    assert snap_compare(GradstepApp(name), terminal_size=(120, 40), run_before=keys_then_settle(SPACE[name]))


@pytest.mark.parametrize("language", ["en", "pt"], indirect=True)
def test_the_3x5_example_at_200x60(snap_compare, language):
    assert snap_compare(GradstepApp("mse-3x5"), terminal_size=(200, 60), run_before=keys_then_settle(["space"]))


def test_help_screen(snap_compare):
    assert snap_compare(GradstepApp("adam-fabc"), terminal_size=(120, 40),
                        run_before=keys_then_settle(["space", "question_mark"]))
