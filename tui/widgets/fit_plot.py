"""A model of one input against its data: the points and the model's curve."""

from __future__ import annotations

import numpy as np
from textual_plotext import PlotextPlot

from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.widgets.loss_chart import drawn, finite_points, plot_unit, plottable, value_ticks

__all__ = ["FitPlot"]

CURVES = ("cyan", "magenta", "green", "yellow", "blue", "red")


class FitPlot(ContainsErrors, PlotextPlot):
    """Training points, validation points and the model's curve(s) ŷ(x)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._points: list[tuple[str, np.ndarray, np.ndarray, str, str]] = []
        self._x = np.zeros(0)
        self._curves: dict[str, np.ndarray] = {}
        self._labels = ("x", "y")

    def show(self, points, x, curves: dict[str, np.ndarray], labels=("x", "y")) -> None:
        """Plot at the next refresh.

        Args:
            points: ``(label, xs, ys, colour, marker)`` for each set of data points.
            x: Where the curves are evaluated.
            curves: ``{label: ŷ(x)}``.
            labels: The axes' names.
        """
        self._points, self._x, self._curves, self._labels = list(points), x, dict(curves), labels
        self.refresh()

    @guarded
    def render(self):
        plt = self.plt
        plt.clear_figure()
        xs = [p[1] for p in self._points] + [self._x]
        ys = [p[2] for p in self._points] + list(self._curves.values())
        units = []
        for values, axis, count in ((xs, plt.xticks, max(2, self.size.width // 14)),
                                    (ys, plt.yticks, max(2, self.size.height // 5))):
            values = np.concatenate([np.ravel(v) for v in values]) if values else np.zeros(0)
            values = plottable(values[np.isfinite(values)])
            unit = plot_unit(float(values.min()), float(values.max())) if values.size else 1.0
            units.append(unit)
            if values.size:
                ticks, labels = value_ticks(float(values.min()), float(values.max()), False, count)
                if ticks:
                    axis([t / unit for t in ticks], labels)
        x_unit, y_unit = units
        for (label, ys), colour in zip(self._curves.items(), CURVES):
            x, y = finite_points(plottable(self._x), plottable(ys))
            if len(x):
                plt.plot((x / x_unit).tolist(), (y / y_unit).tolist(), marker="braille", color=colour,
                         label=label)
        for label, xs, ys, colour, marker in self._points:  # over the curves
            x, y = finite_points(plottable(xs), plottable(ys))
            if len(x):
                plt.scatter((x / x_unit).tolist(), (y / y_unit).tolist(), marker=marker, color=colour,
                            label=label)
        plt.xlabel(self._labels[0])
        plt.ylabel(self._labels[1])
        return drawn(self)
