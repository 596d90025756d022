"""A terminal heat map: one colour per grid point, two grid rows per line of text, and marks on top.

Each character cell is the upper half block ``▀`` with the upper grid point's colour as its
foreground and the lower one's as its background, so a widget ``h`` lines high shows ``2h``
rows of the grid. Points and paths (data points, an optimizer's trajectory, the current
parameters) are drawn over it in the data's coordinates. The colours are chosen by the screen
(:func:`sequential`, :func:`classes`); this widget only draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.format import num

__all__ = ["HeatMap", "Overlay", "sequential", "skewed", "scale_samples", "classes", "colour_bar",
           "nice_ticks", "CLASS_COLOURS", "BACKGROUND", "VIRIDIS", "GREYS"]

BACKGROUND = np.array([22, 22, 28])
"""Where a value is missing (NaN) or a class is uncertain."""

VIRIDIS = np.array([(68, 1, 84), (65, 68, 135), (42, 120, 142), (34, 168, 132), (122, 209, 81),
                    (253, 231, 37)], dtype=float)
"""Dark (low) to bright (high); readable for the colour blind, and in grey."""

GREYS = np.array([(28, 28, 34), (150, 150, 160)], dtype=float)
"""A quiet scale under coloured paths (the race's trajectories)."""

CLASS_COLOURS = np.array([(234, 88, 12), (59, 130, 246), (16, 185, 129), (217, 70, 239),
                          (234, 179, 8), (239, 68, 68)])
"""Class 0 orange, 1 blue (the dashboard's sign colours), then green, magenta, yellow, red."""

FLAT = 1e-300
"""A range of values narrower than this (a few denormals, or none) is drawn in one colour."""

REGION = 0.55
"""How strongly a decision region is tinted (points are drawn at full strength over it)."""


def _palette(t: np.ndarray, anchors: np.ndarray = VIRIDIS) -> np.ndarray:
    """Positions 0 ... 1 on a scale through ``anchors`` as RGB."""
    t = np.clip(t, 0.0, 1.0) * (len(anchors) - 1)
    low = np.minimum(np.floor(t).astype(int), len(anchors) - 2)
    frac = (t - low)[..., None]
    return anchors[low] * (1 - frac) + anchors[low + 1] * frac


def skewed(values: np.ndarray) -> bool:
    """A tenth of the values sit within 2% of the range above the lowest (a valley between high
    walls): a log scale shows them."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return False
    low, high = float(values.min()), float(values.max())
    return high - low > 50 * (float(np.percentile(values, 10)) - low)


def scale_samples(low: float, high: float, log: bool, count: int = 24) -> np.ndarray:
    """``count`` values evenly spaced along the colour scale of :func:`sequential` (for a
    colour bar)."""
    u = np.linspace(0.0, 1.0, count)
    span = high - low
    if not log or not span > FLAT:
        return low + u * span
    floor = span * 1e-4
    return low + floor * ((span + floor) / floor) ** u - floor


def sequential(values: np.ndarray, log: bool = False, bands: int = 0,
               limits: tuple[float, float] | None = None, anchors: np.ndarray = VIRIDIS) -> np.ndarray:
    """RGB for ``values`` on a dark-to-bright scale between ``limits`` (their range by default).

    Args:
        values: Any shape; NaN is drawn as :data:`BACKGROUND`.
        log: Place values by ``log(v - low + span·1e-4)``: a valley stays visible next to walls
            a thousand times higher.
        bands: Round the scale to this many steps (0: smooth), so that level sets show as
            edges, like contour lines.
        limits: ``(low, high)`` of the scale.
        anchors: The scale's colours, low to high (:data:`VIRIDIS`, :data:`GREYS`).
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    rgb = np.empty(values.shape + (3,))
    rgb[:] = BACKGROUND
    if not finite.any():
        return rgb.astype(np.uint8)
    low, high = limits if limits is not None else (float(values[finite].min()), float(values[finite].max()))
    if not np.isfinite(high - low):  # -1e308 ... 1e308: the same positions, in halves
        values, low, high = values / 2, low / 2, high / 2
    span = high - low
    with np.errstate(all="ignore"):
        if not span > FLAT:
            t = np.full(values.shape, 0.5)
        elif log:
            floor = span * 1e-4
            t = np.log((np.maximum(values - low, 0) + floor) / floor) / np.log((span + floor) / floor)
        else:
            t = (values - low) / span
    t = np.nan_to_num(t, nan=0.0)
    if bands:
        t = np.round(np.clip(t, 0, 1) * bands) / bands
    rgb[finite] = _palette(t[finite], anchors)
    return rgb.astype(np.uint8)


def classes(probabilities: np.ndarray) -> np.ndarray:
    """RGB for class probabilities: ``(rows, columns, K)`` for K classes, or ``(rows, columns)``
    holding P(class 1) of two classes. The most probable class gives the hue; how sure the model
    is, the strength (an even split is :data:`BACKGROUND`)."""
    p = np.asarray(probabilities, dtype=float)
    if p.ndim == 3:
        k = p.shape[-1]
        winner = np.argmax(np.nan_to_num(p, nan=-1.0), axis=-1)
        strength = (np.max(p, axis=-1) - 1 / k) / (1 - 1 / k)
    else:
        winner = (p > 0.5).astype(int)
        strength = np.abs(p - 0.5) * 2
    # In steps of 1/8: the region's edges read as contours of P, and equal cells draw as one run.
    strength = np.round(np.nan_to_num(np.clip(strength, 0, 1), nan=0.0) * 8)[..., None] / 8 * REGION
    hue = CLASS_COLOURS[winner % len(CLASS_COLOURS)]
    return (BACKGROUND * (1 - strength) + hue * strength).astype(np.uint8)


def nice_ticks(low: float, high: float, count: int) -> list[float]:
    """About ``count`` round values between ``low`` and ``high``."""
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low or count < 1:
        return []
    raw = (high - low) / count
    magnitude = 10 ** np.floor(np.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = np.ceil(low / step) * step
    ticks = np.arange(first, high + step * 1e-9, step)
    return [0.0 if abs(t) < step * 1e-9 else float(t) for t in ticks]


def colour_bar(rgb: np.ndarray, low: str, high: str, label: str = "") -> Text:
    """``label low ████ high``: the colours of a scale, left to right."""
    text = Text()
    if label:
        text.append(label + " ")
    text.append(low + " ")
    for r, g, b in np.asarray(rgb).reshape(-1, 3):
        text.append("█", style=Style(color=f"rgb({r},{g},{b})"))
    text.append(" " + high)
    return text


@dataclass(frozen=True)
class Overlay:
    """Points drawn over the map, in the data's coordinates.

    Attributes:
        xs: x of each point.
        ys: y of each point.
        colour: ``(r, g, b)`` of every point, or an array of one colour per point.
        char: The character drawn at each point.
        joined: Draw the cells between consecutive points too (a path).
        last: A different character for the last point (the current position), or None.
    """

    xs: np.ndarray
    ys: np.ndarray
    colour: object
    char: str = "●"
    joined: bool = False
    last: str | None = None


class HeatMap(ContainsErrors, Widget):
    """An RGB grid over ``xs`` × ``ys`` with axis ticks and overlays.

    ``rgb[i, j]`` is the colour at ``(xs[j], ys[i])``: rows follow y upwards, as in
    ``numpy.meshgrid`` and :class:`gradstep.engine.analysis.surface.Surface`. A grid of another size than
    :meth:`grid_shape` is drawn scaled (nearest point).
    """

    DEFAULT_CSS = """
    HeatMap {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    """

    MARGIN = 8
    """Columns left of the map for the y ticks."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._xs = self._ys = None
        self._rgb = None
        self._overlays: tuple[Overlay, ...] = ()
        self._labels = ("", "")
        self._message = ""
        self._lines: list[Strip] | None = None

    @property
    def overlays(self) -> tuple[Overlay, ...]:
        """What is drawn over the map now, in drawing order."""
        return self._overlays

    def grid_shape(self, size: Size | None = None) -> tuple[int, int]:
        """``(rows, columns)`` of grid points that fill the widget at ``size`` (its own)."""
        size = size or self.size
        return max(2 * (size.height - 1), 2), max(size.width - self.MARGIN, 2)

    def show(self, xs, ys, rgb, overlays=(), x_label: str = "", y_label: str = "") -> None:
        """Draw ``rgb`` (shape ``(len(ys), len(xs), 3)``) and ``overlays`` over it."""
        self._xs, self._ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        self._rgb = np.asarray(rgb, dtype=np.uint8)
        self._overlays = tuple(overlays)
        self._labels = (x_label, y_label)
        self._message = ""
        self._lines = None
        self.refresh()

    def note(self, message: str) -> None:
        """Show a sentence instead of the map (nothing to draw yet, or nothing to draw)."""
        self._message = message
        self._rgb = None
        self._lines = None
        self.refresh()

    class Resized(Message):
        """The map's size changed: a grid of :meth:`HeatMap.grid_shape` points fits it now."""

    def on_resize(self) -> None:
        self._lines = None
        self.post_message(self.Resized())

    @guarded
    def render_line(self, y: int) -> Strip:
        if self._lines is None:
            self._lines = self._draw()
        return self._lines[y] if y < len(self._lines) else Strip.blank(self.size.width)

    # -- drawing ---------------------------------------------------------------------------
    def _draw(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        if self._rgb is None or width <= self.MARGIN + 2 or height < 2:
            text = Text(self._message, style="dim")
            lines = [Strip(list(text.render(self.app.console)), text.cell_len)]
            return lines + [Strip.blank(width)] * (height - 1)
        rows, cols = 2 * (height - 1), width - self.MARGIN
        rgb = self._resample(rows, cols).tolist()  # plain ints: Rich parses "rgb(r,g,b)" text
        chars = {}
        for overlay in self._overlays:
            self._mark(overlay, rows, cols, chars)
        ticks = self._y_ticks(height - 1)
        lines = []
        cache: dict = {}
        for r in range(height - 1):
            top, bottom = rows - 1 - 2 * r, rows - 2 - 2 * r
            label = ticks.get(r, "")
            segments = [Segment(f"{label:>{self.MARGIN - 1}}" + ("┤" if label else "│"),
                                Style(dim=not label))]
            for c in range(cols):
                up, down = tuple(rgb[top][c]), tuple(rgb[bottom][c])
                mark = chars.get((r, c))
                if mark is None:
                    key = (up, down)
                    if key not in cache:
                        cache[key] = Style(color=f"rgb{up}", bgcolor=f"rgb{down}")
                    segments.append(Segment("▀", cache[key]))
                else:
                    char, colour = mark
                    under = tuple((a + b) // 2 for a, b in zip(up, down))
                    segments.append(Segment(char, Style(color=f"rgb{colour}", bgcolor=f"rgb{under}",
                                                        bold=True)))
            lines.append(Strip(_runs(segments), width))
        lines.append(self._x_axis(width, cols))
        return lines

    def _resample(self, rows: int, cols: int) -> np.ndarray:
        rgb = self._rgb
        if rgb.shape[:2] == (rows, cols):
            return rgb
        ri = np.minimum((np.arange(rows) + 0.5) * rgb.shape[0] / rows, rgb.shape[0] - 1).astype(int)
        ci = np.minimum((np.arange(cols) + 0.5) * rgb.shape[1] / cols, rgb.shape[1] - 1).astype(int)
        return rgb[ri][:, ci]

    def _cell(self, x, y, rows, cols):
        """``(line, column)`` of the point (x, y), or None outside the map."""
        (x0, x1), (y0, y1) = (self._xs[0], self._xs[-1]), (self._ys[0], self._ys[-1])
        if not (np.isfinite(x) and np.isfinite(y)) or x1 <= x0 or y1 <= y0:
            return None
        c = (x - x0) / (x1 - x0) * cols
        p = (y - y0) / (y1 - y0) * rows
        if not (0 <= c <= cols and 0 <= p <= rows):
            return None
        c, p = min(int(c), cols - 1), min(int(p), rows - 1)
        return (rows - 1 - p) // 2, c

    def _mark(self, overlay: Overlay, rows: int, cols: int, chars: dict) -> None:
        xs, ys = np.asarray(overlay.xs, dtype=float), np.asarray(overlay.ys, dtype=float)
        colours = np.asarray(overlay.colour)
        per_point = colours.ndim == 2
        previous = None
        for i, (x, y) in enumerate(zip(xs, ys)):
            colour = tuple(int(v) for v in (colours[i] if per_point else colours))
            cell = self._cell(x, y, rows, cols)
            if overlay.joined and previous is not None and cell is not None:
                (r0, c0), (r1, c1) = previous, cell
                n = max(abs(r1 - r0), abs(c1 - c0))
                for k in range(1, n):
                    between = (round(r0 + (r1 - r0) * k / n), round(c0 + (c1 - c0) * k / n))
                    chars[between] = ("·", colour)
            if cell is not None:
                last = overlay.last is not None and i == len(xs) - 1
                chars[cell] = (overlay.last if last else overlay.char, colour)
            previous = cell

    def _y_ticks(self, lines: int) -> dict[int, str]:
        y0, y1 = float(self._ys[0]), float(self._ys[-1])
        out = {}
        if self._labels[1]:
            out[0] = self._labels[1][:self.MARGIN - 1]
        for value in nice_ticks(y0, y1, max(1, lines // 4)):
            r = int((y1 - value) / (y1 - y0) * lines) if y1 > y0 else 0
            r = min(max(r, 0), lines - 1)
            if r not in out:
                out[r] = num(value, 3)[:self.MARGIN - 1]
        return out

    def _x_axis(self, width: int, cols: int) -> Strip:
        x0, x1 = float(self._xs[0]), float(self._xs[-1])
        line = [" "] * width
        label = f" {self._labels[0]} →" if self._labels[0] else ""
        room = width - len(label)
        for value in nice_ticks(x0, x1, max(1, cols // 12)):
            c = self.MARGIN + int((value - x0) / (x1 - x0) * cols) if x1 > x0 else self.MARGIN
            text = num(value, 3)
            start = min(max(c - len(text) // 2, self.MARGIN), room - len(text))
            if start < 0 or any(ch != " " for ch in line[max(start - 1, 0):start + len(text) + 1]):
                continue
            line[start:start + len(text)] = list(text)
        text = "".join(line[:room]) + label
        return Strip([Segment(text[:width], Style(dim=True))], width)


def _runs(segments: list[Segment]) -> list[Segment]:
    """Neighbouring cells of one style as one segment (fewer, longer runs draw faster)."""
    out: list[Segment] = []
    for segment in segments:
        if out and out[-1].style is segment.style:
            out[-1] = Segment(out[-1].text + segment.text, segment.style)
        else:
            out.append(segment)
    return out
