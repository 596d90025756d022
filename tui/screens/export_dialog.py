"""The dialog behind ``e``: write the trace of the history to a file the learner names."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from gradstep.tui.classroom import served
from gradstep.tui.i18n import N_, _, translate_bindings
from gradstep.tui.screens.palette import translated
from gradstep.tui.screens.path_dialog import PathDialog

__all__ = ["ExportDialog", "suggested_path", "trace_format"]

FORMATS = {".jsonl": "jsonl", ".csv": "csv"}
"""The trace format each file extension asks for."""


def suggested_path(scenario_name: str) -> str:
    """``./<scenario>-trace.jsonl`` in the working folder (the name made safe for a file)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", scenario_name).strip("-.") or "gradstep"
    return f"./{safe}-trace.jsonl"


def trace_format(path: str) -> str:
    """``jsonl`` or ``csv``, from the extension of ``path``.

    Raises:
        ValueError: For any other extension, with a sentence for the learner.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(_("the file name must end in .jsonl (JSON lines) or .csv, not {suffix}").format(
            suffix=repr(suffix) if suffix else _("nothing")))
    return FORMATS[suffix]


class ExportDialog(PathDialog):
    """Asks for a path, writes the trace there, and dismisses with ``(path, steps written)``;
    a path that cannot be written is explained in the dialog, which stays open. While it writes,
    the dialog counts the steps written; escape stops it (nothing is left on disk) and
    dismisses with None.

    Args:
        suggestion: The path offered at first.
        export: ``export(path, format, progress) -> steps written``, as
            :meth:`gradstep.tui.training.TrainingController.export`; raises
            :class:`gradstep.engine.training.trace.ExportError` when the file cannot be written.
            Called on a worker thread (a long history takes seconds to write).
    """

    TITLE_TEXT = N_("export the trace")

    PROGRESS_EVERY = 0.1
    """Seconds between two updates of the count of steps written."""

    def __init__(self, suggestion: str, export: Callable[..., int]) -> None:
        super().__init__(suggestion)
        translate_bindings(self)
        self._export = export
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(_("write every step of the history (loss, θ, g, state, Δθ) to:"))
            yield translated(Input(self.suggestion, placeholder=_("path/to/trace.jsonl"), id="path"))
            yield Static(_("ending in .jsonl (JSON lines) or .csv; enter writes, escape cancels"), id="hint")
            yield Static("", id="problem", markup=False)

    @on(Input.Submitted, "#path")
    def _typed(self, event: Input.Submitted) -> None:
        formats = {}
        path = self._chosen(event.value, ".jsonl", lambda p: formats.setdefault("format", trace_format(p)))
        if path is not None:
            self._write(path, formats["format"])

    @work(thread=True, exclusive=True, group="export")
    def _write(self, path: str, format: str) -> None:
        from gradstep.engine.training.trace import ExportError
        from gradstep.tui.training import ExportCancelled

        shown = [time.monotonic()]

        def progress(done: int, total: int) -> None:
            if self._stop.is_set():
                raise ExportCancelled
            now = time.monotonic()
            if now - shown[0] >= self.PROGRESS_EVERY or done == total:
                shown[0] = now
                self.app.call_from_thread(self._progress, path, done, total)

        try:
            if served.active():  # a classroom's dashboard: a download to the browser, no file here
                steps = served.trace_download(
                    self.app, lambda stream, fmt: self._export(stream, fmt, progress), path, format)
            else:
                steps = self._export(path, format, progress)
        except ExportCancelled:
            self.app.call_from_thread(self.dismiss, None)
        except (ExportError, OSError, ValueError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
        else:
            self.app.call_from_thread(self.dismiss, (path, steps))

    def _progress(self, path: str, done: int, total: int) -> None:
        if not self._stop.is_set():
            self.query_one("#hint", Static).update(
                _("writing {path}: step {done} of {total} (escape stops)").format(path=path, done=done, total=total))

    def _failed(self, text: str) -> None:
        self._stop = threading.Event()
        super()._failed(text)

    def action_cancel(self) -> None:
        if not self.writing:
            self.dismiss(None)
        elif not self._stop.is_set():  # the writer stops at its next step and leaves no file
            self._stop.set()
            self.query_one("#hint", Static).update(_("stopping …"))
