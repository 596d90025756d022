"""The dialog behind ``w``: save the session to a ``.gradstep`` file the learner names (issue 18).

The file (:mod:`gradstep.engine.training.save_file`) holds the scenario, the step and the
changes of course; ``gradstep FILE.gradstep`` opens it at that step and ``gradstep run --resume
FILE.gradstep`` goes on without a screen. A served dashboard delivers it to the browser as a
download, like ``e`` and ``p``: nothing is written on the teacher's disk.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from gradstep.tui.classroom import served
from gradstep.tui.faults import ContainsErrors
from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["SaveDialog", "suggested_path"]


def suggested_path(session) -> str:
    """``NAME-stepN.gradstep`` next to the scenario's file; in the working folder for a bundled
    scenario, one read from no file, or a folder that cannot be written."""
    from gradstep.engine.scenario import bundled_scenarios
    from gradstep.engine.training.save_file import suggested_name

    name = suggested_name(session)
    path = session.scenario.path
    if path is None or served.active():  # a download: the teacher's folders are nobody's business
        return f"./{name}"
    folder = Path(path).resolve().parent
    bundled = {Path(p).resolve().parent for _name, _description, p in bundled_scenarios()}
    if folder in bundled or not os.access(folder, os.W_OK):
        return f"./{name}"
    return str(folder / name)


class SaveDialog(ContainsErrors, ModalScreen[tuple[str, int] | None]):
    """Asks for a path, saves the session there, and dismisses with ``(path, step saved)``; a
    path that cannot be written is explained in the dialog, which stays open.

    Args:
        training: The dashboard's :class:`~gradstep.tui.training.TrainingController` (its
            ``save`` takes the lock; it is called on a worker thread).
    """

    CSS_PATH = "export_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, training) -> None:
        super().__init__()
        translate_bindings(self)
        self._training = training
        self.step = training.t
        self.suggestion = suggested_path(training.session)
        self._confirmed: str | None = None  # an existing file the learner agreed to replace
        self.writing = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(_("save the session at step {step} (scenario, step, changes of course) to:")
                        .format(step=self.step))
            yield translated(Input(self.suggestion, placeholder=_("path/to/session.gradstep"), id="path"))
            yield Static(_("ending in .gradstep; enter saves, escape cancels; gradstep FILE.gradstep "
                           "opens it again"), id="hint")
            yield Static("", id="problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = _("save the session")
        self.query_one("#path", Input).focus()

    def _say(self, text: str) -> None:
        problem = self.query_one("#problem", Static)
        problem.update(text)
        problem.set_class(bool(text), "-shown")

    @on(Input.Submitted, "#path")
    def _typed(self, event: Input.Submitted) -> None:
        from gradstep.engine.training.save_file import SUFFIX

        if self.writing:
            return
        text = event.value.strip()
        if not text:
            self._say(_("type a path, such as {path}").format(path=self.suggestion))
            return
        path = served.download_name(text, SUFFIX) if served.active() else str(Path(text).expanduser())
        if not path.lower().endswith(SUFFIX):
            self._say(_("the file name must end in {suffix}").format(suffix=SUFFIX))
            return
        if not served.active() and Path(path).is_file() and self._confirmed != path:
            self._confirmed = path
            self._say(_("{path} exists: press enter again to replace it").format(path=path))
            return
        self.writing = True
        self.query_one("#path", Input).disabled = True
        self._say("")
        self.query_one("#hint", Static).update(_("writing {path} …").format(path=path))
        self._write(path)

    @work(thread=True, exclusive=True, group="save")
    def _write(self, path: str) -> None:
        import io

        from gradstep.engine.training.trace import ExportError

        try:
            if served.active():  # a classroom's dashboard: a download to the browser, no file here
                if not self.app.is_web:
                    raise OSError(_("downloads need the dashboard to be in a web browser"))
                stream = io.BytesIO()
                self._training.save(stream)
                served.deliver(path, stream.getvalue(), app=self.app)
            else:
                self._training.save(path)
        except (ExportError, OSError, ValueError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
        else:
            self.app.call_from_thread(self.dismiss, (path, self.step))

    def _failed(self, text: str) -> None:
        self.writing = False
        path = self.query_one("#path", Input)
        path.disabled = False
        path.focus()
        self.query_one("#hint", Static).update(_("fix the path and press enter, or escape to cancel"))
        self._say(text)

    def action_cancel(self) -> None:
        if not self.writing:
            self.dismiss(None)
