"""The form behind ``y``: every hyperparameter of the optimizer in force, one input each."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from gradstep.engine import optim
from gradstep.engine.optim import HYPER_SYMBOLS, HYPERPARAMETERS
from gradstep.tui.faults import ContainsErrors
from gradstep.tui.format import short
from gradstep.tui.i18n import N_, _, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["HyperForm", "read_hyper", "bounds_text", "exact", "SWITCH_LABELS"]

SWITCH_LABELS = {"bias_correction": N_("bias correction: V̂, Ŝ (off: V, S)")}
"""The checkbox of each on-or-off hyperparameter (English; translated where shown)."""


def exact(x: float) -> str:
    """``x`` as short as it reads back exactly (``0.9``, ``1e-8``; else Python's ``repr``)."""
    text = short(x)
    return text if float(text) == x else repr(float(x))


def bounds_text(key: str) -> str:
    """The values hyperparameter ``key`` may take, as an interval: ``[0, 1)``, ``[0, ∞)``."""
    h = HYPERPARAMETERS[key]
    high = "∞" if h.high == float("inf") else short(h.high)
    return f"[{short(h.low)}, {high}{']' if h.high_ok and h.high != float('inf') else ')'}"


def read_hyper(kind: str, hyper: dict, typed: dict[str, str]) -> dict[str, float]:
    """The hyperparameters ``typed`` (text by name) changes of ``hyper``, checked by the engine's
    registry (its bounds, and what the optimizer refuses together).

    Raises:
        ValueError: With one sentence naming the hyperparameter, for text that is not a number
            or a value the optimizer does not accept.
    """
    changed = {}
    switches = optim.entry(kind).switches
    for key, text in typed.items():
        if key in switches:  # a checkbox: on or off
            if float(text) != hyper.get(key, switches[key]):
                changed[key] = bool(text)
            continue
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError(_("{symbol} ({key}): {text} is not a number").format(
                symbol=HYPER_SYMBOLS.get(key, key), key=key, text=repr(text.strip()))) from None
        if value != hyper[key]:
            changed[key] = value
    merged = {k: v for k, v in {**hyper, **changed}.items() if k != "lr"}  # checked by the engine
    optim.hyperparameters(kind, changed.get("lr", hyper["lr"]), **merged)  # raises for a bad value
    return changed


class HyperForm(ContainsErrors, ModalScreen[dict | None]):
    """Dismisses with the hyperparameters changed (``{}`` or None: none); a value the optimizer
    refuses is said in one line in the form, which stays open.

    Args:
        kind: The optimizer in force.
        hyper: Its hyperparameters now.
        step: The step the change takes effect from.
        apply: ``apply(**changed)`` makes the change (it may raise ValueError too).
    """

    CSS_PATH = "course_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, kind: str, hyper: dict, step: int, apply) -> None:
        super().__init__()
        translate_bindings(self)
        self.kind, self.hyper, self.step, self.apply = kind, dict(hyper), step, apply
        self.switches = optim.entry(kind).switches

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(_("{optimizer}, from step {step} on (the state is kept):").format(
                optimizer=optim.optimizer_title(self.kind), step=self.step))
            for key, value in self.hyper.items():
                if key in self.switches:
                    continue
                with Horizontal(classes="row"):
                    yield Label(f"{HYPER_SYMBOLS.get(key, key):>3} {key}", classes="name")
                    yield translated(Input(exact(value), id=f"hp-{key}", classes="value", compact=True))
                    yield Label(bounds_text(key), classes="bounds")
            for key, default in optim.entry(self.kind).switches.items():
                yield translated(Checkbox(_(SWITCH_LABELS.get(key, key)), bool(self.hyper.get(key, default)),
                                          id=f"hp-{key}", compact=True))
            yield Static(_("enter in a field applies, tab moves, space ticks a box, escape cancels"), id="hint")
            yield Static("", id="problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = _("hyperparameters")
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted | None = None) -> None:
        typed = {key: self.query_one(f"#hp-{key}", Input).value for key in self.hyper if key not in self.switches}
        typed.update((key, float(self.query_one(f"#hp-{key}", Checkbox).value)) for key in self.switches)
        try:
            changed = read_hyper(self.kind, self.hyper, typed)
            if changed:
                self.apply(**changed)
        except ValueError as exc:
            problem = self.query_one("#problem", Static)
            problem.update(str(exc))
            problem.add_class("-shown")
            return
        self.dismiss(changed)

    def action_cancel(self) -> None:
        self.dismiss(None)
