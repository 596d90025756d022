"""A dialog that says what went wrong: a scenario that cannot be opened (the loader's own
message), or an error nobody expected (one line, and where), over the training, which is kept."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from gradstep.tui.faults import ContainsErrors
from gradstep.tui.i18n import _, ngettext, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["ErrorDialog"]


class ErrorDialog(ContainsErrors, ModalScreen[bool]):
    """The title, the message as the engine wrote it, and an OK button; for an error nobody
    expected, also where it happened and a button that exports the trace.

    Args:
        title: The dialog's title.
        message: What went wrong, as the engine (or :func:`gradstep.tui.faults.describe`) wrote it.
        where: For an error nobody expected, where it happened (``file:line function()``, maybe
            ``""``); None for a scenario that cannot be opened.

    The dialog is dismissed with True when the learner asks to export the trace.
    """

    CSS_PATH = "error_dialog.tcss"
    BINDINGS = [Binding("escape", "dismiss", "close"), Binding("enter", "dismiss", "close", show=False),
                Binding("e", "export", "export the trace", show=False)]

    def __init__(self, title: str, message: str, where: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.title_text = title
        self.message = message
        self.where = where
        self.more = 0
        """How many further errors came while this dialog was open."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.message, id="message", markup=False)
            if self.where:
                yield Static(_("where: {where}").format(where=self.where), id="where", markup=False)
            yield Static("", id="more")
            if self.where is None:
                yield Static(_("The training on screen is unchanged."), id="hint")
                yield translated(Button(_("OK"), id="ok", variant="error"))
            else:
                yield Static(_("The training on screen and its history are kept: go on, or export "
                               "its trace."), id="hint")
                with Horizontal(id="buttons"):
                    yield translated(Button(_("Go on"), id="ok", variant="error"))
                    yield translated(Button(_("Export the trace… (e)"), id="export"))

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self.title_text
        self.query_one("#more").display = False
        self.query_one("#ok", Button).focus()

    def another(self) -> None:
        """Another error came while the dialog is open: count it (the first one is shown)."""
        self.more += 1
        more = self.query_one("#more", Static)
        more.update(ngettext("(and {count} more error after it)", "(and {count} more errors after it)",
                             self.more).format(count=self.more))
        more.display = True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "export")

    async def action_dismiss(self, result=None) -> None:
        self.dismiss(False)

    def action_export(self) -> None:
        """``e``, after an error nobody expected: close and open the export dialog."""
        if self.where is not None:
            self.dismiss(True)
