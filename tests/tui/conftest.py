"""Shared helpers for the dashboard's tests: scenario files and waiting for the engine."""

from __future__ import annotations

import asyncio
import inspect
import logging
from pathlib import Path

import pytest
from textual.worker import WorkerCancelled


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run ``async def`` tests in a fresh event loop (no asyncio plugin is installed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None

@pytest.fixture(autouse=True)
def nothing_contained(request, caplog):
    """Every dashboard test fails when the app met an error it had to contain (said in a dialog
    instead of ending the app, and logged by :mod:`gradstep.tui.faults`), unless the test asks
    for the ``contained`` fixture, which hands it those records."""
    caplog.set_level(logging.ERROR, logger="gradstep.tui.faults")
    yield
    if "contained" not in request.fixturenames:
        errors = [r for r in caplog.get_records("call") if r.name == "gradstep.tui.faults"]
        assert not errors, "\n".join(caplog.text.splitlines()[-40:])


@pytest.fixture
def contained(caplog):
    """``contained() -> list[logging.LogRecord]``: the errors the app contained so far."""
    return lambda: [r for r in caplog.get_records("call") if r.name == "gradstep.tui.faults"]


OBJECTIVE = """
name = "{name}"
description = "a test objective"

[objective]
expression = "(a - 1)**2 + 10*(b + 2)**2 + c**2"
params = {{ a = 0.5, b = 0.0, c = 2.0 }}

[optimizer]
kind = "{kind}"
lr = {lr}
"""


@pytest.fixture
def write_scenario(tmp_path: Path):
    """``write_scenario(name, kind="adam", lr=0.05) -> Path`` of a small objective file."""

    def write(name: str = "fabc", kind: str = "adam", lr: float = 0.05, text: str | None = None) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(text if text is not None else OBJECTIVE.format(name=name, kind=kind, lr=lr))
        return path

    return write


def controllers(app) -> list:
    """The run controllers of the app's screens (the dashboard's, a race view's)."""
    from gradstep.tui.training import Controller

    found = []
    for screen in app.screen_stack:
        found += [value for value in vars(screen).values() if isinstance(value, Controller)]
    return found


async def loops_returned(app, timeout: float = 60.0) -> None:
    """Wait until no training thread is inside the loop of a controller that is not running (a
    run until paused goes on by design). A cancelled worker counts as done at once, while its
    thread may still be finishing the step it was taking."""
    for controller in controllers(app):
        if controller.running:
            continue
        assert await asyncio.to_thread(controller.idle, timeout), "a training loop did not return"


async def workers_done(app) -> None:
    """Wait until every worker of ``app`` is done. A worker cancelled meanwhile (a dialog's, when
    it closes) is done too: Textual's ``wait_for_complete`` would raise ``WorkerCancelled`` for
    it; a worker that failed still raises."""
    results = await asyncio.gather(*[worker.wait() for worker in list(app.workers)], return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, WorkerCancelled):
            raise result


async def until(pilot, condition, timeout: float = 120.0) -> None:
    """Let the app run until ``condition()`` holds (generous: a busy machine)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "condition not met in time"
        await pilot.pause(0.02)


async def settle(pilot) -> None:
    """Wait until the training worker is done and the screen has caught up."""
    await workers_done(pilot.app)
    await loops_returned(pilot.app)
    await pilot.pause()
    await pilot.pause()


def keys_then_settle(keys):
    """A snapshot's ``run_before``: press each key and let the engine and screen settle."""
    async def run_before(pilot) -> None:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
    return run_before
