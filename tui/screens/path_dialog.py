"""What the dialogs that write a file the learner names share (``e`` the trace, ``w`` the
session): a path offered at first, checked when enter is pressed (empty, the wrong ending, an
existing file replaced only after a second enter), a served dashboard's download name instead of
a path on the teacher's disk, the problem said in the dialog, which stays open until the file is
written or escape cancels."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from gradstep.tui.classroom import served
from gradstep.tui.faults import ContainsErrors
from gradstep.tui.i18n import _

__all__ = ["PathDialog"]


class PathDialog(ContainsErrors, ModalScreen[tuple[str, int] | None]):
    """A dialog with an ``#path`` Input, a ``#hint`` and a ``#problem`` line (``compose`` is the
    subclass's), titled :attr:`TITLE_TEXT`.

    Attributes:
        suggestion: The path offered at first.
        writing: A worker is writing the file (enter does nothing, escape may stop it).
    """

    CSS_PATH = "export_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    TITLE_TEXT = ""
    """The dialog's title (English; translated where shown)."""

    def __init__(self, suggestion: str) -> None:
        super().__init__()
        self.suggestion = suggestion
        self.writing = False
        self._confirmed: str | None = None  # an existing file the learner agreed to replace

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = _(self.TITLE_TEXT)
        self.query_one("#path", Input).focus()

    def _say(self, text: str) -> None:
        problem = self.query_one("#problem", Static)
        problem.update(text)
        problem.set_class(bool(text), "-shown")

    def _chosen(self, typed: str, suffix: str, check: Callable[[str], object]) -> str | None:
        """The path to write for what was ``typed`` (a download's name when served, ``suffix``
        its default ending), or None after saying why not: nothing typed, ``check(path)``
        raised ValueError, or an existing file not yet confirmed. When a path is returned the
        dialog says it is writing it."""
        if self.writing:
            return None
        text = typed.strip()
        if not text:
            self._say(_("type a path, such as {path}").format(path=self.suggestion))
            return None
        path = served.download_name(text, suffix) if served.active() else str(Path(text).expanduser())
        try:
            check(path)
        except ValueError as exc:
            self._say(str(exc))
            return None
        if not served.active() and Path(path).is_file() and self._confirmed != path:
            self._confirmed = path
            self._say(_("{path} exists: press enter again to replace it").format(path=path))
            return None
        self.writing = True
        self.query_one("#path", Input).disabled = True
        self._say("")
        self.query_one("#hint", Static).update(_("writing {path} …").format(path=path))
        return path

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
