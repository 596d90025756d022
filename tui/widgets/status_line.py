"""The dashboard's header, two lines at every width: what is trained (the scenario and its
description, or its objective), then where it stands (step, loss, optimizer and its
hyperparameters, mode). Its height never changes, so no panel moves as a run starts or a
number grows; what does not fit the second line is left out, least needed first."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from gradstep.engine.optim import HYPER_SYMBOLS
from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.format import loss_at, num, rate, short, signed, styled
from gradstep.tui.i18n import N_, _

__all__ = ["StatusLine", "curvature_text"]

MODE_STYLES = {
    "paused": (N_("‖ paused"), Style(color="yellow", bold=True)),
    "running": (N_("▶ running"), Style(color="green", bold=True)),
    "diverged": (N_("✗ diverged"), Style(color="red", bold=True)),
    "reaching": (N_("… reaching"), Style(color="cyan", bold=True)),
}
"""Each mode's label (English; translated where drawn) and style."""


class StatusLine(ContainsErrors, Widget):
    """What is being trained and where it stands, in two lines.

    Attributes:
        scenario: The scenario's name.
        description: Its one-line description, or the function it minimises (the first line,
            cut with … when longer than the screen is wide).
        step: The step the session stands at (t).
        furthest: The furthest step of the history (shown when t is behind it).
        loss: The loss shown: step t's (``record.loss``, evaluated at θₜ₋₁ before the t-th
            update), or at step 0 the loss at θ₀; None when unknown.
        loss_theta: The step whose parameters ``loss`` was evaluated at (t - 1, or 0 at step 0):
            the line says ``L(θ₉) = 24.76``, never a bare "loss".
        loss_batch: ``loss`` is a minibatch's (the line says so), not the training set's.
        loss_change: Its change from the step before, or None.
        optimizer: The optimizer's kind.
        hyper: The hyperparameters in force for the next step.
        mode: ``paused``, ``running``, ``diverged`` or ``reaching`` (a far goto on its way).
        progress: How far the replay of a far goto is, 0 to 1 (shown while reaching).
        steps_per_second: Shown only while running.
        speed: The run-speed limit (``max``, ``30/s``), shown while running.
        curvature: The loss's curvature at the step (``K``): a
            :class:`~gradstep.tui.curvature_watch.CurvatureReading`, or None (not shown).
        phase: The phase of the step shown (``P``, :mod:`gradstep.tui.phases`), as Text, or None.
        clip: ``(raw, clipped)``: the 2-norm of step t's gradient and of what the optimizer
            got after ``[training] clip_norm`` / ``clip_value``; None without clipping.
    """

    DEFAULT_CSS = """
    StatusLine {
        width: 1fr;
        height: 2;
    }
    """

    scenario = reactive("")
    description = reactive("")
    step = reactive(0)
    furthest = reactive(0)
    loss: reactive[float | None] = reactive(None)
    loss_theta = reactive(0)
    loss_batch = reactive(False)
    loss_change: reactive[float | None] = reactive(None)
    optimizer = reactive("")
    hyper = reactive(dict)
    mode = reactive("paused")
    steps_per_second: reactive[float | None] = reactive(None)
    speed = reactive("max")
    curvature = reactive(None)
    phase = reactive(None)
    clip: reactive[tuple[float, float] | None] = reactive(None)
    progress: reactive[float | None] = reactive(None)  # while reaching a far step: 0 to 1

    def _title(self, width: int) -> Text:
        title = Text.assemble(("gradstep ", Style(bold=True, color="cyan")), (self.scenario, Style(bold=True)))
        if self.description:
            title.append(f" — {self.description}")
        title.truncate(width, overflow="ellipsis")
        return title

    def _parts(self, drop: int) -> list[Text]:
        """The second line's parts; ``drop`` leaves out, in this order, the hyperparameters
        after α one by one from the last, the run-speed limit, the loss's change, the clipping."""
        bold = Style(bold=True)
        hypers = [(k, v) for k, v in self.hyper.items()
                  if k == "lr" or not (v == 0 and k in ("weight_decay", "lr_decay", "momentum",
                                                         "decoupled_weight_decay"))]
        extra = max(0, len(hypers) - 1)  # all but α may go
        shown, drop = hypers[:len(hypers) - min(drop, extra)], max(0, drop - extra)
        where = styled(_("step {t}"), t=(str(self.step), bold))
        if self.step < self.furthest:
            where.append(" " + _("of {furthest}").format(furthest=self.furthest), style=Style(color="magenta"))
        parts = [where]
        if self.loss is not None:
            template = _("batch {L} = {value}") if self.loss_batch else "{L} = {value}"
            loss = styled(template, L=loss_at(self.loss_theta), value=(num(self.loss), bold))
            if self.loss_change is not None and drop < 2:
                change_style = Style(color="green" if self.loss_change <= 0 else "red")
                loss.append(f" ({signed(self.loss_change, 3)})", style=change_style)
            parts.append(loss)
        if self.clip is not None and drop < 3:
            raw, clipped = self.clip
            if clipped < raw * (1 - 1e-12):
                parts.append(styled(_("‖g‖ {raw} → {clipped} clipped"), raw=(num(raw), bold),
                                    clipped=(num(clipped), bold)))
            else:
                parts.append(styled(_("‖g‖ {raw} not clipped"), raw=(num(raw), bold)))
        hyper = Text.assemble((self.optimizer, bold))
        for key, value in shown:
            if key == "decoupled_weight_decay":  # a switch, on: its name says it
                hyper.append(f" {HYPER_SYMBOLS[key]}", style=bold)
                continue
            if key == "bias_correction":  # held only when off
                hyper.append(" " + _("no bias correction"), style=bold)
                continue
            hyper.append(f" {HYPER_SYMBOLS.get(key, key)} ")
            hyper.append(short(value), style=bold)
        parts.append(hyper)
        if self.curvature is not None:
            plain = self.optimizer == "sgd" and not self.hyper.get("momentum")  # the bound is plain GD's
            parts.append(curvature_text(self.curvature, self.hyper.get("lr") if plain else None))
        if self.phase is not None:
            parts.append(self.phase)
        label, style = MODE_STYLES.get(self.mode, (self.mode, bold))
        mode = Text(_(label), style=style)
        if self.mode == "running":
            if self.steps_per_second is not None:
                mode.append(f" {rate(self.steps_per_second)}")
            if drop < 1:
                mode.append(" " + _("(speed {speed})").format(speed=self.speed), style=Style(dim=True))
        elif self.mode == "reaching" and self.progress is not None:
            mode.append(f" {int(100 * self.progress)}%")
        parts.append(mode)
        return parts

    def _state(self, width: int) -> Text:
        """The second line: the first of ever shorter versions that fits ``width``."""
        drop = 0
        while True:
            parts = self._parts(drop)
            line = Text("   ").join(parts)
            if line.cell_len <= width or drop > len(self.hyper) + 3:
                line.truncate(width, overflow="ellipsis")
                return line
            drop += 1

    def _lines(self, width: int) -> list[Text]:
        return [self._title(width), self._state(width)]

    def get_content_height(self, container, viewport, width: int) -> int:
        return 2

    @guarded
    def render(self) -> Text:
        return Text("\n").join(self._lines(self.size.width or 80))


def curvature_text(reading, lr: float | None) -> Text:
    """``λmax 20 · α < 2/λ 0.1``: the Hessian's largest eigenvalue and the rate plain gradient
    descent must stay under, green when the rate ``lr`` does, red when it does not; ``≈`` marks
    an estimate stopped before it converged, ``…`` one still being computed."""
    text = Text("λmax ")
    if reading.state == "computing":
        text.append("…", style=Style(dim=True))
        return text
    if reading.lambda_max is None:
        text.append("?", style=Style(dim=True))
        return text
    about = "≈" if reading.state == "estimate" else ""
    text.append(about + num(reading.lambda_max), style=Style(bold=True))
    bound = reading.stable_lr
    if lr is None:
        text.append(" · 2/λ " + about + (num(bound) if bound != float("inf") else "∞"))
        return text
    under = lr < bound
    relation = f" · α {'<' if under else '≥'} 2/λ "
    text.append(relation + about + (num(bound) if bound != float("inf") else "∞"),
                style=Style(color="green" if under else "red", bold=not under))
    return text
