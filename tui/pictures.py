"""Pictures for slides: the loss curve and the loss surface as PNG files, drawn by matplotlib.

:func:`loss_figure` and :func:`surface_figure` draw the pictures of :mod:`gradstep.tui.picture_data` with
matplotlib's object-oriented API (a :class:`~matplotlib.figure.Figure` on an Agg canvas, never
pyplot's global state), 1600 x 900 pixels with type large enough for a slide. matplotlib is the
optional extra ``gradstep[plot]``, imported only when a figure is drawn, so that the dashboard
and ``--help`` never pay for it. Files are written atomically (:class:`gradstep.engine.training.trace.AtomicFile`).

This module never imports Textual: ``gradstep run --plot`` uses it without a screen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradstep.engine.training.trace import AtomicFile
from gradstep.tui.format import loss_at, num
from gradstep.tui.i18n import N_, _
from gradstep.tui.picture_data import LossPicture, SurfacePicture

__all__ = ["PicturesUnavailable", "MISSING", "require_matplotlib", "loss_figure", "surface_figure",
           "write_png", "write_text", "free_stem", "SUFFIXES", "SIZE", "DPI"]

MISSING = N_("pictures need matplotlib: pip install 'gradstep[plot]'")
"""What the learner reads when matplotlib is not installed."""

SIZE = (8.0, 4.5)
"""Figure size in inches: 16:9, as slides are."""

DPI = 200
"""Dots per inch: with :data:`SIZE`, 1600 x 900 pixels."""

SUFFIXES = {"screen": "-screen.svg", "loss": "-loss.png", "surface": "-surface.png"}
"""The file of each picture, after the common stem (``adam-fabc-step120-loss.png``)."""

MARK, CURRENT, NOW = "#6b7280", "#c026d3", "#ff4081"
"""Learning-rate changes (grey), the step on screen (magenta, as on the chart), the current point."""

QUIET = ("#4b5563", "#f3f4f6")
"""Low to high loss under a race's coloured paths: greys, as in the race view."""


class PicturesUnavailable(RuntimeError):
    """matplotlib cannot be imported; the message says how to install it."""


# -- drawing ---------------------------------------------------------------------------------
def require_matplotlib():
    """matplotlib's ``(Figure, FigureCanvasAgg)``.

    Raises:
        PicturesUnavailable: matplotlib is not installed (the message says how to install it).
    """
    try:
        import matplotlib  # noqa: F401  the package itself: its submodules may be cached alone
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PicturesUnavailable(_(MISSING)) from None
    return Figure, FigureCanvasAgg


def _figure():
    Figure, FigureCanvasAgg = require_matplotlib()
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _style(ax, title, note=""):
    ax.set_title(title, fontsize=13, loc="left", pad=10 if not note else 22)
    if note:
        ax.text(0, 1.015, note, transform=ax.transAxes, fontsize=10, color="#4b5563", va="bottom")
    ax.tick_params(labelsize=10.5)


def _wants_log(curves) -> bool:
    values = np.concatenate([c.values for c in curves]) if curves else np.zeros(0)
    values = values[np.isfinite(values) & (values > 0)]
    return bool(values.size) and values.max() >= 100 * values.min()


