"""The loss surface: the loss over two parameter entries, with the path training took.

For a scenario of exactly two scalar parameters (rosenbrock, linear-regression, the races) this
is the whole function, with the trajectory from step 0 to now. For anything else it is a slice
(:func:`gradstep.engine.analysis.surface.surface`): the two entries with the largest |∂L/∂θ| when the view opens
vary, every other entry keeps its value at the current step.

The grid is computed by the engine in a thread worker, only when something it depends on
changed: the window, the size of the map, or (for a slice) the parameters.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static
from textual.worker import get_current_worker

from gradstep.engine.training.session import Diverged, Session
from gradstep.engine.analysis.surface import entry_label, pick_entries, surface, window
from gradstep.tui.format import loss_at, num
from gradstep.tui.i18n import _, ngettext
from gradstep.tui.screens.math_view import MathView
from gradstep.tui.widgets.heat_map import HeatMap, Overlay, colour_bar, scale_samples, sequential, skewed
from gradstep.tui.widgets.key_footer import KeyFooter

__all__ = ["SurfaceView", "ParameterPath", "MAX_PATH_POINTS", "grid_limit"]

MAX_PATH_POINTS = 2000
"""Most points of a path drawn (a longer path is thinned, keeping its first and last)."""

MAX_SLOW_POINTS = 3000
"""Most grid points evaluated one by one (expressions over data or arrays): the map scales them up."""

NETWORK_WORK = 8_000_000
"""Most numbers a network's grid computes per redraw (points x rows of data x units of every
layer): a network's grid goes through one vectorised forward pass in batches, about 30 ms for
this much on the project's machine (``benchmarks/dashboard.py --issue15``)."""


