"""A small chart of one scalar's gradient, optimizer state and value over recent steps."""

from __future__ import annotations

import numpy as np
from textual_plotext import PlotextPlot

from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.i18n import _
from gradstep.tui.widgets.loss_chart import drawn, finite_points, integer_ticks, plot_unit, plottable, value_ticks

__all__ = ["ParamChart"]

COLOURS = ("cyan", "orange", "magenta", "green", "yellow", "blue")


class ParamChart(ContainsErrors, PlotextPlot):
    """Series on the left axis (``g``, ``V``, ``V̂``) and the value itself on the right one.

    Every series is named in a legend above the plot area (never over the curves). Both axes
    are labelled by one rule, :func:`~gradstep.tui.widgets.loss_chart.value_ticks`: round values
    (1, 2 or 5 times a power of ten) written with three significant digits (more only where
    three would not tell two ticks apart), in Python's ``g`` format with a short exponent
    (``0.25``, ``1.18e6``, ``5e-10``), never plotext's own labels with every digit
    (``1181598.7``). The loss and race charts label their axes by the same rule."""

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._steps = np.zeros(0)
        self._left: dict[str, np.ndarray] = {}
        self._right: tuple[str, np.ndarray] | None = None

    def show(self, steps: np.ndarray, left: dict[str, np.ndarray],
             right: tuple[str, np.ndarray] | None = None) -> None:
        """Plot ``left`` series and the ``right`` one (label, values) against ``steps``."""
        self._steps, self._left, self._right = steps, dict(left), right
        self.refresh()

    @guarded
    def render(self):
        plt = self.plt
        plt.clear_figure()
        steps = np.asarray(self._steps, dtype=float)
        legend = []
        if len(steps):
            left = [(label, plottable(v), colour) for (label, v), colour in zip(self._left.items(), COLOURS)]
            sides = [("left", left)]
            if self._right is not None:
                label, values = self._right
                sides.append(("right", [(_("{label} (right)").format(label=label), plottable(values), "white")]))
            lines = max(self.size.height - 1 - 3, 2)  # the legend's line, the frame and the step axis
            for side, series in sides:
                unit = _side(plt, [values for _label, values, _colour in series], side, lines)
                for label, values, colour in series:
                    x, y = finite_points(steps, values)
                    if len(x):
                        plt.plot(x.tolist(), (y / unit).tolist(), marker="braille", color=colour, yside=side)
                        legend.append((label, colour))
            if legend:
                ticks = integer_ticks(steps[0], steps[-1], max(2, (self.size.width - 16) // 12))
                plt.xticks(ticks, [str(t) for t in ticks])
        return drawn(self, legend)


def _side(plt, series, side: str, lines: int) -> float:
    """Limits and ticks of one y axis for ``series`` (ticks labelled by
    :func:`~gradstep.tui.widgets.loss_chart.value_ticks`, about two per three lines); returns what
    its values are divided by before plotting (:func:`~gradstep.tui.widgets.loss_chart.plot_unit`)."""
    values = np.concatenate([v[np.isfinite(v)] for v in series]) if series else np.zeros(0)
    if values.size == 0:
        return 1.0
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-9 * max(abs(low), abs(high)):  # flat: plotext draws nothing for no height
        pad = abs(low) * 1e-3 if low else 1.0
        low, high = low - pad, high + pad
    unit = plot_unit(low, high)
    plt.ylim(low / unit, high / unit, yside=side)
    ticks, labels = value_ticks(low, high, False, max(2, 2 * lines // 3))
    if ticks:
        plt.yticks([t / unit for t in ticks], labels, yside=side)
    return unit
