"""The chain rule for one scalar parameter: every local derivative from the loss down to it.

The report is the engine's (:func:`gradstep.engine.analysis.chain.chain_report`), built from the graph behind the
gradient of the step the dashboard stands at (step 1's before the first step). The last line
sets the sum of the paths' products beside the gradient the engine recorded.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from gradstep.engine.analysis.chain import chain_report
from gradstep.tui.chain_lines import agrees, chain_renderable, entry_text
from gradstep.tui.format import num
from gradstep.tui.i18n import _
from gradstep.tui.screens.math_view import MathView
from gradstep.tui.screens.palette import translated
from gradstep.tui.widgets.key_footer import KeyFooter

__all__ = ["ChainView"]


class ChainView(MathView):
    """dL/dθ for one entry θ, as the tutorial writes the chain rule."""

    CSS_PATH = "chain_view.tcss"
    BINDINGS = MathView.STEPS_BINDINGS + [
        Binding("left", "entry(-1)", "entry", key_display="←"),
        Binding("right", "entry(1)", "entry", key_display="→", show=False),
    ]

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard)
        self.param, self.index = dashboard.selected_entry()
        self.report = None

    def compose(self) -> ComposeResult:
        yield Static(id="chain-head")
        with translated(VerticalScroll(id="chain-body")):
            yield Static(id="chain-text")
        yield Static(id="chain-result")
        yield KeyFooter(compact=True)

    def session_changed(self) -> None:
        with self.training.reading() as session:  # the graph of a step the session keeps
            t = max(session.t, 1)
            record = session.record if session.t >= 1 else None
            self.report = chain_report(session, self.param, self.index, step=t)
        self._show(self.report, record)

    def _show(self, report, record) -> None:
        theta = entry_text(self.param, self.index)
        t = report.step
        if record is None:
            note = _("(step 1's batch and the initial parameters: the gradient the first step will use)")
            when = _("before step 1")
        else:
            note = _("(step {t}'s batch, at the parameters before its update)").format(t=t)
            when = _("step {t}").format(t=t)
        head = Text()
        head.append(_("chain rule for ∂L/∂{theta}").format(theta=theta), style="bold")
        head.append(" — " + _("{when}; ← → another entry").format(when=when))
        self.query_one("#chain-head", Static).update(head)
        self.query_one("#chain-text", Static).update(chain_renderable(report, theta, note))
        self.query_one("#chain-result", Static).update(self._result(report, record, theta))

    def _result(self, report, record, theta) -> Text:
        text = Text()
        paths = (_("the path's product") if report.path_count == 1
                 else _("Σ of the {count} paths").format(count=report.path_count))
        text.append(f"∂L/∂{theta} = {paths} = ")
        text.append(num(report.total), style="bold cyan")
        engine = report.gradient if record is None else float(record.grads[self.param][self.index])
        source = _("the step's record") if record is not None else _("back-propagation")
        text.append("   = " + _("engine's ∂L/∂θ ({source})").format(source=source) + " = ")
        text.append(num(engine), style="bold cyan")
        if agrees(report.total, engine):
            text.append("  ✓", style="bold green")
        else:
            text.append("  ✗ " + _("differs by {difference}").format(difference=num(report.total - engine)),
                        style="bold red")
        return text

    def action_entry(self, change: int) -> None:
        """Move to the previous / next scalar entry of the parameters (in their flat order)."""
        layout = self.session.layout
        k = layout.index[self.param]
        shape = layout.shapes[k]
        flat = int(layout.slices[k].start + (np.ravel_multi_index(self.index, shape) if shape else 0))
        flat = (flat + change) % layout.size
        k = int(np.searchsorted(layout.offsets, flat, side="right") - 1)
        shape = layout.shapes[k]
        local = flat - int(layout.offsets[k])
        self.param = layout.names[k]
        self.index = tuple(int(i) for i in np.unravel_index(local, shape)) if shape else ()
        self.session_changed()