def grid_limit(scenario, layout) -> float:
    """The most grid points a redraw of ``scenario``'s surface evaluates (a coarser grid is drawn
    scaled up): every point for an objective of scalars (one pass), a work budget for a network
    (:data:`NETWORK_WORK`), :data:`MAX_SLOW_POINTS` for what goes point by point."""
    if scenario.kind == "objective" and not any(layout.shapes):
        return float("inf")
    if scenario.kind == "network":
        rows = len(scenario.data.x) if scenario.data is not None else 1
        units = scenario.model.inputs + sum(layer.units for layer in scenario.model.layers)
        return max(64, NETWORK_WORK // max(1, rows * units))
    return MAX_SLOW_POINTS

BANDS = 14
"""Colour steps of the surface: the edges between them read as contour lines."""

ZOOM = Binding.Group("zoom", compact=True)

PATH = (255, 255, 255)
NOW = (255, 64, 129)


def thinned(points: np.ndarray, most: int = MAX_PATH_POINTS) -> np.ndarray:
    """At most ``most`` of ``points`` (rows), evenly spaced, the first and last kept."""
    if len(points) <= most:
        return points
    return points[np.unique(np.linspace(0, len(points) - 1, most).round().astype(int))]


class ParameterPath:
    """Two entries' values at steps 0, 1, ..., t of a session, for drawing its trajectory.

    A scratch :class:`~gradstep.engine.training.session.Session` of the same scenario replays the run (the
    engine is deterministic, so its steps are the original's bit for bit) and is kept, so a
    longer path only costs the new steps. When the learner changed course on the dashboard
    (learning rate, optimizer) the replay no longer matches; then the path is read from the
    records the session's history keeps (exact, but only some steps).

    Args:
        scenario: The scenario.
        flats: Positions of the two entries in the flat parameter vector.
    """

    def __init__(self, scenario, flats: tuple[int, int]) -> None:
        self.flats = list(flats)
        self._scratch = Session(scenario, {"enabled": False})
        self._points = [tuple(self._scratch.theta[self.flats])]
        self._stopped = False
        self._lock = threading.Lock()

    def upto(self, session, t: int, theta: np.ndarray) -> tuple[np.ndarray, bool]:
        """``(points (k, 2), replayed)``: the path to step ``t``, whose parameters are ``theta``;
        ``replayed`` is False when it comes from the kept records instead."""
        with self._lock:
            while len(self._points) <= t and not self._stopped:
                try:
                    record = self._scratch.step()
                except Diverged:
                    self._stopped = True
                    break
                self._points.append(tuple(record.theta[self.flats]))
            points = np.array(self._points[:t + 1], dtype=np.float64)
        now = np.asarray(theta, dtype=np.float64)[self.flats]
        if len(points) == t + 1 and np.array_equal(points[-1], now):
            return points, True
        kept = [session.history.cached(k) for k in range(1, t + 1)] if t else []
        start = self._points[0]
        rows = [start] + [tuple(r.theta[self.flats]) for r in kept if r is not None]
        return np.array(rows, dtype=np.float64), False


class SurfaceView(MathView):
    """The loss over two entries: a heat map, the path so far and the current point."""

    CSS_PATH = "surface_view.tcss"
    BINDINGS = MathView.STEPS_BINDINGS + [
        Binding("plus", "zoom(0.6667)", "in", key_display="+", group=ZOOM),
        Binding("minus", "zoom(1.5)", "out", key_display="-", group=ZOOM),
        Binding("0", "fit", "refit"),
        Binding("x", "pick", "pick entries", show=False),
    ]

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard)
        layout = self.session.layout
        self.full = layout.size == 2
        self.entries = None if layout.size < 2 else self._pick()
        flats = tuple(layout.slices[layout.index[n]].start
                      + (int(np.ravel_multi_index(i, layout.shapes[layout.index[n]])) if i else 0)
                      for n, i in self.entries) if self.entries else ()
        self.path = ParameterPath(self.scenario, flats) if self.full else None
        self.bounds = None
        self.zoom = 1.0
        self.surface = None
        self._grid_key = None
        self.seconds = None

    def compose(self) -> ComposeResult:
        yield Static(id="surface-info")
        with Vertical(id="surface-box"):
            yield HeatMap(id="surface-map")
        yield Static(id="surface-legend")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        box = self.query_one("#surface-box")
        if self.entries is None:
            box.border_title = _("loss surface")
            self.query_one(HeatMap).note(_("a surface needs two parameter entries; this scenario has one"))
        else:
            (x, y) = (entry_label(*e) for e in self.entries)
            title = (_("loss surface: L over ({x}, {y})") if self.full
                     else _("a slice of the loss surface: L over ({x}, {y})"))
            box.border_title = title.format(x=x, y=y)

    def on_heat_map_resized(self, message: HeatMap.Resized) -> None:
        self._poll()

    def poll_key(self):
        return super().poll_key() + (self.query_one(HeatMap).size,)  # draw again at a new size

    def _pick(self):
        """The entries the slice shows: the two with the largest |∂L/∂θ| now (or at step 1)."""
        record = self.training.snapshot().record
        grad = record.grad if record is not None else None
        if grad is None:
            _, theta, batch = self.training.step_inputs()
            grad = self.session.gradient_at(theta, batch)[1]
        return pick_entries(self.session, grad=grad)

    # -- computing -------------------------------------------------------------------------
    def session_changed(self) -> None:
        if self.entries is None:
            return
        shape = self.query_one(HeatMap).grid_shape()
        self._compute(self.training.snapshot(), shape, self.zoom)

    @work(thread=True, exclusive=True, group="surface")
    def _compute(self, snap, shape, zoom) -> None:
        worker = get_current_worker()
        started = time.perf_counter()
        x, y = self.entries
        path, replayed = (self.path.upto(self.session, snap.t, snap.theta) if self.full
                          else (None, True))
        layout = self.session.layout
        here = np.asarray(snap.theta, dtype=np.float64)
        point = (here[self.path.flats] if self.full else
                 np.array([float(self.session.layout.views(here)[n][i]) for n, i in self.entries]))
        bounds = self.bounds
        around = path if path is not None else point.reshape(1, 2)
        if bounds is None:
            bounds = _scaled(window(around), zoom)
        elif zoom == 1.0 and not _inside(around, bounds):
            bounds = window(around)       # the path grew out of the window
        elif not _inside(point.reshape(1, 2), bounds):
            bounds = _centred(bounds, point)  # zoomed: follow the current point
        rows, cols = shape
        limit = grid_limit(self.scenario, layout)
        while rows * cols > limit:  # a coarser grid, drawn scaled up
            rows, cols = max(rows // 2, 2), max(cols * 3 // 4, 2)
        key = (bounds, rows, cols, x, y)
        result = self.surface
        if key != self._grid_key or not self.full or result is None:
            result = surface(self.session, x=x, y=y, shape=(rows, cols), bounds=bounds, theta=snap.theta)
        else:  # the same grid of the whole function: only the point moved
            with np.errstate(all="ignore"):
                loss = self.session.loss_at(snap.theta)
            result = replace(result, point=(float(point[0]), float(point[1])), loss=loss)
        seconds = time.perf_counter() - started
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, snap, result, path, replayed, bounds, key, seconds)

    def _show(self, snap, result, path, replayed, bounds, key, seconds) -> None:
        if self not in self.app.screen_stack:  # closed while its thread worked
            return
        self.surface, self.bounds, self._grid_key, self.seconds = result, bounds, key, seconds
        Z = result.Z
        finite = Z[np.isfinite(Z)]
        log = skewed(Z)
        rgb = sequential(Z, log=log, bands=BANDS)
        overlays = []
        if path is not None and len(path):
            shown = thinned(path)
            overlays.append(Overlay(shown[:, 0], shown[:, 1], PATH, "•", joined=True))
            overlays.append(Overlay(shown[:1, 0], shown[:1, 1], PATH, "○"))
        overlays.append(Overlay(np.array([result.point[0]]), np.array([result.point[1]]), NOW, "◆"))
        self.query_one(HeatMap).show(result.xs, result.ys, rgb, overlays, result.x, result.y)
        self.query_one("#surface-info", Static).update(self._info(snap, result, path, replayed))
        legend = Text()
        if finite.size:
            limits = (float(finite.min()), float(finite.max()))
            scale = sequential(scale_samples(*limits, log), log=log, bands=BANDS, limits=limits)
            legend = colour_bar(scale, num(finite.min()), num(finite.max()), "L")
            legend.append("  " + _("(log scale)") + "   " if log else "   ")
        if path is not None:
            legend.append("○ ", style="bold")
            legend.append(_("step {t}").format(t=0) + "  ")
            legend.append("•· ", style="bold")
            legend.append(_("the path") + "  ")
        legend.append("◆ ", style=f"bold rgb({NOW[0]},{NOW[1]},{NOW[2]})")
        legend.append(_("step {t}").format(t=snap.t))
        self.query_one("#surface-legend", Static).update(legend)

    def _info(self, snap, result, path, replayed) -> Text:
        text = Text()
        if self.scenario.kind == "objective":
            text.append("f = ", style="bold")
            text.append(self.scenario.model.expression + "\n")
        elif self.scenario.kind == "parametric":
            text.append(_("L = {loss} of ŷ = {expression} over the data").format(
                loss=self.scenario.loss, expression=self.scenario.model.expression) + "\n")
        if result.sliced:
            others = self.session.layout.size - 2
            text.append(ngettext("a slice: {x} and {y} vary (the largest |∂L/∂θ| when opened; "
                                 "x picks again), the other entry stays at its step-{t} value",
                                 "a slice: {x} and {y} vary (the largest |∂L/∂θ| when opened; x picks "
                                 "again), the other {count} entries stay at their step-{t} values",
                                 others).format(x=result.x, y=result.y, count=others, t=snap.t) + "\n")
        text.append(_("step {t}").format(t=snap.t), style="bold")
        text.append(" ")
        text.append(f"  {result.x} = {num(result.point[0])}   {result.y} = {num(result.point[1])}   ")
        # The loss at the point ◆ marks, the parameters after step t's update: θₜ, not θₜ₋₁,
        # the point step t's own loss (the status line's) was evaluated at.
        text.append(f"{loss_at(snap.t)} = {num(result.loss)}", style="bold cyan")
        text.append(" ◆")
        text.append(" ")
        if path is not None:
            how = "" if replayed else " " + _("(the steps the history keeps: the course was changed)")
            text.append("   " + ngettext("path: {count} point", "path: {count} points", len(path)).format(
                count=len(path)) + how)
        return text

    # -- keys ------------------------------------------------------------------------------
    def action_zoom(self, factor: float) -> None:
        if self.bounds is None:
            return
        self.zoom *= factor
        self.bounds = _scaled(self.bounds, factor)
        self._grid_key = None
        self._seen = None
        self._poll()

    def action_fit(self) -> None:
        self.zoom, self.bounds, self._seen = 1.0, None, None
        self._poll()

    def action_pick(self) -> None:
        if self.full or self.entries is None:
            return
        self.entries = self._pick()
        self.bounds = None
        self.on_mount()
        self._seen = None
        self._poll()


def _inside(points, bounds) -> bool:
    (x0, x1), (y0, y1) = bounds
    p = np.asarray(points)[np.all(np.isfinite(points), axis=1)]
    return bool(np.all((p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)))


def _centred(bounds, point):
    """``bounds`` of the same size, centred on ``point``."""
    return tuple((p - (hi - lo) / 2, p + (hi - lo) / 2) for (lo, hi), p in zip(bounds, point))


def _scaled(bounds, factor):
    """``bounds`` grown (factor > 1) or shrunk about its centre."""
    return tuple(((lo + hi) / 2 - (hi - lo) / 2 * factor, (lo + hi) / 2 + (hi - lo) / 2 * factor)
                 for lo, hi in bounds)
