"""The dialog behind ``:``: type a step of the history and go there."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from gradstep.tui.faults import ContainsErrors
from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["JumpDialog", "parse_step"]


def parse_step(text: str, furthest: int) -> int:
    """The step ``text`` names, within ``0 ... furthest``.

    Raises:
        ValueError: With a sentence for the learner, when ``text`` is not a whole number or
            lies outside the history.
    """
    text = text.strip()
    try:
        step = int(text)
    except ValueError:
        raise ValueError(_("{text} is not a step number: type a whole number from 0 to {furthest}").format(
            text=repr(text), furthest=furthest)) from None
    if step < 0:
        raise ValueError(_("steps start at 0: type a number from 0 to {furthest}").format(furthest=furthest))
    if step > furthest:
        raise ValueError(_("step {step} has not been computed yet (the latest is {furthest}): "
                           "go there with space, n or r").format(step=step, furthest=furthest))
    return step


class JumpDialog(ContainsErrors, ModalScreen[int | None]):
    """Dismisses with the step typed (or None when cancelled); a step outside the history is
    explained in the dialog, which stays open.

    Args:
        t: The step the session stands at (shown as the starting text).
        furthest: The furthest step of the history.
    """

    CSS_PATH = "jump_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, t: int, furthest: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.t = t
        self.furthest = furthest

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(_("which step? 0 … {furthest}").format(furthest=self.furthest))
            yield translated(Input(str(self.t), placeholder=f"0 … {self.furthest}", id="step"))
            yield Static(_("enter goes there, escape cancels"), id="hint")
            yield Static("", id="problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = _("go to step")
        self.query_one("#step", Input).focus()

    @on(Input.Submitted, "#step")
    def _typed(self, event: Input.Submitted) -> None:
        try:
            step = parse_step(event.value, self.furthest)
        except ValueError as exc:
            problem = self.query_one("#problem", Static)
            problem.update(str(exc))
            problem.add_class("-shown")
            return
        self.dismiss(step)

    def action_cancel(self) -> None:
        self.dismiss(None)
