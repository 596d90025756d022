"""The dialog behind ``e``: write the trace of the history to a file the learner names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from gradstep.tui.faults import ContainsErrors
from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.screens.palette import translated

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


class ExportDialog(ContainsErrors, ModalScreen[tuple[str, int] | None]):
    """Asks for a path, writes the trace there, and dismisses with ``(path, steps written)``;
    a path that cannot be written is explained in the dialog, which stays open.

    Args:
        suggestion: The path offered at first.
        export: ``export(path, format) -> steps written``; raises
            :class:`gradstep.engine.training.trace.ExportError` when the file cannot be written. Called on a
            worker thread (a long history takes seconds to write).
    """

    CSS_PATH = "export_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, suggestion: str, export: Callable[[str, str], int]) -> None:
        super().__init__()
        translate_bindings(self)
        self.suggestion = suggestion
        self._export = export
        self._confirmed: str | None = None  # an existing file the learner agreed to replace
        self.writing = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(_("write every step of the history (loss, θ, g, state, Δθ) to:"))
            yield translated(Input(self.suggestion, placeholder=_("path/to/trace.jsonl"), id="path"))
            yield Static(_("ending in .jsonl (JSON lines) or .csv; enter writes, escape cancels"), id="hint")
            yield Static("", id="problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = _("export the trace")
        self.query_one("#path", Input).focus()

    def _say(self, text: str) -> None:
        problem = self.query_one("#problem", Static)
        problem.update(text)
        problem.set_class(bool(text), "-shown")

    @on(Input.Submitted, "#path")
    def _typed(self, event: Input.Submitted) -> None:
        if self.writing:
            return
        text = event.value.strip()
        if not text:
            self._say(_("type a path, such as {path}").format(path=self.suggestion))
            return
        path = str(Path(text).expanduser())
        try:
            format = trace_format(path)
        except ValueError as exc:
            self._say(str(exc))
            return
        if Path(path).is_file() and self._confirmed != path:
            self._confirmed = path
            self._say(_("{path} exists: press enter again to replace it").format(path=path))
            return
        self.writing = True
        self.query_one("#path", Input).disabled = True
        self._say("")
        self.query_one("#hint", Static).update(_("writing {path} …").format(path=path))
        self._write(path, format)

    @work(thread=True, exclusive=True, group="export")
    def _write(self, path: str, format: str) -> None:
        from gradstep.engine.training.trace import ExportError

        try:
            steps = self._export(path, format)
        except (ExportError, OSError, ValueError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
        else:
            self.app.call_from_thread(self.dismiss, (path, steps))

    def _failed(self, text: str) -> None:
        self.writing = False
        path = self.query_one("#path", Input)
        path.disabled = False
        path.focus()
        self.query_one("#hint", Static).update(_("fix the path and press enter, or escape to cancel"))
        self._say(text)

    def action_cancel(self) -> None:
        if not self.writing:  # a trace being written cannot be stopped half way
            self.dismiss(None)
