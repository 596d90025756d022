"""The loss curve over the whole run, downsampled to the columns it has.

The chart never holds the run's whole history: it is given a *source*, a function that returns,
for a width in columns and a floor (the log scale's), the few points each curve draws
(:meth:`gradstep.engine.training.history.History.envelope` makes them chunk by chunk, keeping each column's lowest
and highest loss). It asks again when its width or scale changes.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from rich.text import Text
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from gradstep.engine.training.scalar_log import FLOOR
from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.i18n import N_, _
from gradstep.tui.widgets.chart_legend import render_with_legend
from gradstep.tui.widgets.too_small import too_small

__all__ = ["LossChart", "Curves", "Source", "EXTRA_SERIES", "VIEWS", "envelope", "plot_unit", "on_axis", "finite_points", "integer_ticks", "value_ticks", "plottable", "drawn",
           "Rates", "rate_points", "draw_rates",
           "TINY"]

TINY = FLOOR
"""plotext fails on numbers this close to zero (denormals appear when training converges); the
engine's history keeps, for each summarised block of steps, its least loss at or above this."""

Curves = dict[str, Optional[tuple[np.ndarray, np.ndarray, int, int]]]
"""What a source gives: for ``"train"``, ``"validation"`` and ``"ghost"`` (the abandoned branch)
the points to draw and the steps the curve spans, ``(steps, values, first step, last step)``, or
None (no such curve). Values are the loss as recorded (:func:`plottable` is applied here). A
source may add the loss's terms ``"l1"`` and ``"l2"``; the chart's other views get a source of
``"alpha"`` (each step's learning rate) or ``"accuracy"`` and ``"val_accuracy"`` instead
(:data:`EXTRA_SERIES`)."""

EXTRA_SERIES = (
    ("l1", N_("L1 term"), "green"),
    ("l2", N_("L2 term"), "magenta"),
    ("alpha", "α", "green"),
    ("accuracy", N_("train"), "cyan"),
    ("val_accuracy", N_("validation"), "orange"),
)
"""The curves beside the loss a source may give: key, label (English; translated where drawn)
and colour, in the order they are drawn."""

VIEWS = ("loss", "alpha", "accuracy")
"""What the chart can show: the loss (with its terms), the learning rate α, the accuracy."""

Source = Callable[[int, Optional[float]], Curves]
"""``source(columns, low)``: the curves for a chart ``columns`` wide, leaving out values below
``low`` (None: only non-finite values are left out)."""


def plottable(values) -> np.ndarray:
    """``values`` as floats with magnitudes below :data:`TINY` drawn as zero (charts only)."""
    values = np.asarray(values, dtype=float)
    return np.where(np.abs(values) < TINY, 0.0, values)


def drawn(plot: PlotextPlot, legend=()):
    """The plot's rendering with the ``(label, colour)`` entries of ``legend`` above its plot
    area (:mod:`~gradstep.tui.widgets.chart_legend`), or a short note when plotext cannot draw
    these numbers."""
    try:
        return render_with_legend(plot, legend)
    except (ArithmeticError, ValueError, IndexError, TypeError):
        return Text(_("(these numbers cannot be charted)"), style="dim")


