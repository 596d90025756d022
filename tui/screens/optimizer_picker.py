"""The picker behind ``O``: every optimizer of the engine's registry, one line each."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from gradstep.engine.optim import HYPER_SYMBOLS, OPTIMIZERS, optimizer_title
from gradstep.tui.faults import ContainsErrors
from gradstep.tui.format import short
from gradstep.tui.i18n import _, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["OptimizerPicker", "optimizer_line"]


def optimizer_line(kind: str) -> str:
    """``kind``'s line in the picker: its name, its title and its own hyperparameters' defaults
    (the learning rate is kept, and a decay of 0 left out, as the status line does)."""
    defaults = OPTIMIZERS[kind].defaults
    values = "  ".join(f"{HYPER_SYMBOLS.get(k, k)} {short(v)}" for k, v in defaults.items()
                       if k != "lr" and (v != 0 or k in ("momentum", "rho")))
    return f"{kind:<9} {optimizer_title(kind)}" + (f"   {values}" if values else "")


class OptimizerPicker(ContainsErrors, ModalScreen[str | None]):
    """Dismisses with the chosen optimizer's name (or None when cancelled); the caller switches.

    Args:
        current: The optimizer in force (marked, and highlighted first).
        step: The step the switch takes effect from.
    """

    CSS_PATH = "optimizer_picker.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, current: str, step: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.current, self.step = current, step

    def compose(self) -> ComposeResult:
        kinds = list(OPTIMIZERS)  # the registry's order; a new entry appears here by itself
        with Vertical(id="dialog"):
            yield Static(_("from step {step} on, from fresh state; α is kept:").format(step=self.step))
            yield translated(OptionList(*[Option(("● " if k == self.current else "  ") + optimizer_line(k), id=k)
                                          for k in kinds], id="kinds"))
            yield Static(_("enter switches, escape cancels; y then edits its hyperparameters"), id="hint")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = _("choose the optimizer")
        kinds = self.query_one("#kinds", OptionList)
        kinds.highlighted = list(OPTIMIZERS).index(self.current) if self.current in OPTIMIZERS else 0
        kinds.focus()

    @on(OptionList.OptionSelected, "#kinds")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
