"""A chart's legend drawn above its plot area, so that it never covers the start of a curve.

plotext draws its legend inside the plot, over the first columns of the curves, and leaves it
out when the plot is short; it also counts a combining character (the hat of ``V̂``) as a
column, which moves the right axis of that row by one. Here the legend is a line of Rich text
(which measures ``V̂`` as one cell) above a plot made that many lines shorter, and every
series is in it, wrapped onto more lines when one is not wide enough.
"""

from __future__ import annotations

from typing import Sequence

from rich.style import Style
from rich.text import Text
from textual_plotext import PlotextPlot

__all__ = ["legend_text", "render_with_legend", "colour_style", "MARK"]

MARK = "━━"
"""What stands for a series' line in the legend, in its colour."""

ANSI = {"black": 0, "white": 15, "gray": 8, "red": 1, "green": 2, "orange": 3, "yellow": 3,
        "blue": 4, "magenta": 5, "cyan": 6}
"""plotext's colour names and the terminal colours it draws them with (``plotext._dict``)."""


def colour_style(colour) -> Style:
    """The Rich style of a plotext colour: a name, or an ``(r, g, b)`` tuple."""
    if isinstance(colour, tuple):
        return Style(color=f"rgb({colour[0]},{colour[1]},{colour[2]})")
    code = ANSI.get(str(colour).removesuffix("+"))
    return Style(color=None if code is None else f"color({code})")


def legend_text(entries: Sequence[tuple[str, object]], width: int) -> Text:
    """``━━ label`` for each ``(label, colour)``, two spaces apart, on as many lines of ``width``
    cells as they take (an entry is never split across lines)."""
    lines: list[Text] = []
    line = Text(no_wrap=True, overflow="crop")
    for label, colour in entries:
        entry = Text(no_wrap=True, overflow="crop")
        entry.append(MARK, style=colour_style(colour))
        entry.append(" " + label)
        if line.cell_len and line.cell_len + 2 + entry.cell_len > width:
            lines.append(line)
            line = Text(no_wrap=True, overflow="crop")
        if line.cell_len:
            line.append("  ")
        line.append_text(entry)
    if line.cell_len:
        lines.append(line)
    return Text("\n", no_wrap=True, overflow="crop").join(lines)


def render_with_legend(plot: PlotextPlot, entries: Sequence[tuple[str, object]]) -> Text:
    """The legend of ``entries`` above ``plot``'s figure, drawn as many lines shorter (as
    :meth:`PlotextPlot.render` draws it, at the widget's width)."""
    width, height = plot.size.width, plot.size.height
    legend = legend_text(entries, width) if entries else Text()
    taken = len(legend.plain.splitlines())
    plt = plot.plt
    plt.plotsize(width, max(height - taken, 1))
    plt._set_size(width, max(height - taken, 1))  # as PlotextPlot.render does (textual-plotext issue 5)
    plt.theme(plot._get_plotext_theme_name(plot.app.theme))
    figure = Text.from_ansi(plt.build())
    if not taken:
        return figure
    return Text("\n").join([legend, figure])
