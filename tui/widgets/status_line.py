"""The line at the top: scenario, step, loss, optimizer and its hyperparameters, and the mode."""

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
    """What is being trained and where it stands; wraps onto a second line when narrow.

    Attributes:
        scenario: The scenario's name.
        description: Its one-line description (left out when it would cost a line).
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
        height: auto;
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

    def _parts(self, describe: bool) -> list[Text]:
        bold = Style(bold=True)
        parts = [Text.assemble(("gradstep ", Style(bold=True, color="cyan")), (self.scenario, bold))]
        if describe and self.description:
            parts[0].append(f" — {self.description}")
        where = styled(_("step {t}"), t=(str(self.step), bold))
        if self.step < self.furthest:
            where.append(" " + _("of {furthest}").format(furthest=self.furthest), style=Style(color="magenta"))
        parts.append(where)
        if self.loss is not None:
            template = _("batch {L} = {value}") if self.loss_batch else "{L} = {value}"
            loss = styled(template, L=loss_at(self.loss_theta), value=(num(self.loss), bold))
            if self.loss_change is not None:
                change_style = Style(color="green" if self.loss_change <= 0 else "red")
                loss.append(f" ({signed(self.loss_change, 3)})", style=change_style)
            parts.append(loss)
        if self.clip is not None:
            raw, clipped = self.clip
            if clipped < raw * (1 - 1e-12):
                parts.append(styled(_("‖g‖ {raw} → {clipped} clipped"), raw=(num(raw), bold),
                                    clipped=(num(clipped), bold)))
            else:
                parts.append(styled(_("‖g‖ {raw} not clipped"), raw=(num(raw), bold)))
        hyper = Text.assemble((self.optimizer, bold))
        for key, value in self.hyper.items():
            if key != "lr" and value == 0 and key in ("weight_decay", "lr_decay", "momentum"):
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
            mode.append(" " + _("(speed {speed})").format(speed=self.speed), style=Style(dim=True))
        elif self.mode == "reaching" and self.progress is not None:
            mode.append(f" {int(100 * self.progress)}%")
        parts.append(mode)
        return parts

    def _lines(self, width: int) -> list[Text]:
        short = self._pack(self._parts(describe=False), width)
        long = self._pack(self._parts(describe=True), width)
        # A description wider than the line would wrap and push the step out of sight.
        fits = all(len(line.plain) <= width for line in long)
        return long if fits and len(long) == len(short) else short

    @staticmethod
    def _pack(parts: list[Text], width: int) -> list[Text]:
        lines: list[Text] = []
        line = Text()
        for part in parts:
            gap = 3 if line.plain else 0
            if line.plain and len(line.plain) + gap + len(part.plain) > width:
                lines.append(line)
                line, gap = Text(), 0
            line.append(" " * gap)
            line.append_text(part)
        lines.append(line)
        return lines

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._lines(width))

    @guarded
    def render(self) -> Text:
        lines = self._lines(self.size.width or 80)
        if len(lines) != self.size.height:
            # The text wraps onto more (or fewer) lines than before: lay the screen out again.
            # Checked here rather than on every change, so that most frames skip the reflow.
            self.call_later(self.refresh, layout=True)
        return Text("\n").join(lines)


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
