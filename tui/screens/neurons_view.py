"""Every hidden unit of a network over its input (``h``, issue 17): TensorFlow Playground's view.

With two inputs each unit is a small heat map of its output over the input plane (the span of
the data), orange where it is negative, blue where positive; with one input, its curve over the
input's span. Units are laid out by layer; the arrows select a unit, whose connections in (each
weight and its gradient, and the bias) are shown under the units. The outputs are the network's own graph evaluated at
a grid of inputs (:func:`~gradstep.engine.analysis.neurons.hidden_units`) with the parameters of
the step the dashboard stands at; the view follows the training as it runs.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from gradstep.engine.analysis.neurons import hidden_units
from gradstep.tui.format import num
from gradstep.tui.i18n import N_, _, ngettext
from gradstep.tui.screens.fit_view import span
from gradstep.tui.screens.math_view import MathView
from gradstep.tui.screens.palette import translated
from gradstep.tui.widgets.heat_map import colour_bar, sequential
from gradstep.tui.widgets.key_footer import KeyFooter

__all__ = ["NeuronsView", "UNIT", "DIVERGING", "limits_for", "colours"]

UNIT = (14, 5)
"""A unit's picture in cells (columns, rows); a map has two pixels per cell, one above the other."""

DIVERGING = np.array([(234, 88, 12), (44, 44, 52), (59, 130, 246)], dtype=float)
"""Negative (orange), zero (dark), positive (blue), as TensorFlow Playground colours a neuron."""

_EIGHTHS = " ▁▂▃▄▅▆▇█"

UNIT_KEYS = Binding.Group(N_("unit"), compact=True)
LAYER_KEYS = Binding.Group(N_("layer"), compact=True)


def limits_for(activation: str, values: np.ndarray) -> tuple[float, float]:
    """The colour scale of a layer: the activation's range where it has one, else symmetric
    around 0 over the layer's outputs (so that 0 is the dark middle)."""
    if activation == "tanh":
        return -1.0, 1.0
    if activation == "sigmoid":
        return 0.0, 1.0
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    return -top, top


