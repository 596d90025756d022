"""What a panel, or a whole screen, shows when the terminal is too small for it.

A panel that cannot show anything meaningful (not one number of a matrix, not a chart's axes)
says so in a word instead of drawing a cropped fragment; a screen below its minimum size shows
one message with the terminal's size and the size it needs.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.i18n import _

__all__ = ["too_small", "TerminalTooSmall"]


def too_small(width: int) -> Text:
    """The note a panel shows in place of its content, shortened to fit ``width`` columns."""
    message = _("too small: enlarge the terminal")
    if len(message) > width:
        message = _("too small")
    return Text(message, style="dim italic")


class TerminalTooSmall(ContainsErrors, Widget):
    """The message a screen shows instead of its panels below its minimum size.

    Attributes:
        current: The terminal's ``(width, height)``.
        needed: The screen's minimum ``(width, height)``.
    """

    DEFAULT_CSS = """
    TerminalTooSmall {
        width: 1fr;
        height: 1fr;
        content-align: center middle;
        text-align: center;
    }
    """

    current: reactive[tuple[int, int]] = reactive((0, 0))
    needed: reactive[tuple[int, int]] = reactive((0, 0))

    @guarded
    def render(self) -> Text:
        (width, height), (min_width, min_height) = self.current, self.needed
        return Text(_("The terminal is {width}×{height}; this screen needs at least "
                      "{min_width}×{min_height}. Enlarge the window.").format(
            width=width, height=height, min_width=min_width, min_height=min_height))