def finite_points(x, y, positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The points ``(x, y)`` whose coordinates are both finite (plotext cannot place the others;
    a diverging series leaves the chart where it became infinite), and with ``positive`` (a log
    scale) only those with ``y > 0``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    if positive:
        keep &= y > 0
    return x[keep], y[keep]


def plot_unit(low: float, high: float) -> float:
    """What to divide values by before plotext draws them on a linear axis: 1, or for values
    past 1e100 a power of ten that brings them near 1 (plotext's arithmetic overflows near
    1.7e308). The labels, from :func:`value_ticks`, still say the values themselves."""
    largest = max(abs(low), abs(high)) if np.isfinite(low) and np.isfinite(high) else 0.0
    return 1.0 if largest < 1e100 else 10.0 ** int(np.floor(np.log10(largest)))


def on_axis(low: float, high: float, log: bool) -> Callable[[np.ndarray], np.ndarray]:
    """Where values go on a y axis that plotext draws linear: their log10 on a log scale (plotext's
    own log axis overflows near 1e308 and fails on a single point), else the values over
    :func:`plot_unit`. Ticks are placed the same way and labelled with the values themselves."""
    if log:
        return lambda values: np.log10(np.asarray(values, dtype=float))
    unit = plot_unit(low, high)
    return lambda values: np.asarray(values, dtype=float) / unit


def envelope(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``2 * columns`` points that keep the lowest and highest ``y`` of each column.

    Plotting costs several microseconds per point on the UI thread, so a long history is cut
    into ``columns`` buckets; each bucket contributes its minimum and maximum (in the order they
    occur), so spikes and the noise band stay visible however long the run. (For arrays at hand;
    the chart's curves come from :meth:`gradstep.engine.training.scalar_log.ScalarLog.envelope`, which does the
    same chunk by chunk over a history of any length.)
    """
    n = len(y)
    if n <= 2 * columns:
        return x, y
    edges = np.linspace(0, n, columns + 1).astype(np.intp)[:-1]
    lows = np.minimum.reduceat(y, edges)
    highs = np.maximum.reduceat(y, edges)
    centres = x[np.minimum(edges + np.diff(np.append(edges, n)) // 2, n - 1)]
    xs = np.repeat(centres, 2)
    ys = np.empty(2 * len(edges))
    ys[0::2], ys[1::2] = lows, highs
    ys[2::4], ys[3::4] = highs[1::2], lows[1::2]  # zigzag, so each segment stays in its column
    return xs, ys


Rates = tuple[list[tuple[int, float]], Optional[float]]
"""``([(step, lr from this step on), ...], 2 / lambda_max or None)``: the rate in force along
the run, from its first step, and the bound beside it."""


def rate_points(rates: Rates, first: float, last: float) -> tuple[list[float], list[float]]:
    """The learning rate as a staircase over ``[first, last]``: the points of its line."""
    xs: list[float] = []
    ys: list[float] = []
    changes = rates[0]
    for i, (start, lr) in enumerate(changes):
        end = changes[i + 1][0] if i + 1 < len(changes) else last
        start, end = max(float(start), first), min(float(end), last)
        if end < start:
            continue
        xs += [start, end]
        ys += [lr, lr]
    return xs, ys


def draw_rates(plt, rates: Rates, first: float, last: float, height: int) -> None:
    """The rate (yellow) and 2/λ_max (red) on the right-hand axis, from 0 to a little above the
    larger; the axis marks them ``α`` and ``2/λ`` (the status line says their values)."""
    xs, ys = rate_points(rates, first, last)
    bound = rates[1]
    finite = bound is not None and np.isfinite(bound) and bound > 0
    values = [y for y in ys if np.isfinite(y) and y > 0] + ([bound] if finite else [])
    if not values or last <= first:
        return
    high = 1.15 * max(values)
    unit = plot_unit(0.0, high)
    plt.plot(xs, [y / unit for y in ys], marker="braille", color="yellow", yside="right")
    ticks, labels = [ys[-1] / unit], ["α"]
    if finite:
        plt.plot([first, last], [bound / unit, bound / unit], marker="braille", color="red", yside="right")
        if abs(bound - ys[-1]) < high / max(height - 3, 1):  # the same row: one label says both
            ticks, labels = [bound / unit], ["α≈2/λ"]
        else:
            ticks, labels = ticks + [bound / unit], labels + ["2/λ"]
    plt.ylim(0.0, high / unit, yside="right")
    plt.yticks(ticks, labels, yside="right")


def integer_ticks(first: float, last: float, count: int) -> list[int]:
    """About ``count`` (and at least two, where the span allows) round step numbers between
    ``first`` and ``last``."""
    span = max(last - first, 1)
    raw = span / max(count, 1)
    magnitude = 10 ** np.floor(np.log10(raw)) if raw > 0 else 1
    steps = [m * magnitude for m in (10, 5, 2, 1, 0.5, 0.2, 0.1)]
    wanted = next((i for i, step in enumerate(steps) if step < raw), len(steps)) - 1
    ticks = []
    for step in steps[max(wanted, 0):]:
        step = max(int(step), 1)
        start = int(np.ceil(first / step) * step)
        ticks = list(range(start, int(last) + 1, step))
        if len(ticks) >= 2 or step == 1:
            break
    return ticks or [int(first)]


LARGEST = float(np.finfo(float).max)
"""The largest float: a diverging loss reaches it (1.7e308) before it becomes infinite."""


def _nice_step(raw: float) -> float:
    """The least of 1, 2, 5 times a power of ten at or above ``raw`` (finite, however large)."""
    magnitude = 10.0 ** min(int(np.floor(np.log10(raw))), 308)
    return next((m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw and m * magnitude <= LARGEST),
                magnitude)


def _label(value: float, digits: int) -> str:
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def value_ticks(low: float, high: float, log: bool, count: int = 5) -> tuple[list[float], list[str]]:
    """About ``count`` round values between ``low`` and ``high`` and their short labels.

    plotext's own labels print every digit (``0.0000000005545``); these read ``5e-10``. On a
    log scale the ticks are powers of ten (with 2 and 5 between them when the range is short).
    Any finite range gets at most about ``2 * count`` ticks: from the smallest positive float to
    the largest (600 decades), and across the whole float line (-1.7e308 to 1.7e308, whose span
    is infinite in floats); an infinite or empty range gets none.
    """
    count = max(int(count), 1)
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low or (log and low <= 0):
        return [], []
    low, high = float(low), float(high)
    ticks: list[float] = []
    if log:
        first, last = int(np.floor(np.log10(low))), int(np.ceil(np.log10(high)))
        stride = max(1, (last - first) // max(count - 1, 1))
        while True:  # a stride that leaves fewer than two powers inside the range is halved
            # 10.0 ** 309 overflows and 10.0 ** -324 is zero: only the powers a float can hold.
            powers = [10.0 ** k for k in range(first, last + 1, stride) if -323 <= k <= 308]
            if last - first <= 2:
                powers = [m * t for t in powers for m in (1, 2, 5)]
            ticks = [t for t in powers if low <= t <= high]
            if len(ticks) >= 2 or stride == 1:
                break
            stride = max(1, stride // 2)
    if not log or len(ticks) < 2:  # linear, or a log range too short for round powers
        raw = (high / 2 - low / 2) / count * 2  # high - low may overflow; this may not
        if not np.isfinite(raw):
            raw = LARGEST
        if raw < 1e-300:  # a range of a few denormals: nothing round to say about it
            return [], []
        step = _nice_step(raw)
        for _attempt in range(4):
            # Whole multiples of the step: never an arange whose end overflows to inf.
            first_k, last_k = int(np.ceil(low / step)), int(np.floor(high / step))
            ticks = [k * step for k in range(first_k, last_k + 1)] if last_k - first_k <= 4 * count else []
            if len(ticks) >= 2:
                break
            step /= 2
        ticks = [0.0 if abs(t) < step * 1e-9 else float(t) for t in ticks]
    # As many digits as it takes to tell the ticks apart and to say each where it is: a tick
    # at -1.6045 is not labelled -1.605 beside one at -1.605.
    spacing = min((b - a for a, b in zip(ticks, ticks[1:])), default=0.0)
    for digits in range(3, 10):
        labels = [_label(t, digits) for t in ticks]
        if len(set(labels)) == len(labels) and all(
                abs(float(label) - t) <= spacing * 1e-3 for label, t in zip(labels, ticks)):
            break
    else:  # a range at the last digit of a float: one tick per label that differs
        kept = {label: t for t, label in zip(ticks, labels)}
        ticks, labels = list(kept.values()), list(kept)
    return ticks, labels


class LossChart(ContainsErrors, PlotextPlot):
    """Training loss (and validation loss, when the scenario has a split) against the step.

    After going back in time the whole history stays drawn, with a line at the step the
    session stands at; after a branch, the abandoned steps are drawn dimmed beside the new ones.

    Attributes:
        log_scale: Plot the loss on a logarithmic axis (non-positive losses are left out).
        shows: One of :data:`VIEWS`: the loss, or the learning rate α or the accuracy of every
            step instead (the screen gives the chart a source of those curves).
    """

    log_scale = reactive(False)
    shows = reactive("loss")

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._source: Source | None = None
        self._drawn_for: tuple[int, bool] | None = None
        self._steps = np.zeros(0)
        self._loss = np.zeros(0)
        self._val: np.ndarray | None = None
        self._marks: tuple[int, ...] = ()
        self._curves: Curves = {}
        self.current: int | None = None
        """The step marked as where the session stands, or None (at the latest step)."""
        self.ghost: tuple[np.ndarray, np.ndarray] | None = None
        """``(steps, losses)`` drawn for the abandoned branch, or None."""
        self.rates: Rates | None = None
        """The learning rate over the steps and the bound 2/λ_max beside it (``K``), drawn on
        a right-hand axis of their own; None for neither."""

    def show(self, source: Source, marks: tuple[int, ...] = (), current: int | None = None) -> None:
        """Plot the curves of ``source`` at the next refresh.

        Args:
            source: Gives the points of each curve for a width (see :data:`Source`).
            marks: Steps at which the learning rate was changed (drawn as vertical lines).
            current: The step the session stands at, marked when it is not the latest; None
                for no mark.
        """
        self._source, self._marks = source, tuple(marks)
        self.current = current
        self._fetch()
        self.refresh()

    @property
    def last_step(self) -> int | None:
        """The last step of the curve as plotted now (None before the first): the step the
        chart was last drawn up to, which may lag the session's while a run skips chart frames."""
        return int(self._steps[-1]) if len(self._steps) else None

    def _columns(self) -> int:
        return max(self.size.width - 10, 8)

    def _fetch(self) -> None:
        """Ask the source for the curves at the present width and scale."""
        self._drawn_for = (self._columns(), bool(self.log_scale))
        curves = {} if self._source is None else self._source(self._columns(), TINY if self.log_scale else None)
        train, val, ghost = curves.get("train"), curves.get("validation"), curves.get("ghost")
        self._steps, self._loss = (train[0], train[1]) if train is not None else (np.zeros(0), np.zeros(0))
        self._val = None if val is None else val[1]
        self.ghost = None if ghost is None or ghost[2] > ghost[3] else (ghost[0], ghost[1])
        self._curves = curves

    def watch_log_scale(self) -> None:
        self.refresh()

    @guarded
    def render(self):
        if self.size.width < 20 or self.size.height < 5:  # no room for the axes and a curve
            return too_small(self.size.width)
        if self._source is not None and self._drawn_for != (self._columns(), bool(self.log_scale)):
            self._fetch()  # resized, or the scale changed
        plt = self.plt
        plt.clear_figure()
        columns = self._columns()
        curves = self._curves
        train, val, ghost = curves.get("train"), curves.get("validation"), curves.get("ghost")
        extras = [(curves[key], _(label), colour) for key, label, colour in EXTRA_SERIES
                  if curves.get(key) is not None]
        has_train = train is not None and train[2] <= train[3]
        legend: list[tuple[str, str]] = []
        if has_train or self.ghost is not None or extras:
            # One curve needs no legend (the panel is titled); more are named above the plot.
            labelled = val is not None or self.ghost is not None or len(extras) + (train is not None) > 1
            series = []
            if self.ghost is not None:  # first, so that the current branch is drawn over it
                series.append((ghost, _("abandoned"), "gray"))
            if train is not None:
                series.append((train, _("train"), "cyan"))
            if val is not None:
                series.append((val, _("validation"), "orange"))
            series += extras
            low, high = np.inf, -np.inf
            first, last = np.inf, -np.inf
            series = [(*finite_points(x, plottable(values), positive=self.log_scale), start, end, label, colour)
                      for (x, values, start, end), label, colour in series]
            series = [s for s in series if len(s[0])]
            for _x, y, start, end, _label, _colour in series:
                low, high = min(low, float(y.min())), max(high, float(y.max()))
                first, last = min(first, float(start)), max(last, float(end))
            bound = self.rates[1] if self.rates is not None and self.shows == "alpha" else None
            bound = bound if bound is not None and np.isfinite(bound) and bound > 0 and series else None
            if bound is not None:  # the α chart: 2/λ_max on its own axis, beside α (K)
                low, high = min(low, bound), max(high, bound)
            place = on_axis(low, high, self.log_scale)
            legend = []
            for x, y, _start, _end, label, colour in series:
                plt.plot(np.asarray(x, dtype=float).tolist(), place(y).tolist(), marker="braille", color=colour)
                if labelled or bound is not None:
                    legend.append((label, colour))
            if bound is not None:
                plt.plot([first, last], place(np.array([bound, bound])).tolist(), marker="braille", color="red")
                legend.append(("2/λmax", "red"))
            if not np.isfinite(first):  # nothing that can be placed on this scale
                plt.xlabel(_("step"))
                return drawn(self, legend)
            ticks, labels = value_ticks(low, high, self.log_scale, max(2, self.size.height // 4))
            if ticks:
                plt.yticks(place(np.array(ticks)).tolist(), labels)
            for mark in self._marks:
                plt.vertical_line(mark, color="gray")
            if self.current is not None:
                first = min(first, self.current)
                plt.vertical_line(self.current, color="magenta")
            if last > first:
                plt.xlim(first, last)
            if self.rates is not None and self.shows == "loss":
                draw_rates(plt, self.rates, first, last, self.size.height)
            ticks = integer_ticks(first, last, max(2, columns // 12))
            plt.xticks(ticks, [str(t) for t in ticks])
        plt.xlabel(_("step"))
        return drawn(self, legend)
