"""Help: the keys, and the equations of the optimizer on screen in the tutorial's symbols."""

from __future__ import annotations

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from gradstep.engine.optim import optimizer_title, symbolic_lines
from gradstep.tui.equations import TUTORIAL_CORRECTIONS
from gradstep.tui.faults import ContainsErrors
from gradstep.tui.i18n import N_, _, translate_bindings
from gradstep.tui.screens.palette import translated

__all__ = ["HelpScreen", "KEY_HELP", "SYMBOLS"]

KEY_HELP = {
    "step(1)": N_("take one training step"),
    "step(10)": N_("take 10 steps"),
    "step(100)": N_("take 100 steps"),
    "toggle_run": N_("run continuously / pause"),
    "app.pictures": N_("pictures for slides: the screen as SVG, the loss curve (and surface) as PNG"),
    "speed(1)": N_("run faster (steps per second: 1, 3, 10, ... max)"),
    "speed(-1)": N_("run slower"),
    "scale_lr(0.5)": N_("halve the learning rate α (from the next step on)"),
    "scale_lr(2)": N_("double the learning rate α"),
    "app.focus_next": N_("next panel (the arrows then move within its matrix)"),
    "next_layer": N_("next layer (or group of parameters)"),
    "log_scale": N_("loss chart: linear / logarithmic scale"),
    "next_chart": N_("loss chart: the loss, the learning rate α, the accuracy (classification) in turn"),
    "open": N_("open a scenario: bundled, ./scenarios, or a typed path"),
    "reload": N_("reload the scenario from its file (back to step 0)"),
    "back(1)": N_("one step back in the history"),
    "back(10)": N_("ten steps back"),
    "forward(10)": N_("ten steps forward, up to the furthest step computed"),
    "goto_start": N_("back to step 0"),
    "goto_end": N_("to the furthest step computed"),
    "jump": N_("go to a step you type"),
    "choose_optimizer": N_("choose the optimizer (from the next step on, from fresh state; α kept)"),
    "edit_hyper": N_("edit the optimizer's hyperparameters (from the next step on; its state kept)"),
    "type_value": N_("type a value for the selected θ and go on from there (the optimizer's state kept)"),
    "stop_reaching": N_("stop going to a far step: the session stays where it stood"),
    "export": N_("export the trace (loss, θ, g, state, Δθ of every step) as JSON lines or CSV"),
    "curvature": N_("curvature on / off: λmax of the loss's Hessian, 2/λmax beside α (plain GD's limit)"),
    "phases": N_("phases on / off: space shows a step's forward, loss, backward, update; r slow motion"),
    "save": N_("save the session to a .gradstep file (gradstep FILE.gradstep opens it at this step)"),
    "app.view('torch')": N_("the scenario as a PyTorch script (s in it saves the script)"),
    "help": N_("this help"),
    "quit": N_("quit"),
    "view('chain')": N_("chain rule: every local derivative from the loss down to the selected θ (by the "
                        "scenario's names where it has them; d in the view: node by node)"),
    "view('gradcheck')": N_("gradient check: the engine's ∂L/∂θ against finite differences"),
    "view('fit')": N_("model fit: the data and the model's predictions (curve or decision regions)"),
    "view('surface')": N_("loss surface: the loss over two parameters, with the path so far"),
    "view('race')": N_("optimizer race: the scenario's optimizers side by side, in lockstep"),
    "view('lab')": N_("misconception lab (Adam family): the tutorial's formulas, no bias correction and "
                      "a forgotten zero_grad beside Adam"),
    "lesson": N_("lesson pane: the tutorial chapter by chapter (or this scenario's notes); again hides it"),
    "lesson_page(1)": N_("the lesson's next page"),
    "lesson_page(-1)": N_("the lesson's previous page"),
    "view('graph')": N_("graph of the loss: every node's value and gradient at this step"),
    "view('neurons')": N_("hidden units: each unit's output over the inputs, layer by layer"),
    "view('histograms')": N_("histograms over time: a layer's weights, gradients and updates, step against value"),
    "next_group": N_("next layer"),
}
"""A sentence for each key of the dashboard and of the views over it, by action (English;
translated with ``_()`` where shown)."""

SYMBOLS = [
    ("θ", N_("a parameter (a, b, c of an objective; an entry of W or b of a layer)")),
    ("g", N_("∂L/∂θ, the gradient of the loss L at the parameters before the step")),
    ("α", N_("the learning rate (lr)")),
    ("t", N_("the step number: 1 for the first update")),
    ("V", N_("first moment: running mean of g (momentum's velocity)")),
    ("S", N_("second moment: running mean (RMSprop, Adam) or sum (Adagrad) of g²")),
    ("V̂, Ŝ", N_("V and S with the bias correction: V/(1−β1ᵗ), S/(1−β2ᵗ)")),
    ("β1, β2", N_("decay rates of V and S (0.9 and 0.999 by default)")),
    ("ε", N_("a small number that keeps the division finite (1e-8)")),
    ("μ, ρ, λ", N_("momentum, RMSprop's decay, weight decay")),
    ("Δθ", N_("the update: new θ − old θ")),
    ("α_eff", N_("the step size θ effectively gets: Adam α/(√Ŝ+ε), RMSprop α/(√S+ε), SGD α")),
]
"""Each symbol on screen and what it means (the meanings translated where shown)."""

