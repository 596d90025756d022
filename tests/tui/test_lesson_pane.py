"""Lessons beside the dashboard, walked by keys as a learner would: a page's check passes only
once the session reaches the state asked for, and then the lesson moves on by itself."""

import asyncio
import time

from gradstep.engine.scenario.lesson import bundled_lessons, load_lesson
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.chain_view import ChainView
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.widgets.lesson_pane import LessonPane, reflow

from .conftest import settle

SIZE = (120, 40)
WAIT = 60  # seconds: a bound for a busy machine, never a pace


def chapter(n, lang="en"):
    return load_lesson(bundled_lessons(lang)[n - 1][1])


async def until(pilot, condition, what):
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {WAIT} s"
        await asyncio.sleep(0.05)
    await pilot.pause()


def pane_text(app) -> str:
    pane = app._dashboard().query_one(LessonPane)
    assert pane.region.area, "the lesson pane is not on screen"
    static = pane.query_one("#lesson-text")
    return " ".join(line.text for line in static.render_lines(static.region.reset_offset))


async def test_chapter_one_walked_from_its_first_page_to_its_last():
    lesson = chapter(1)
    app = GradstepApp(str(lesson.scenario), lesson)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app._dashboard() is not None and app._dashboard().pane == "lesson", "pane")
        run = app.lesson
        assert run.index == 0 and "mean squared error" in pane_text(app)
        await pilot.press("greater_than_sign")  # a page without a check: the learner goes on
        assert run.index == 1 and "Waiting for: step ≥ 1 (now 0)" in pane_text(app)
        await pilot.press("space")
        await settle(pilot)
        await until(pilot, lambda: run.index == 2, "the page after the first step")
        # "step >= 3": one more step is not enough; the lesson waits.
        await pilot.press("space")
        await settle(pilot)
        await asyncio.sleep(2)  # longer than the check mark's stay: a page that held would have turned
        assert run.index == 2 and run.held == 0 and "(now 2)" in pane_text(app)
        await pilot.press("space")
        await settle(pilot)
        await until(pilot, lambda: run.index == 3, "the page after step 3")
        await pilot.press("n")
        await settle(pilot)
        await until(pilot, lambda: run.index == 4, "the last page")
        assert run.last and "nn.MSELoss()" in pane_text(app)
        await pilot.press("less_than_sign")
        assert run.index == 3


async def test_a_page_asking_for_a_view_moves_on_when_it_is_opened_and_closed():
    lesson = chapter(3)
    app = GradstepApp(str(lesson.scenario), lesson)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app._dashboard() is not None and app._dashboard().pane == "lesson", "pane")
        run = app.lesson
        await pilot.press("space")
        await settle(pilot)
        await until(pilot, lambda: run.index == 1, "the chain-rule page")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ChainView) and run.index == 2, "the view's page")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and run.index == 3, "back")


async def test_a_page_opens_its_own_scenario():
    lesson = chapter(2)
    app = GradstepApp(str(lesson.scenario), lesson)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app._dashboard() is not None and app._dashboard().pane == "lesson", "pane")
        assert app._dashboard().scenario.name == "gd-fabc"
        await pilot.press("greater_than_sign")
        await until(pilot, lambda: app._dashboard().scenario.name == "gd-fabc-small-lr"
                    and app._dashboard().pane == "lesson", "the page's scenario")
        assert app.lesson.index == 1


async def test_L_shows_the_scenarios_notes_and_hides_them():
    app = GradstepApp("gd-fabc-large-lr")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("L")
        await pilot.pause()
        await pilot.press("enter")  # the first choice: this scenario's notes
        await until(pilot, lambda: app._dashboard().pane == "notes", "the notes")
        assert "2/20 = 0.1" in pane_text(app)
        await pilot.press("L")
        await pilot.pause()
        assert app._dashboard().pane is None


async def test_the_portuguese_lesson_speaks_portuguese(monkeypatch):
    from gradstep.tui import i18n

    i18n.install("pt")
    try:
        lesson = chapter(1, "pt")
        app = GradstepApp(str(lesson.scenario), lesson)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app._dashboard() is not None and app._dashboard().pane == "lesson", "pane")
            await pilot.press("greater_than_sign")
            assert "Aguardando: passo ≥ 1 (agora 0)" in pane_text(app)
    finally:
        i18n.install("en")


def test_reflow_joins_a_paragraphs_lines_and_keeps_formulas():
    text = "one two\nthree\n\n    a <- a - α df/da\nafter\n"
    assert reflow(text) == "one two three\n\n    a <- a - α df/da\nafter"
