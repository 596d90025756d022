"""The view behind ``t``: the scenario as a PyTorch script, and ``s`` to keep it (issue 16).

The script is the one ``gradstep export --torch`` prints
(:func:`gradstep.engine.training.torch_script.torch_script`), for the scenario as its file
says (a learning rate changed on the dashboard is not in it). It is written on a worker thread
(a large data set makes a long script) and shown syntax-highlighted; a very long one is shown
plain, in a text area that only draws the lines in view. ``s`` saves it beside the scenario (in
the working folder for a bundled scenario, never inside the package), under a name that
replaces nothing; a served dashboard sends it to the browser as a download instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.syntax import Syntax
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Static, TextArea

from gradstep.tui.classroom import served
from gradstep.tui.faults import ContainsErrors, memory_message
from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.widgets.key_footer import KeyFooter

__all__ = ["TorchView", "save_folder", "free_name", "HIGHLIGHT_LINES"]

HIGHLIGHT_LINES = 3000
"""Longest script shown highlighted; longer ones (data inline) are shown plain."""


def save_folder(scenario) -> Path:
    """Where ``s`` writes: the scenario's folder, or the working folder for a bundled scenario
    or one read from text."""
    from gradstep.engine.scenario import bundled_scenarios

    path = scenario.path
    if path is None:
        return Path.cwd()
    folder = Path(path).resolve().parent
    bundled = {Path(p).resolve().parent for _name, _d, p in bundled_scenarios()}
    return Path.cwd() if folder in bundled else folder


def free_name(folder: Path, scenario_name: str) -> Path:
    """``folder/<name>-torch.py``, or ``-torch-2.py``, ``-3``, ...: a name nothing has yet."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", scenario_name).strip("-.") or "gradstep"
    n = 1
    while True:
        candidate = folder / (f"{safe}-torch.py" if n == 1 else f"{safe}-torch-{n}.py")
        if not candidate.exists():
            return candidate
        n += 1


class TorchView(ContainsErrors, Screen):
    """The PyTorch script of the dashboard's scenario; escape, q or t goes back. Opened by the
    app's ``view('torch')`` (:mod:`gradstep.tui.views`), like the views of the mathematics.

    Args:
        dashboard: The :class:`~gradstep.tui.screens.dashboard.DashboardScreen`; only its
            ``scenario`` is read (the script never depends on where the session stands).

    Attributes:
        script: The script's text once written (None before, or when the scenario cannot be
            translated).
        problem: Why there is no script (one line), or None.
        saved: The paths ``s`` wrote (or the names it sent to the browser).
    """

    CSS_PATH = "torch_view.tcss"
    BINDINGS = [
        Binding("escape", "close", "back"),
        Binding("q", "close", "back", show=False),
        Binding("t", "close", "back", show=False),
        Binding("s", "save", "save"),
    ]

    def __init__(self, dashboard) -> None:
        super().__init__()
        translate_bindings(self)
        self.scenario = dashboard.scenario
        self.script: str | None = None
        self.problem: str | None = None
        self.saved: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(_("writing the PyTorch script …"), id="torch-note", markup=False)
        yield ScrollableContainer(id="torch-code")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#torch-code").border_title = _("PyTorch code — {name}").format(name=self.scenario.name)
        self._write()

    @work(thread=True, exclusive=True, group="torch-script")
    def _write(self) -> None:
        from gradstep.engine.errors import ScenarioError
        from gradstep.engine.training.torch_script import torch_script

        try:
            script, problem = torch_script(self.scenario), None
        except ScenarioError as exc:
            script, problem = None, str(exc)
        except MemoryError as exc:
            script, problem = None, memory_message(exc)
        self.app.call_from_thread(self._show, script, problem)

    def _show(self, script: str | None, problem: str | None) -> None:
        self.script, self.problem = script, problem
        note = self.query_one("#torch-note", Static)
        box = self.query_one("#torch-code", ScrollableContainer)
        if script is None:
            note.update(problem or "")
            note.add_class("-problem")
            return
        note.update(_("the scenario as its file says; run with python, it prints the numbers of "
                      "gradstep run --full"))
        if script.count("\n") <= HIGHLIGHT_LINES:
            box.mount(Static(Syntax(script, "python", theme="ansi_dark", line_numbers=True,
                                    word_wrap=False), id="torch-text"))
        else:
            area = TextArea(script, read_only=True, show_line_numbers=True, soft_wrap=False,
                            id="torch-text")
            box.mount(area)
        box.focus()

    # -- actions -----------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss()

    def action_save(self) -> None:
        if self.script is None:
            self.notify(self.problem or _("the script is still being written"), severity="warning",
                        timeout=4)
            return
        self._save(self.script)

    @work(thread=True, exclusive=True, group="torch-save")
    def _save(self, script: str) -> None:
        from gradstep.engine.training.trace import AtomicFile, ExportError

        try:
            if served.active():  # a classroom's dashboard: a download, nothing on the server's disk
                name = free_name(Path("."), self.scenario.name).name
                served.deliver(name, script.encode("utf-8"), app=self.app)
                done = (name, _("sent to your browser"))
            else:
                path = free_name(save_folder(self.scenario), self.scenario.name)
                with AtomicFile(path) as out:
                    out.stream.write(script)
                done = (str(path), _("saved"))
        except (ExportError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), title=_("PyTorch script"),
                                      severity="error", timeout=8)
        else:
            self.app.call_from_thread(self._saved, *done)

    def _saved(self, where: str, title: str) -> None:
        self.saved.append(where)
        self.notify(where, title=title, timeout=6)
