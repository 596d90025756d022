"""The worked update of one scalar: each equation with the step's numbers substituted."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from gradstep.tui.faults import ContainsErrors, guarded

__all__ = ["EquationsView"]


class EquationsView(ContainsErrors, Widget):
    """Lines such as ``V = β1·V + (1−β1)·g = 0.9·(-0.7) + 0.1·(-1.012) = -0.731``.

    Attributes:
        lines: ``(equation, result)`` pairs from :func:`gradstep.tui.equations.worked_lines` (the
            optimizer's registry entry writes them); the result (the record's value) is drawn
            in bold after `` = ``.
    """

    DEFAULT_CSS = """
    EquationsView {
        width: 1fr;
        height: 1fr;
    }
    """

    lines: reactive[tuple[tuple[str, str | None], ...]] = reactive(tuple)

    @guarded
    def render(self) -> Text:
        text = Text()
        for i, (equation, result) in enumerate(self.lines):
            if i:
                text.append("\n")
            text.append(equation)
            if result is not None:
                text.append(" = ")
                text.append(result, style=Style(bold=True, color="cyan"))
        return text