OPTIMIZER_SYMBOLS = {
    "adadelta": [("D", N_("Adadelta's running mean of its squared steps δ²")),
                 ("δ", N_("Adadelta's step before α: √(D + ε)/√(S + ε)·g"))],
    "adamax": [("U", N_("Adamax's infinity norm: a decaying maximum of |g|"))],
    "nadam": [("μₜ, Πₜ", N_("NAdam's momentum at step t, and the product μ₁·…·μₜ")),
              ("ψ", N_("momentum_decay: how fast μₜ warms up to β1"))],
    "radam": [("ρₜ, rₜ", N_("RAdam: the length of S's average, and the rectification once ρₜ > 5"))],
}
"""Symbols only some optimizers use, listed in help when that optimizer is on screen."""


def _grid(title: str, rows, heading: Style, justify: str) -> Group:
    """``title``, then ``rows`` of (key or symbol, sentence) in two columns: a sentence that wraps
    (at 80 columns) goes on under its own first word, not under the key."""
    grid = Table.grid(padding=(0, 2, 0, 0))
    grid.add_column(justify=justify, no_wrap=True, style=Style(bold=True))
    grid.add_column(ratio=1)
    for key, what in rows:
        grid.add_row("  " + key if key else "", what)
    return Group(Text(title, style=heading), grid)


class HelpScreen(ContainsErrors, ModalScreen[None]):
    """Keys, symbols, the active optimizer's equations and the tutorial's corrections."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("question_mark", "dismiss", "close", show=False),
        Binding("q", "dismiss", "close", show=False),
    ]

    def __init__(self, optimizer: str, bindings) -> None:
        super().__init__()
        translate_bindings(self)
        self.optimizer = optimizer
        self.bindings = list(bindings)

    def compose(self) -> ComposeResult:
        with translated(VerticalScroll(id="help")):
            yield Static(self._keys(), id="keys")
            yield Static(self._equations(), id="equations")
            yield Static(self._corrections(), id="corrections")

    def on_mount(self) -> None:
        self.query_one("#help").border_title = _("help — escape closes")

    def _keys(self) -> Table:
        """One row per action, its keys together (``b backspace``), each sentence once."""
        heading = Style(bold=True, color="cyan")
        rows = [("←↑↓→", _("move the cursor in the focused matrix; the up-close panel follows it")),
                ("pgup pgdn ⇧←→", _("scroll a matrix bigger than its panel (the wheel too)")),
                ("tab ← →", _("below 120 columns the gradient and the optimizer's state share one panel: "
                              "tab to its row of tabs (∂L/∂θ, V, S, V̂, Ŝ, Δθ, ...), then ← → picks one "
                              "(a click too)"))]
        keys: dict[str, list[str]] = {}
        for binding in self.bindings:
            key = binding.key_display or binding.key
            keys.setdefault(binding.action, [])
            if key not in keys[binding.action]:
                keys[binding.action].append(key)
        for action, names in keys.items():
            description = next(b.description for b in self.bindings if b.action == action)
            rows.append((" ".join(names), _(KEY_HELP.get(action, description))))
        views = [b for b in self.app.BINDINGS if b.description]  # the views of the mathematics
        if views:
            rows.append(("", ""))
            rows.append(("", _("The mathematics (escape or q goes back to the dashboard):")))
            for binding in views:
                rows.append((binding.key_display or binding.key,
                             _(KEY_HELP.get(binding.action, binding.description))))
        rows.append(("ctrl+p", _("command palette (every key above, by name)")))
        return _grid(_("Keys"), rows, heading, justify="left")

    def _equations(self) -> Group:
        heading = Style(bold=True, color="cyan")
        title = optimizer_title(self.optimizer)
        lines = Table.grid()
        lines.add_column(no_wrap=True)
        lines.add_column(ratio=1)
        for line in symbolic_lines(self.optimizer):  # a wrapped line goes on under its start
            lines.add_row("  ", line)
        rows = [*SYMBOLS, *OPTIMIZER_SYMBOLS.get(self.optimizer, ())]
        symbols = _grid(_("Symbols"), [(symbol, _(meaning)) for symbol, meaning in rows], heading,
                        justify="right")
        return Group(Text(""), Text(_("The equations of {optimizer}, at step t, for each parameter θ").format(
            optimizer=title), style=heading), lines, Text(""), symbols)

    def _corrections(self) -> Group:
        heading = Style(bold=True, color="cyan")
        grid = Table.grid(padding=(0, 1, 0, 0))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for claim, correction in TUTORIAL_CORRECTIONS:  # a wrapped line stays under its first
            grid.add_row("  •", Text.assemble((_(claim) + " ", Style(bold=True)), _(correction)))
        return Group(Text(""), Text(_("Where the tutorial goes wrong (and what gradstep shows instead)"),
                                    style=heading), grid)

    async def action_dismiss(self, result=None) -> None:
        self.dismiss()
