"""The small slips of what a learner reads (issue 19, "Text"): each test here failed before its
fix. Both languages where the text is translated."""

from __future__ import annotations

import asyncio

import pytest

from gradstep.tui import i18n
from gradstep.tui.app import GradstepApp

from .conftest import settle
from .screen_text import screen_text


@pytest.fixture(params=["en", "pt"])
def lang(request):
    """Each language in turn, English again afterwards."""
    i18n.install(request.param)
    yield request.param
    i18n.install("en")


async def until(pilot, condition, timeout=30.0, what=""):
    """Let the app run until ``condition()`` holds (a generous timeout: a busy machine)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, what() if callable(what) else what
        await pilot.pause(0.02)


# -- the footer ------------------------------------------------------------------------------
def footer_words(screen) -> set[str]:
    """What the footer may end with: a key's description or a group's label, in full."""
    bindings = [b for _node, b, _enabled, _tip in screen.active_bindings.values() if b.show]
    return {b.description for b in bindings} | {b.group.description for b in bindings if b.group}


def footer_whole(app, width) -> bool:
    line = screen_text(app).splitlines()[-1].ljust(width)
    left, bar, right = line.partition("▏")
    palette = "^p " + i18n._("palette")
    if bar and right != palette:  # a letter of a hidden key after the palette's key
        return False
    shown = left.rstrip()
    return any(shown.endswith(" " + word) for word in footer_words(app.screen))


@pytest.mark.parametrize("width", [80, 100, 120, 160, 200])
async def test_the_footer_shows_whole_keys_only(lang, width):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: footer_whole(app, width),
                    what=lambda: repr(screen_text(app).splitlines()[-1]))
