"""Screenshots (SVG) whose text is laid out by terminal cells, combining characters included.

Rich's ``Console.export_svg`` places each run of text at its column counted in cells, but
stretches it over ``len(text)`` cells (``textLength``): a run holding a combining character (the
hat of ``V̂``, ``Ŝ``) is drawn one cell too wide, over the first cell of the next run, which
is how ``V̂ = ... = -1.471`` lost the space before its result. :func:`cells_measured` gives each
run the width of its cells; the app's ``export_screenshot`` (``p``, the palette's screenshot
and the snapshot tests) passes its SVG through it.
"""

from __future__ import annotations

import html
import re
import unicodedata

from rich.cells import cell_len

__all__ = ["cells_measured"]

_TEXT = re.compile(r'(<text\b[^>]*?\btextLength=")([0-9.]+)("[^>]*>)([^<]*)(</text>)')


def cells_measured(svg: str) -> str:
    """``svg`` (Rich's export) with every ``<text>`` run that holds a combining character given
    a ``textLength`` of the cells its characters take instead of their count."""

    def measured(match: re.Match) -> str:
        text = html.unescape(match[4])
        if not any(unicodedata.combining(ch) for ch in text):  # (a line's end is 0 cells too: left as is)
            return match[0]
        chars, cells = len(text), cell_len(text)
        width = float(match[2]) / chars * cells  # Rich's width per character, times the cells
        return f"{match[1]}{width:g}{match[3]}{match[4]}{match[5]}"

    return _TEXT.sub(measured, svg)
