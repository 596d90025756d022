"""The loss curves of an optimizer race, one colour per optimizer, with a legend above them."""

from __future__ import annotations

import numpy as np
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.i18n import _
from gradstep.tui.widgets.loss_chart import drawn, envelope, integer_ticks, on_axis, plottable, value_ticks

__all__ = ["RaceChart"]


class RaceChart(ContainsErrors, PlotextPlot):
    """Each runner's loss against the step.

    Attributes:
        log_scale: Logarithmic loss axis (only drawn when every loss shown is positive).
    """

    log_scale = reactive(True)

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._series: list[tuple[str, np.ndarray, tuple[int, int, int]]] = []
        self._threshold: float | None = None
        self._ceiling = np.inf

    def show(self, series, threshold: float | None = None, ceiling: float = np.inf) -> None:
        """Plot at the next refresh.

        Args:
            series: ``(label, losses of steps 1, 2, ..., (r, g, b))`` per runner.
            threshold: Drawn as a horizontal line.
            ceiling: Losses above it are left out (a diverging runner leaves the chart at the
                top instead of squashing every other curve to the bottom).
        """
        self._series, self._threshold, self._ceiling = list(series), threshold, ceiling
        self.refresh()

    def watch_log_scale(self) -> None:
        self.refresh()

    @guarded
    def render(self):
        plt = self.plt
        plt.clear_figure()
        columns = max(self.size.width - 12, 8)
        values = [np.where(plottable(v) <= self._ceiling, plottable(v), np.nan) for _label, v, _colour in self._series]
        shown = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.zeros(0)
        log = self.log_scale and shown.size > 0 and bool(np.all(shown > 0))
        self.border_title = _("loss (log scale)") if log else _("loss")
        last = 0
        legend = []  # above the plot area, never over the curves' start
        if shown.size:
            place = on_axis(float(shown.min()), float(shown.max()), log)
            for (label, _losses, colour), v in zip(self._series, values):
                steps = np.arange(1, len(v) + 1, dtype=float)
                keep = np.isfinite(v)
                if not keep.any():
                    continue
                x, y = envelope(steps[keep], v[keep], columns)
                plt.plot(x.tolist(), place(y).tolist(), marker="braille", color=colour)
                legend.append((label, colour))
                last = max(last, len(v))
            if self._threshold is not None and (not log or self._threshold > 0):
                plt.horizontal_line(float(place(self._threshold)), color="gray")
            ticks, labels = value_ticks(float(shown.min()), float(shown.max()), log,
                                        max(2, self.size.height // 4))
            if ticks:
                plt.yticks(place(np.array(ticks)).tolist(), labels)
            ticks = integer_ticks(1, max(last, 2), max(2, columns // 12))
            plt.xticks(ticks, [str(t) for t in ticks])
        plt.xlabel(_("step"))
        return drawn(self, legend)
