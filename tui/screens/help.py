"""Help: the keys, and the equations of the optimizer on screen in the tutorial's symbols."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.equations import OPTIMIZER_TITLES, TUTORIAL_CORRECTIONS, symbolic_lines

__all__ = ["HelpScreen", "KEY_HELP", "SYMBOLS"]

KEY_HELP = {
    "step(1)": "take one training step",
    "step(10)": "take 10 steps",
    "step(100)": "take 100 steps",
    "toggle_run": "run continuously / pause",
    "speed(1)": "run faster (steps per second: 1, 3, 10, ... max)",
    "speed(-1)": "run slower",
    "scale_lr(0.5)": "halve the learning rate α (from the next step on)",
    "scale_lr(2)": "double the learning rate α",
    "app.focus_next": "next panel (the arrows then move within its matrix)",
    "next_layer": "next layer (or group of parameters)",
    "log_scale": "loss chart: linear / logarithmic scale",
    "open": "open a scenario: bundled, ./scenarios, or a typed path",
    "reload": "reload the scenario from its file (back to step 0)",
    "back(1)": "one step back in the history (also backspace)",
    "back(10)": "ten steps back",
    "forward(10)": "ten steps forward, up to the furthest step computed",
    "goto_start": "back to step 0 (home)",
    "goto_end": "to the furthest step computed (end)",
    "jump": "go to a step you type",
    "export": "export the trace (loss, θ, g, state, Δθ of every step) as JSON lines or CSV",
    "help": "this help",
    "quit": "quit",
    "view('chain')": "chain rule: every local derivative from the loss down to the selected θ",
    "view('gradcheck')": "gradient check: the engine's ∂L/∂θ against finite differences",
    "view('fit')": "model fit: the data and the model's predictions (curve or decision regions)",
    "view('surface')": "loss surface: the loss over two parameters, with the path so far",
    "view('race')": "optimizer race: the scenario's optimizers side by side, in lockstep",
}
"""A sentence for each key of the dashboard and of the views over it, by action."""

SYMBOLS = [
    ("θ", "a parameter (a, b, c of an objective; an entry of W or b of a layer)"),
    ("g", "∂L/∂θ, the gradient of the loss L at the parameters before the step"),
    ("α", "the learning rate (lr)"),
    ("t", "the step number: 1 for the first update"),
    ("V", "first moment: running mean of g (momentum's velocity)"),
    ("S", "second moment: running mean (RMSprop, Adam) or sum (Adagrad) of g²"),
    ("V̂, Ŝ", "V and S with the bias correction: V/(1−β1ᵗ), S/(1−β2ᵗ)"),
    ("β1, β2", "decay rates of V and S (0.9 and 0.999 by default)"),
    ("ε", "a small number that keeps the division finite (1e-8)"),
    ("μ, ρ, λ", "momentum, RMSprop's decay, weight decay"),
    ("Δθ", "the update: new θ − old θ"),
    ("α_eff", "the step size θ effectively gets: Adam α/(√Ŝ+ε), RMSprop α/(√S+ε), SGD α"),
]


class HelpScreen(ModalScreen[None]):
    """Keys, symbols, the active optimizer's equations and the tutorial's corrections."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("question_mark", "dismiss", "close", show=False),
        Binding("q", "dismiss", "close", show=False),
    ]

    def __init__(self, optimizer: str, bindings) -> None:
        super().__init__()
        self.optimizer = optimizer
        self.bindings = list(bindings)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(self._keys(), id="keys")
            yield Static(self._equations(), id="equations")
            yield Static(self._corrections(), id="corrections")

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "help — escape closes"

    def _keys(self) -> Text:
        heading = Style(bold=True, color="cyan")
        text = Text()
        text.append("Keys\n", style=heading)
        rows = [("←↑↓→", "move the cursor in the focused matrix; the up-close panel follows it")]
        for binding in self.bindings:
            key = binding.key_display or {"space": "space"}.get(binding.key, binding.key)
            rows.append((key, KEY_HELP.get(binding.action, binding.description)))
        views = [b for b in getattr(self.app, "BINDINGS", ()) if getattr(b, "description", "")]
        if views:
            rows.append(("", ""))
            rows.append(("", "The mathematics (escape or q goes back to the dashboard):"))
            for binding in views:
                rows.append((binding.key_display or binding.key,
                             KEY_HELP.get(binding.action, binding.description)))
        rows.append(("ctrl+p", "command palette (every key above, by name)"))
        width = max(len(key) for key, _ in rows)
        for key, what in rows:
            text.append(f"  {key:<{width}}  ", style=Style(bold=True))
            text.append(what + "\n")
        return text

    def _equations(self) -> Text:
        heading = Style(bold=True, color="cyan")
        title = OPTIMIZER_TITLES.get(self.optimizer, self.optimizer)
        text = Text()
        text.append(f"\nThe equations of {title}, at step t, for each parameter θ\n", style=heading)
        for line in symbolic_lines(self.optimizer):
            text.append(f"  {line}\n")
        text.append("\nSymbols\n", style=heading)
        for symbol, meaning in SYMBOLS:
            text.append(f"  {symbol:>7}  ", style=Style(bold=True))
            text.append(meaning + "\n")
        return text

    def _corrections(self) -> Text:
        heading = Style(bold=True, color="cyan")
        text = Text()
        text.append("\nWhere the tutorial goes wrong (and what gradstep shows instead)\n", style=heading)
        for claim, correction in TUTORIAL_CORRECTIONS:
            text.append(f"  • {claim} ", style=Style(bold=True))
            text.append(correction + "\n")
        return text

    async def action_dismiss(self, result=None) -> None:
        self.dismiss()
