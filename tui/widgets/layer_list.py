"""The gradient norm of every parameter, grouped by layer, each with a sparkline of its history."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.events import Click
from textual.reactive import reactive
from textual.widget import Widget

from gradstep.tui.faults import ContainsErrors, guarded
from gradstep.tui.format import num, shape, sparkline
from gradstep.tui.messages import LayerPicked

__all__ = ["LayerList"]


class LayerList(ContainsErrors, Widget):
    """One line per parameter: name, shape, ``|∂L/∂θ|`` now, and a sparkline of it over time.

    Attributes:
        grids: The layers (:class:`~gradstep.tui.grid.Grid`), in order.
        shapes: ``{parameter name: shape}``.
        norms: ``{parameter name: array}``: the gradient norm over the steps so far, for the
            sparklines: one value a step, or for a long run the largest of each few steps
            (:meth:`gradstep.tui.history.TrainingHistory.grad_norms`; a bounded number of values).
        param_norms: ``{parameter name: float}``: the record's gradient norms (the numbers shown).
        layer_norms: ``{layer: float}`` from the record (shown beside a layer's name).
        selected: Index of the grid shown in the matrices.
    """

    DEFAULT_CSS = """
    LayerList {
        width: 1fr;
        height: auto;
        max-height: 50%;
    }
    """

    grids = reactive((), always_update=True, layout=True)
    shapes = reactive(dict, always_update=True)
    norms = reactive(dict, always_update=True)
    param_norms = reactive(dict, always_update=True)
    layer_norms = reactive(dict, always_update=True)
    selected = reactive(0)

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._line_to_grid: list[int] = []

    def _lines(self):
        """``(grid index, is header, label, norm or None, parameter name or None)`` per line."""
        lines = []
        for k, grid in enumerate(self.grids):
            single = len(grid.params) > 1 and "." in grid.params[0]
            if single:  # a network layer: its own line, then W and b beneath it
                lines.append((k, True, grid.title, self.layer_norms.get(grid.title), None))
                for name in grid.params:
                    lines.append((k, False, "  " + name.rsplit(".", 1)[1], None, name))
            else:
                for name in grid.params:
                    lines.append((k, False, name, None, name))
        return lines

    def get_content_height(self, container, viewport, width) -> int:
        return max(1, len(self._lines()))

    @guarded
    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        lines = self._lines()
        self._line_to_grid = [k for k, *_ in lines]
        if not lines:
            return text
        name_width = max(len(label) for _grid, _header, label, _norm, _name in lines)
        shape_width = max((len(shape(self.shapes[p])) for *_, p in lines if p and self.shapes.get(p)),
                          default=0)
        spark_width = max(0, self.size.width - (2 + name_width + 1 + shape_width + 1 + 13))
        for i, (k, header, label, norm, name) in enumerate(lines):
            chosen = k == self.selected
            first = i == 0 or lines[i - 1][0] != k
            mark = "▸ " if chosen and first and len(self.grids) > 1 else "  "
            style = Style(bold=chosen, dim=not chosen and len(self.grids) > 1)
            text.append(mark, style=Style(bold=True))
            text.append(label.ljust(name_width) + " ", style=style)
            if header:
                text.append(" " * (shape_width + 1), style=style)
                text.append("|∇| " + (num(norm) if norm is not None else "-").ljust(9), style=style)
            else:
                series = self.norms.get(name)
                latest = self.param_norms.get(name)
                dims = self.shapes.get(name, ())
                text.append((shape(dims) if dims else "").ljust(shape_width) + " ", style=style)
                text.append("|∇| " + (num(latest) if latest is not None else "-").ljust(9), style=style)
                if series is not None and spark_width:
                    text.append(sparkline(series, spark_width), style=Style(color="cyan" if chosen else None))
            if i < len(lines) - 1:
                text.append("\n")
        return text

    def on_click(self, event: Click) -> None:
        if 0 <= event.y < len(self._line_to_grid):
            self.post_message(LayerPicked(self._line_to_grid[event.y]))
