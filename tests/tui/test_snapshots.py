"""Snapshots of the dashboard (three bundled scenarios, two sizes) and of the help screen.

Regenerate after a deliberate change with ``pytest tests/tui --snapshot-update`` and look at the
SVGs under ``__snapshots__`` before committing them. Nothing timed is on these screens: steps per
second are shown only while running, and every snapshot is taken paused.
"""

from __future__ import annotations

import pytest

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


def test_help_screen(snap_compare):
    assert snap_compare(GradstepApp("adam-fabc"), terminal_size=(120, 40),
                        run_before=keys_then_settle(["space", "question_mark"]))
