"""The gradient check: the engine's ∂L/∂θ beside central finite differences, entry by entry.

:func:`gradstep.engine.analysis.gradcheck.gradient_check` runs at the parameters and on the batch of the step the
dashboard stands at (step 1's before the first step), in a thread worker: a network with many
entries takes a while, and the check is sampled beyond ``MAX_ENTRIES`` entries.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from gradstep.engine.analysis.gradcheck import TOLERANCE, gradient_check
from gradstep.tui.chain_lines import entry_text
from gradstep.tui.format import num, short, styled
from gradstep.tui.i18n import _, ngettext
from gradstep.tui.screens.math_view import MathView
from gradstep.tui.screens.palette import translated
from gradstep.tui.widgets.key_footer import KeyFooter

__all__ = ["GradCheckView", "MAX_ENTRIES", "ROUND_OFF", "error_text", "derivative_texts"]

MAX_ENTRIES = 2000
"""Most entries checked; a larger model is checked on a seeded random sample."""

DIGITS = 9
"""Significant digits of each derivative: enough to see where the two part."""

AGREED_DIGITS = 6
"""Significant digits of two derivatives that agree to round-off (a relative error below
:data:`ROUND_OFF` moves the 6th digit with odds of about 1 in 10,000 per entry)."""

ROUND_OFF = 1e-9
"""Relative errors below this are float64 round-off of the differences, whose digits depend on
the machine's BLAS: shown as ``< 1e-9``, and no entry is called the worst among them."""

WORST = "bold black on rgb(234,179,8)"
KINK = "rgb(148,163,184)"


def derivative_texts(analytic: float, numeric: float, error: float) -> tuple[str, str]:
    """The two derivatives as shown: :data:`DIGITS` digits, to see where they part; where they
    agree to round-off, :data:`AGREED_DIGITS`, since the numeric one's further digits are noise."""
    digits = AGREED_DIGITS if error < ROUND_OFF else DIGITS
    return num(analytic, digits), num(numeric, digits)


def error_text(error: float) -> str:
    """A relative error as shown: two digits, or ``< 1e-9`` at round-off level."""
    return f"< {short(ROUND_OFF)}" if error < ROUND_OFF else num(error, 2)


class GradCheckView(MathView):
    """Every entry's analytic and numerical derivative and their relative error."""

    CSS_PATH = "gradcheck_view.tcss"
    BINDINGS = MathView.STEPS_BINDINGS

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard)
        self.check = None
        self.step = None
        self.seconds = None

    def compose(self) -> ComposeResult:
        yield Static(id="check-head")
        yield translated(DataTable(id="check-table", cursor_type="row", zebra_stripes=True))
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("θ", key="entry")
        table.add_column(_("∂L/∂θ, engine"), key="analytic")
        table.add_column(_("finite differences"), key="numeric")
        table.add_column(_("rel. error"), key="error")
        table.add_column("", key="note")
        self.query_one("#check-head", Static).update(_("checking …"))

    def session_changed(self) -> None:
        t, theta, batch = self.training.step_inputs()
        self._check(t, theta, batch)

    @work(thread=True, exclusive=True, group="gradcheck")
    def _check(self, t, theta, batch) -> None:
        worker = get_current_worker()
        started = time.perf_counter()
        check = gradient_check(self.session, theta=theta, batch=batch, max_entries=MAX_ENTRIES)
        seconds = time.perf_counter() - started
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, t, check, seconds)

    def _show(self, t, check, seconds) -> None:
        if self not in self.app.screen_stack:  # closed while its thread worked
            return
        self.check, self.step, self.seconds = check, t, seconds
        worst = check.worst if check.worst is not None and check.worst.error >= ROUND_OFF else None
        head = Text()
        head.append(_("gradient check at step {t}").format(t=t), style="bold")
        head.append(" " + (_("(its batch, before its update)") if self.training.t >= 1
                           else _("(step 1's batch, before the first update)")))
        head.append(": " + _("the engine's ∂L/∂θ against central differences "
                             "(f(θ+h) − f(θ−h))/2h, Richardson-extrapolated from h and h/2, "
                             "h = 1e-4·max(1, |θ|), in float64") + "\n")
        sampled = len(check.entries) < check.total
        head.append(ngettext("{count} of {total} entry", "{count} of {total} entries", check.total).format(
            count=len(check.entries), total=check.total)
            + (" " + _("(a random sample)") + "   " if sampled else "   "))
        if worst is not None:
            head.append_text(styled(_("worst relative error {error} at {entry}"),
                                    error=(num(worst.error, 2), "bold"),
                                    entry=entry_text(worst.name, worst.index)))
            head.append("   ")
        elif check.entries:
            head.append_text(styled(_("every relative error {error}"), error=(error_text(0.0), "bold")))
            head.append("   ")
        if check.passed:
            head.append(_("✓ passes (≤ {tolerance})").format(tolerance=short(TOLERANCE)), style="bold green")
        else:
            head.append(_("✗ fails (> {tolerance})").format(tolerance=short(TOLERANCE)), style="bold red")
        if check.kinks:
            head.append("   " + ngettext("{count} on a kink (one-sided slopes differ; not counted)",
                                         "{count} on a kink (one-sided slopes differ; not counted)",
                                         len(check.kinks)).format(count=len(check.kinks)),
                        style=KINK)
        self.query_one("#check-head", Static).update(head)
        table = self.query_one(DataTable)
        table.clear()
        worst_row = None
        for i, e in enumerate(check.entries):
            is_worst = worst is not None and e is worst
            style = WORST if is_worst else (KINK if e.kink else "")
            note = _("worst") if is_worst else (_("kink") if e.kink else "")
            if is_worst:
                worst_row = i
            table.add_row(Text(entry_text(e.name, e.index), style=style),
                          *(Text(v, style=style, justify="right") for v in (
                              *derivative_texts(e.analytic, e.numeric, e.error), error_text(e.error))),
                          Text(note, style=style), key=str(i))
        if worst_row is not None:
            table.move_cursor(row=worst_row)