def loss_figure(picture: LossPicture):
    """The loss picture as a matplotlib Figure (1600 x 900 at :data:`DPI`).

    Raises:
        PicturesUnavailable: Without matplotlib.
    """
    figure = _figure()
    ax = figure.add_subplot()
    log = _wants_log(picture.curves) if picture.log is None else picture.log
    for curve in picture.curves:
        values = np.asarray(curve.values, dtype=float)
        keep = np.isfinite(values) & ((values > 0) if log else True)
        steps, values = np.asarray(curve.steps, dtype=float)[keep], values[keep]
        if not len(values):
            continue
        ax.plot(steps, values, color=curve.colour, label=curve.label,
                linewidth=1.2 if curve.dimmed else 1.8, linestyle="--" if curve.dimmed else "-",
                marker="o" if len(values) <= 40 else None, markersize=3.5, zorder=1 if curve.dimmed else 2)
    if log:
        ax.set_yscale("log")
    for i, mark in enumerate(picture.marks):
        ax.axvline(mark, color=MARK, linestyle=":", linewidth=1.4, zorder=3,  # over the step shown
                   label=_("learning rate changed") if i == 0 else None)
    if picture.current is not None:
        ax.axvline(picture.current, color=CURRENT, linewidth=1.2,
                   label=_("step {step}, shown on screen").format(step=picture.current))
    ax.set_xlabel(_("step"), fontsize=12)
    # A step's loss is evaluated before its update, as the status line and the trace say.
    ax.set_ylabel(_("step t's loss L(θₜ₋₁) (log scale)") if log else _("step t's loss L(θₜ₋₁)"), fontsize=12)
    ax.grid(True, which="major", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.margins(x=0.01)
    if len(ax.get_legend_handles_labels()[0]) > 1:
        ax.legend(fontsize=10.5, frameon=False)
    _style(ax, picture.title)
    return figure


def _surface_norm(Z):
    """A log colour scale when the loss is positive and spans two decades (a valley between
    high walls), else a linear one; with the levels of its filled contours."""
    from matplotlib.colors import LogNorm, Normalize

    finite = Z[np.isfinite(Z)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if high <= low:
        high = low + 1.0
    positive = finite[finite > 0]
    if finite.size and low >= 0 and positive.size and high >= 100 * positive.min():
        low = float(positive.min())
        return LogNorm(low, high), np.geomspace(low, high, 22), True
    return Normalize(low, high), np.linspace(low, high, 22), False


def surface_figure(picture: SurfacePicture):
    """The surface picture as a matplotlib Figure: filled contours of the loss, the path(s) over
    them, step 0 as a circle and the last step as a diamond.

    Raises:
        PicturesUnavailable: Without matplotlib.
    """
    figure = _figure()
    from matplotlib import patheffects
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.ticker import LogFormatterSciNotation, LogLocator, MaxNLocator

    grid, race = picture.surface, picture.race
    ax = figure.add_subplot()
    norm, levels, log = _surface_norm(grid.Z)
    Z = np.ma.masked_invalid(grid.Z)
    # Coloured paths need a quiet ground, as in the race view.
    cmap = LinearSegmentedColormap.from_list("quiet", QUIET) if race else "viridis"
    filled = ax.contourf(grid.xs, grid.ys, Z, levels=levels, norm=norm, cmap=cmap,
                         extend="min" if log else "neither")
    ax.contour(grid.xs, grid.ys, Z, levels=levels[::2], norm=norm, colors="black", linewidths=0.4,
               alpha=0.35)
    ticks = LogLocator() if log else MaxNLocator(6)
    bar = figure.colorbar(filled, ax=ax, pad=0.02, ticks=ticks,
                          format=LogFormatterSciNotation() if log else None)
    bar.set_label(_("loss L (log scale)") if log else _("loss L"), fontsize=12)
    bar.ax.tick_params(labelsize=10)
    outline = [patheffects.withStroke(linewidth=3.2, foreground="black")]
    for label, points, colour in picture.paths:
        points = np.asarray(points, dtype=float)
        points = points[np.all(np.isfinite(points), axis=1)]
        if not len(points):
            continue
        ax.plot(points[:, 0], points[:, 1], color=colour, linewidth=1.8,
                marker="o" if len(points) <= 60 else None, markersize=3, label=label,
                path_effects=outline, zorder=3)
        if race:  # each runner's last step; a single path ends at the point marked "here"
            ax.plot(*points[-1], marker="D", markersize=7, color=colour, markeredgecolor="black", zorder=4)
    if picture.paths:
        start = np.asarray(picture.paths[0][1][0], dtype=float)  # every path starts there
        ax.plot(*start, linestyle="none", marker="o", markersize=8, color="white",
                markeredgecolor="black", zorder=5, label=_("step 0"))
    if not race:
        ax.plot(*grid.point, linestyle="none", marker="D", markersize=7, color=NOW,
                markeredgecolor="black", zorder=5, label=_("step {step}: {L} = {loss}").format(step=picture.step, L=loss_at(picture.step),
                                                                   loss=num(grid.loss)))
    ax.set_xlim(grid.xs[0], grid.xs[-1])
    ax.set_ylim(grid.ys[0], grid.ys[-1])
    ax.set_xlabel(grid.x, fontsize=12)
    ax.set_ylabel(grid.y, fontsize=12)
    ax.legend(fontsize=10, loc="best", framealpha=0.85)
    _style(ax, picture.title, picture.note)
    return figure


# -- files -----------------------------------------------------------------------------------
def write_png(figure, path) -> None:
    """Write ``figure`` as a PNG to ``path`` atomically (an earlier file there stays intact
    until the new one is complete).

    Raises:
        gradstep.engine.training.trace.ExportError: The folder is missing or read-only, the disk is full, ...
    """
    if _served_deliver(path, lambda buffer: figure.savefig(buffer, format="png", dpi=DPI)):
        return
    with AtomicFile(path) as out:
        out.stream.flush()
        figure.savefig(out.stream.buffer, format="png", dpi=DPI)


def write_text(text: str, path) -> None:
    """Write ``text`` (an SVG) to ``path`` atomically; raises as :func:`write_png`."""
    if _served_deliver(path, lambda buffer: buffer.write(text.encode("utf-8"))):
        return
    with AtomicFile(path) as out:
        out.stream.write(text)


def _served_deliver(path, fill) -> bool:
    """In a dashboard served to a classroom, deliver the file to the browser instead (``fill``
    writes its bytes into a buffer) and return True: nothing is written on the server's disk."""
    from gradstep.tui.classroom import served

    if not served.active():
        return False
    import io

    buffer = io.BytesIO()
    fill(buffer)
    served.deliver(Path(path).name, buffer.getvalue())
    return True


def free_stem(folder, stem: str) -> Path:
    """``folder / stem`` or, when a picture of that name exists, ``folder / stem-2``, ``-3``, ...:
    the first stem none of whose :data:`SUFFIXES` files exists, so nothing is overwritten."""
    folder = Path(folder)
    n = 1
    while True:
        candidate = stem if n == 1 else f"{stem}-{n}"
        if not any((folder / (candidate + suffix)).exists() for suffix in SUFFIXES.values()):
            return folder / candidate
        n += 1
