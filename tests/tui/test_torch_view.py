"""``t`` on the dashboard: the scenario's PyTorch script, and ``s`` to keep it (issue 16)."""

from __future__ import annotations

import ast
import io
import shutil
from contextlib import redirect_stdout
from pathlib import Path

from gradstep.engine.scenario import resolve_scenario
from gradstep.tui.app import GradstepApp
from gradstep.tui.classroom.served import FOLDER_VARIABLE
from gradstep.tui.cli import main
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.help import HelpScreen
from gradstep.tui.screens.torch_view import TorchView

from .conftest import settle
from .test_keys import rendered

SIZE = (120, 40)
BUNDLED = Path(resolve_scenario("adam-fabc")).parent


def exported(path) -> str:
    """What ``gradstep export --torch PATH`` prints: the command line's own path to the script."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["export", "--torch", str(path)]) == 0
    return out.getvalue()


def recorded(app) -> list[str]:
    """Every message the app notifies from now on (a toast's seconds on screen may be over by
    the time a busy machine gets to look)."""
    seen = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        seen.append(str(message))
        return notify(message, *args, **kwargs)
    app.notify = recording
    return seen


async def open_view(pilot):
    await pilot.press("t")
    await settle(pilot)
    view = pilot.app.screen
    assert isinstance(view, TorchView)
    return view


async def test_t_shows_the_script_and_s_saves_it_beside_the_scenario(tmp_path):
    scenario = tmp_path / "fabc.toml"
    shutil.copy(BUNDLED / "adam-fabc.toml", scenario)
    app = GradstepApp(str(scenario))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_view(pilot)
        assert view.script is not None and view.problem is None
        assert "torch.optim.Adam(" in app.export_screenshot()  # on screen, not only in memory
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("s")  # a second save replaces nothing
        await settle(pilot)
        first, second = tmp_path / "adam-fabc-torch.py", tmp_path / "adam-fabc-torch-2.py"
        assert view.saved == [str(first), str(second)]
        assert first.read_text() == second.read_text() == exported(scenario)
        ast.parse(first.read_text())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_a_bundled_scenario_is_saved_in_the_working_folder_not_the_package(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in BUNDLED.iterdir())
    app = GradstepApp("xor")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_view(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert view.saved == [str(tmp_path / "xor-torch.py")]
        await pilot.press("t")  # t again goes back
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
    assert (tmp_path / "xor-torch.py").read_text() == exported("xor")
    assert sorted(p.name for p in BUNDLED.iterdir()) == before


async def test_a_served_dashboard_writes_nothing_on_the_server(tmp_path, monkeypatch):
    """Served, ``s`` is a browser download; a served dashboard not in a browser says so and
    writes no file (neither beside the scenario nor in the working folder)."""
    monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path))
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "fabc.toml"
    shutil.copy(BUNDLED / "adam-fabc.toml", scenario)
    app = GradstepApp(str(scenario))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = recorded(app)
        view = await open_view(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert view.saved == []
        assert any("browser" in message for message in seen), seen
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fabc.toml"]


async def test_a_scenario_the_script_cannot_say_shows_why_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "scheduled.toml"
    path.write_text(resolve_scenario("gd-fabc").read_text(encoding="utf-8")
                    + '\n[schedule]\nkind = "step"\nstep_size = 10\ngamma = 0.5\n', encoding="utf-8")
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = recorded(app)
        await pilot.press("t")  # a learning-rate schedule: not in the script yet
        await settle(pilot)
        view = app.screen
        assert isinstance(view, TorchView)
        assert view.script is None and "schedule" in view.problem and "\n" not in view.problem
        assert "schedule" in app.export_screenshot()
        await pilot.press("s")
        await settle(pilot)
        assert view.saved == [] and list(tmp_path.iterdir()) == [path]
        assert any("schedule" in message for message in seen), seen


async def test_t_is_in_the_help_and_the_palette():
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dashboard = app.screen
        commands = [c.title for c in app.get_system_commands(dashboard)]
        assert "PyTorch code (t)" in commands
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(rendered(w.content) for w in app.screen.query("Static"))  # the help's tables
        assert any(line.strip().startswith("t ") and "the scenario as a PyTorch script" in line
                   for line in text.splitlines()), text
