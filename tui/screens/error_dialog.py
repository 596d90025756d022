"""A dialog that shows why a scenario could not be opened (the loader's own message)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["ErrorDialog"]


class ErrorDialog(ModalScreen[None]):
    """The title, the message as the engine wrote it, and an OK button."""

    CSS_PATH = "error_dialog.tcss"
    BINDINGS = [Binding("escape", "dismiss", "close"), Binding("enter", "dismiss", "close", show=False)]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.message, id="message", markup=False)
            yield Static(_("The training on screen is unchanged."), id="hint")
            yield translated(Button(_("OK"), id="ok", variant="error"))

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self.title_text
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss()

    async def action_dismiss(self, result=None) -> None:
        self.dismiss()
