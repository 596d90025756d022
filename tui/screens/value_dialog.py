"""The dialog behind ``=``: type a value for the selected parameter entry and go on from there."""

from __future__ import annotations

import math

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from gradstep.tui.faults import ContainsErrors
from gradstep.tui.format import num
from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["ValueDialog", "parse_value"]


def parse_value(text: str) -> float:
    """The finite number ``text`` says.

    Raises:
        ValueError: With a sentence for the learner.
    """
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(_("{text} is not a number: type one such as 0.5 or -1e-3").format(text=repr(text))) from None
    if not math.isfinite(value):
        raise ValueError(_("a parameter must be a finite number, got {value}").format(value=text))
    return value


class ValueDialog(ContainsErrors, ModalScreen["tuple[str, float] | None"]):
    """Dismisses with ``(entry, value)`` once ``apply(value)`` took it (or None when cancelled);
    a value refused is said in one line in the dialog, which stays open.

    Args:
        label: The entry's name on screen (``a``, ``layer1.W[0, 2]``).
        current: Its value now.
        step: The step the session stands at.
        apply: ``apply(value)`` sets it (it may raise ValueError).
    """

    CSS_PATH = "course_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, label: str, current: float, step: int, apply) -> None:
        super().__init__()
        translate_bindings(self)
        self.label, self.current, self.step, self.apply = label, current, step, apply

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(_("{entry} at step {step} (now {value}); the next step starts from it:").format(
                entry=self.label, step=self.step, value=num(self.current)))
            yield translated(Input(repr(self.current), id="value"))
            yield Static(_("enter sets it (the optimizer's state is kept), escape cancels"), id="hint")
            yield Static("", id="problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = _("type a value")
        self.query_one("#value", Input).focus()

    @on(Input.Submitted, "#value")
    def _typed(self, event: Input.Submitted) -> None:
        try:
            value = parse_value(event.value)
            self.apply(value)
        except ValueError as exc:
            problem = self.query_one("#problem", Static)
            problem.update(str(exc))
            problem.add_class("-shown")
            return
        self.dismiss((self.label, value))

    def action_cancel(self) -> None:
        self.dismiss(None)
