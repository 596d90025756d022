"""The dashboard's keys, in footer order: what fits at 80 columns comes first; every key is
also in the help screen and the command palette (their descriptions are translated where
shown). Each action is a method of :class:`~gradstep.tui.screens.dashboard.DashboardScreen` or
of one of its bases (travel, course changes, curvature, phases, the lesson pane)."""

from __future__ import annotations

from textual.binding import Binding

from gradstep.tui.i18n import N_

__all__ = ["DASHBOARD_KEYS", "STEPS", "RATE", "SPEED", "TIME"]

STEPS = Binding.Group(N_("step"))
RATE = Binding.Group("α÷2 ×2", compact=True)
SPEED = Binding.Group(N_("speed"), compact=True)
TIME = Binding.Group("←1 ←10 →10", compact=True)

DASHBOARD_KEYS = [
    Binding("space", "step(1)", "step", group=STEPS),
    Binding("n", "step(10)", "×10", group=STEPS),
    Binding("N", "step(100)", "×100", group=STEPS),
    Binding("r", "toggle_run", "run"),
    Binding("left_square_bracket", "scale_lr(0.5)", "α÷2", key_display="[", group=RATE),
    Binding("right_square_bracket", "scale_lr(2)", "α×2", key_display="]", group=RATE),
    Binding("b", "back(1)", "back 1", group=TIME),
    Binding("comma", "back(10)", "back 10", key_display=",", group=TIME),
    Binding("full_stop", "forward(10)", "forward 10", key_display=".", group=TIME),
    Binding("question_mark", "help", "help", key_display="?"),
    Binding("q", "quit", "quit"),
    Binding("l", "next_layer", "layer"),
    Binding("tab", "app.focus_next", "panel"),
    Binding("plus", "speed(1)", "faster", key_display="+", group=SPEED),
    Binding("minus", "speed(-1)", "slower", key_display="-", group=SPEED),
    Binding("o", "open", "open"),
    Binding("R", "reload", "reload"),
    Binding("g", "log_scale", "log"),
    Binding("A", "next_chart", "chart", show=False),
    Binding("O", "choose_optimizer", "optimizer", show=False),
    Binding("y", "edit_hyper", "hyperparameters", show=False),
    Binding("equals_sign", "type_value", "type θ", key_display="=", show=False),
    Binding("colon", "jump", "go to", key_display=":"),
    Binding("e", "export", "export"),
    Binding("w", "save", "save", show=False),
    Binding("t", "app.view('torch')", "PyTorch code", show=False),
    Binding("p", "app.pictures", "pictures", show=False),
    Binding("K", "curvature", "curvature λmax", show=False),
    Binding("P", "phases", "phases", show=False),
    Binding("L", "lesson", "lesson", show=False),
    Binding("greater_than_sign", "lesson_page(1)", "next page", key_display=">", show=False),
    Binding("less_than_sign", "lesson_page(-1)", "previous page", key_display="<", show=False),
    Binding("backspace", "back(1)", "one step back", show=False),
    Binding("home", "goto_start", "to step 0", show=False),
    Binding("end", "goto_end", "to the latest step", show=False),
    Binding("escape", "stop_reaching", "stop going to a step", show=False),
]
