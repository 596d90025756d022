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
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from gradstep.tui.classroom import served
from gradstep.tui.i18n import N_, _, translate_bindings
from gradstep.tui.screens.palette import translated
from gradstep.tui.screens.path_dialog import PathDialog

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


class SaveDialog(PathDialog):
    """Asks for a path, saves the session there, and dismisses with ``(path, step saved)``; a
    path that cannot be written is explained in the dialog, which stays open.

    Args:
        training: The dashboard's :class:`~gradstep.tui.training.TrainingController` (its
            ``save`` takes the lock; it is called on a worker thread).
    """

    TITLE_TEXT = N_("save the session")

    def __init__(self, training) -> None:
        super().__init__(suggested_path(training.session))
        translate_bindings(self)
        self._training = training
        self.step = training.t

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(_("save the session at step {step} (scenario, step, changes of course) to:")
                        .format(step=self.step))
            yield translated(Input(self.suggestion, placeholder=_("path/to/session.gradstep"), id="path"))
            yield Static(_("ending in .gradstep; enter saves, escape cancels; gradstep FILE.gradstep "
                           "opens it again"), id="hint")
            yield Static("", id="problem", markup=False)

    @on(Input.Submitted, "#path")
    def _typed(self, event: Input.Submitted) -> None:
        from gradstep.engine.training.save_file import SUFFIX

        def check(path: str) -> None:
            if not path.lower().endswith(SUFFIX):
                raise ValueError(_("the file name must end in {suffix}").format(suffix=SUFFIX))

        path = self._chosen(event.value, SUFFIX, check)
        if path is not None:
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
