"""The Textual application: loads a scenario and shows it on the dashboard screen.

Kept thin on purpose; the dashboard screen drives the engine. Heavy modules (the engine, NumPy,
plotext) are imported when the app starts, not when this module is imported, so that the
command line answers ``--help`` quickly.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

__all__ = ["GradstepApp", "run_dashboard"]


class GradstepApp(App[int]):
    """The dashboard for one scenario file (or bundled scenario name).

    Args:
        scenario_path: A path to a scenario file, or the name of a bundled scenario.

    Raises:
        engine.errors.ScenarioError: When the scenario cannot be read (before any screen shows).
    """

    TITLE = "gradstep"

    def __init__(self, scenario_path: Path | str) -> None:
        super().__init__()
        from engine.scenario import load_scenario, resolve_scenario

        self.scenario = load_scenario(resolve_scenario(str(scenario_path)))

    def on_mount(self) -> None:
        from tui.screens.dashboard import DashboardScreen

        self.push_screen(DashboardScreen(self.scenario))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette lists every key of the dashboard by name, then Textual's own commands."""
        for binding in getattr(screen, "BINDINGS", ()):
            if binding.description:
                key = binding.key_display or binding.key
                yield SystemCommand(f"{binding.description} ({key})", _help_for(binding),
                                    partial(screen.run_action, binding.action))
        yield from super().get_system_commands(screen)


def _help_for(binding) -> str:
    from tui.screens.help import KEY_HELP

    return KEY_HELP.get(binding.action, binding.description)


def run_dashboard(path: Path | str) -> int:
    """Run the dashboard on scenario ``path`` (or a bundled name) until the learner quits.

    Returns:
        The exit status: 0, or 2 when the scenario cannot be read (the reason goes to stderr).
    """
    import sys

    from engine.errors import ScenarioError

    try:
        app = GradstepApp(path)
    except ScenarioError as exc:
        print(f"gradstep: {exc}", file=sys.stderr)
        return 2
    app.run()
    return app.return_code or 0
