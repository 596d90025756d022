"""Where the session stands within its history: a one-line bar from step 0 to the furthest step."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from gradstep.tui.faults import ContainsErrors, guarded

__all__ = ["Timeline", "bar_position"]

MARKER = "●"
BRANCH = "↳"
"""The branch point's mark: a glyph of Fira Code (the font of exported SVGs) and of DejaVu Sans
Mono (a common terminal font); ⑂ was in neither and came out as a missing glyph."""


def bar_position(step: int, span: int, width: int) -> int:
    """The column (0 ... width - 1) of ``step`` on a bar of ``width`` columns for steps 0 ... span."""
    if width <= 1 or span <= 0:
        return 0
    return min(width - 1, max(0, round(step * (width - 1) / span)))


class Timeline(ContainsErrors, Widget):
    """``━━━━●────↳┄┄┄  t = 412 / 1000``: the steps behind t drawn heavy, the ones ahead (still
    in the history) light, and after a branch the abandoned steps dotted past the branch point.

    Attributes:
        t: The step the session stands at.
        furthest: The furthest step of the current branch.
        branch: The step a branch left the old history at, or None.
        ghost_end: The last step of the abandoned branch, or None.
    """

    DEFAULT_CSS = """
    Timeline {
        width: 1fr;
        height: 1;
    }
    """

    t = reactive(0)
    furthest = reactive(0)
    branch: reactive[int | None] = reactive(None)
    ghost_end: reactive[int | None] = reactive(None)

    def label(self, width: int) -> str:
        """``t = 412 / 1000`` (and ``↳ 300`` after a branch) or, with little room, ``412/1000``."""
        base = f"t = {self.t} / {self.furthest}"
        candidates = [base]
        if self.branch is not None:
            candidates.insert(0, f"{base}  {BRANCH} {self.branch}")
        return next((c for c in candidates if len(c) + 12 <= width), f"{self.t}/{self.furthest}")

    @guarded
    def render(self) -> Text:
        width = self.size.width or 40
        label = self.label(width)
        room = width - len(label) - 1
        text = Text(no_wrap=True, overflow="crop")
        if room < 4:
            text.append(label, style=Style(bold=True))
            return text
        span = max(self.furthest, self.ghost_end or 0, 1)
        here = bar_position(self.t, span, room)
        tip = bar_position(self.furthest, span, room)
        branch = bar_position(self.branch, span, room) if self.branch is not None else None
        ghost_end = bar_position(self.ghost_end, span, room) if self.ghost_end is not None else None
        cells = []
        for x in range(room):
            if x == here:
                cells.append((MARKER, Style(color="cyan", bold=True)))
            elif branch is not None and x == branch:
                cells.append((BRANCH, Style(color="magenta", bold=True)))
            elif x < here:
                cells.append(("━", Style(color="cyan")))
            elif x <= tip:
                cells.append(("─", Style()))
            elif ghost_end is not None and x <= ghost_end:
                cells.append(("┄", Style(dim=True)))
            else:
                cells.append((" ", Style()))
        for char, style in cells:
            text.append(char, style=style)
        text.append(" ")
        text.append(label, style=Style(bold=self.t < self.furthest))
        return text
