"""Snapshots of the screens issue 19 fixed, in English and in Portuguese: the status line's
L(θ₀) at step 0 and its hint whole, the footer without a cut key, the help at 80x24, the open
dialog filtered, the surface's L(θ₁₀), the branch mark ↳.

Regenerate after a deliberate change with ``--snapshot-update`` on the test that changed, and
look at its SVG before committing it (see tests/tui/test_snapshots.py).
"""

from __future__ import annotations

import pytest

from gradstep.tui import i18n
from gradstep.tui.app import GradstepApp

from .conftest import keys_then_settle

SCREENS = {
    "step0-120x40": ("adam-fabc", (120, 40), []),
    "step10-120x40": ("adam-fabc", (120, 40), ["n"]),
    "help-80x24": ("adam-fabc", (80, 24), ["space", "question_mark"]),
    "open-filtered": ("adam-fabc", (120, 40), ["o", "m", "o"]),
    "surface": ("adam-fabc", (120, 40), ["n", "s"]),
    "branch": ("adam-fabc", (120, 40), ["n", "n", "b", "b", "right_square_bracket", "space"]),
}


@pytest.fixture(params=["en", "pt"])
def lang(request):
    i18n.install(request.param)
    yield request.param
    i18n.install("en")


@pytest.mark.parametrize("screen", list(SCREENS))
def test_fixed_screen(snap_compare, lang, screen):
    name, size, keys = SCREENS[screen]

    async def run_before(pilot) -> None:
        await keys_then_settle(keys)(pilot)
        pilot.app.clear_notifications()  # a toast (the lr change's) would time out
        await pilot.pause()

    assert snap_compare(GradstepApp(name), terminal_size=size, run_before=run_before)