def colours(values: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    """RGB for ``values`` on the diverging scale."""
    return sequential(values, limits=limits, anchors=DIVERGING)


class NeuronsView(MathView):
    """Each hidden unit's output over the inputs, layer by layer."""

    CSS_PATH = "neurons_view.tcss"
    BINDINGS = [
        *MathView.STEPS_BINDINGS,
        Binding("left", "select(0, -1)", "previous unit", key_display="←", group=UNIT_KEYS),
        Binding("right", "select(0, 1)", "next unit", key_display="→", group=UNIT_KEYS),
        Binding("up", "select(-1, 0)", "layer above", key_display="↑", group=LAYER_KEYS),
        Binding("down", "select(1, 0)", "layer below", key_display="↓", group=LAYER_KEYS),
    ]

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard)
        sc = self.scenario
        self.inputs = sc.model.inputs if sc.kind == "network" else 0
        self.maps = []  # (layer, activation, grid inputs, (rows, units) outputs), for the tests
        self.selected = (1, 0)  # (layer, unit): its connections in are shown under the units

    def compose(self) -> ComposeResult:
        yield Static(id="neurons-head")
        with translated(VerticalScroll(id="neurons-body", can_focus=False)):
            yield Static(id="neurons-canvas")
        yield Static(id="neurons-selected")
        yield KeyFooter(compact=True)

    def poll_key(self):
        """The step, and the width the units are laid out in (drawn again when it changes)."""
        return super().poll_key() + (self.query_one("#neurons-body").size.width,)

    def session_changed(self) -> None:
        if not self.query_one("#neurons-body").size.width:  # not laid out yet: the next poll draws
            self._seen = None
            return
        snap = self.training.snapshot()
        head = Text()
        head.append(_("hidden units at step {t}").format(t=snap.t), style="bold")
        canvas = self.query_one("#neurons-canvas", Static)
        if self.inputs not in (1, 2) or len(self.scenario.model.layers) < 2:
            self.query_one("#neurons-head", Static).update(head)
            canvas.update(_("The neurons view draws the hidden units of a network of one or two inputs; "
                            "this scenario has none to draw.\nPress G for the graph of its loss."))
            return
        names = self.scenario.data.input_names
        head.append(" — " + (_("each unit's output over ({inputs}): orange < 0 < blue").format(
            inputs=", ".join(names[:2])) if self.inputs == 2 else _("each unit's output over {x}").format(
            x=names[0])))
        self.query_one("#neurons-head", Static).update(head)
        grid, shape = self._grid()
        with self.training.reading() as session:
            layers = hidden_units(session, grid, theta=snap.theta)
        self.maps = [(layer.layer, layer.activation, grid, layer.values) for layer in layers]
        body = self.query_one("#neurons-body")
        width = max(body.size.width - 3, UNIT[0])  # its padding and a scroll bar, shown or not
        text = Text(no_wrap=True, overflow="ignore", end="")
        for layer in layers:
            self._layer(text, layer, shape, width)
        canvas.update(text)
        self.query_one("#neurons-selected", Static).update(self._connections(snap))

    def action_select(self, layers: int, units: int) -> None:
        """Move the selection to the next (or previous) unit, or to the same place a layer
        down (or up), within the hidden layers."""
        hidden = len(self.scenario.model.layers) - 1
        if self.inputs not in (1, 2) or hidden < 1:
            return
        k = min(max(1, self.selected[0] + layers), hidden)
        count = self.scenario.model.layers[k - 1].units
        self.selected = (k, min(max(0, self.selected[1] + units), count - 1))
        self._seen = None
        self.session_changed()

    def _connections(self, snap) -> Text:
        """The selected unit's connections in: each weight and its gradient, and the bias."""
        k, j = self.selected
        layout = self.session.layout
        params = layout.views(snap.theta)
        W, b = params.get(f"layer{k}.W"), params.get(f"layer{k}.b")
        if W is None:
            return Text()
        grads = None if snap.record is None else snap.record.grads
        sources = list(self.scenario.data.input_names) if k == 1 else [f"a{k - 1}[{i}]" for i in range(W.shape[0])]
        text = Text()
        text.append(_("a{k}[{j}] at step {t}: its connections in").format(k=k, j=j, t=snap.t), style="bold")
        text.append(" " + _("(weight w, and ∂L/∂w of step {t})").format(t=snap.t) if grads is not None else "",
                    style="dim")
        text.append("\n")
        parts = []
        for i, source in enumerate(sources):
            part = f"{source} → w = {num(float(W[i, j]))}"
            if grads is not None:
                part += f" ({num(float(grads[f'layer{k}.W'][i, j]))})"
            parts.append(part)
        bias = f"b = {num(float(b[j]))}" + ("" if grads is None else f" ({num(float(grads[f'layer{k}.b'][j]))})")
        text.append("   ".join(parts + [bias]))
        return text

    def _grid(self):
        data = self.scenario.data
        x = np.asarray(data.x)
        if data.x_val is not None and len(data.x_val):
            x = np.concatenate([x, np.asarray(data.x_val)])
        cols, rows = UNIT
        xs = np.linspace(*span(x[:, 0]), cols)
        if self.inputs == 1:
            return xs.reshape(-1, 1), (cols,)
        ys = np.linspace(*span(x[:, 1]), 2 * rows)[::-1]  # the top pixel row is the largest y
        X, Y = np.meshgrid(xs, ys)
        return np.column_stack([X.ravel(), Y.ravel()]), (2 * rows, cols)

    def _layer(self, text: Text, layer, shape, width: int) -> None:
        limits = limits_for(layer.activation, layer.values)
        units = layer.values.shape[1]
        text.append(ngettext("layer {k}: {activation}, {units} unit", "layer {k}: {activation}, {units} units",
                             units).format(
            k=layer.layer, activation=layer.activation, units=units), style="bold")
        text.append("   ")
        if self.inputs == 2:
            text.append_text(colour_bar(colours(np.linspace(*limits, 16), limits), num(limits[0], 3),
                                        num(limits[1], 3)))
        text.append("\n")
        per_row = max(1, (width + 2) // (UNIT[0] + 2))
        for first in range(0, units, per_row):
            chunk = range(first, min(units, first + per_row))
            for j in chunk:
                picked = (layer.layer, j) == self.selected
                text.append(f"a{layer.layer}[{j}]".ljust(UNIT[0]), style="bold reverse" if picked else "dim")
                text.append("  " if j != chunk[-1] else "\n")
            pictures = [self._map(layer.values[:, j], shape, limits) if self.inputs == 2
                        else self._curve(layer.values[:, j], layer.activation) for j in chunk]
            for row in range(UNIT[1]):
                for i, picture in enumerate(pictures):
                    if i:
                        text.append("  ")
                    text.append_text(picture[row])
                text.append("\n")
        text.append("\n")

    @staticmethod
    def _map(values, shape, limits) -> list[Text]:
        rgb = colours(values.reshape(shape), limits)
        lines = []
        for row in range(UNIT[1]):
            line = Text()
            for col in range(UNIT[0]):
                top, bottom = rgb[2 * row, col], rgb[2 * row + 1, col]
                line.append("▀", style=Style(color=f"rgb({top[0]},{top[1]},{top[2]})",
                                             bgcolor=f"rgb({bottom[0]},{bottom[1]},{bottom[2]})"))
            lines.append(line)
        return lines

    @staticmethod
    def _curve(values, activation) -> list[Text]:
        low, high = limits_for(activation, values) if activation in ("tanh", "sigmoid") else (
            float(np.nanmin(values)), float(np.nanmax(values)))
        spread = high - low if high > low else 1.0
        levels = np.clip(np.nan_to_num((values - low) / spread), 0, 1) * UNIT[1] * 8
        lines = []
        for row in range(UNIT[1]):
            floor = (UNIT[1] - 1 - row) * 8  # eighths below this row
            line = "".join(_EIGHTHS[int(min(8, max(0, round(level - floor))))] for level in levels)
            lines.append(Text(line, style="cyan", end=""))
        return lines
