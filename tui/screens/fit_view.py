"""The model fit: the data and what the model predicts, as training goes on.

One input: the points (training and validation) and the model's curve ŷ(x). Two inputs: the
model's prediction over a grid of the input plane as a heat map, the data points on top in
their class's colour (decision regions, as in TensorFlow Playground). Every prediction is the
engine's (:meth:`gradstep.engine.training.session.Session.predict`) at the step the dashboard stands at.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from gradstep.tui.format import loss_at, num, styled
from gradstep.tui.i18n import _, ngettext
from gradstep.tui.screens.math_view import MathView
from gradstep.tui.widgets.fit_plot import FitPlot
from gradstep.tui.widgets.heat_map import CLASS_COLOURS, HeatMap, Overlay, classes, colour_bar, sequential
from gradstep.tui.widgets.key_footer import KeyFooter

__all__ = ["FitView", "span"]

CURVE_POINTS = 240
"""Where a one-input model's curve is evaluated."""

TRAIN, VALIDATION = "●", "○"


def span(values: np.ndarray, margin: float = 0.08) -> tuple[float, float]:
    """The range of ``values`` widened by ``margin`` of it on each side."""
    low, high = float(np.min(values)), float(np.max(values))
    pad = margin * (high - low) if high > low else 0.5
    return low - pad, high + pad


class FitView(MathView):
    """The data and the model's predictions at the current step."""

    CSS_PATH = "fit_view.tcss"
    BINDINGS = MathView.STEPS_BINDINGS

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard)
        data = self.scenario.data
        self.inputs = 0 if data is None else int(np.shape(data.x)[1])
        self.classifier = self.scenario.loss in ("bce_logits", "cross_entropy")

    def compose(self) -> ComposeResult:
        yield Static(id="fit-head")
        with Vertical(id="fit-box"):
            if self.inputs == 1:
                yield FitPlot(id="fit-plot")
            elif self.inputs == 2:
                yield HeatMap(id="fit-map")
            else:
                yield Static(self._nothing(), id="fit-none")
        yield Static(id="fit-legend")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        names = self.scenario.data.input_names if self.scenario.data is not None else ()
        box = self.query_one("#fit-box")
        if self.inputs == 1:
            box.border_title = _("ŷ({x}) and the data").format(x=names[0] if names else "x")
        elif self.inputs == 2:
            inputs = ", ".join(names[:2])
            box.border_title = (_("decision regions over ({inputs}) and the data") if self.classifier
                                else _("ŷ over ({inputs}) and the data")).format(inputs=inputs)
        else:
            box.border_title = _("model fit")

    def on_heat_map_resized(self, message: HeatMap.Resized) -> None:
        self._poll()

    def poll_key(self):
        maps = list(self.query(HeatMap))
        return super().poll_key() + ((maps[0].size,) if maps else ())

    def _nothing(self) -> str:
        if self.scenario.kind == "objective":
            return _("This scenario minimises a function of its parameters directly: there is no data to "
                     "fit.\nPress s for its loss surface, or c for the chain rule of one parameter.")
        return _("The model has {count} inputs; the fit view draws models of one input (a curve) "
                 "or two (a map).\nPress s for a slice of the loss surface.").format(count=self.inputs)

    # -- drawing ---------------------------------------------------------------------------
    def session_changed(self) -> None:
        snap = self.training.snapshot()
        self.query_one("#fit-head", Static).update(self._head(snap))
        if self.inputs == 1:
            self._curve(snap)
        elif self.inputs == 2:
            self._map(snap)

    def _head(self, snap) -> Text:
        text = Text()
        text.append(_("model fit at step {t}").format(t=snap.t), style="bold")
        sc = self.scenario
        if sc.kind == "network":
            inputs = ngettext("{count} input", "{count} inputs", sc.model.inputs).format(count=sc.model.inputs)
            model = " → ".join([inputs] + [f"{layer.units} {layer.activation}" for layer in sc.model.layers])
            text.append("   " + _("network {model}   loss {loss}").format(model=model, loss=sc.loss))
        elif sc.kind == "parametric":
            text.append("   " + _("ŷ = {expression}   loss {loss}").format(expression=sc.model.expression,
                                                                         loss=sc.loss))
        else:
            text.append(f"   f = {sc.model.expression}")
        if snap.record is not None:
            text.append("   ")
            text.append_text(styled(_("{L} = {loss} (step {t}, before its update)"), L=loss_at(snap.t - 1),
                                    loss=(num(snap.record.loss), "bold cyan"), t=snap.t))
            if snap.record.val_loss is not None:
                text.append("   " + _("validation {L} = {loss}").format(L=loss_at(snap.t - 1),
                                                                          loss=num(snap.record.val_loss)))
        else:
            text.append("   " + _("(the initial parameters: press space to take a step)"))
        return text

    def _points(self):
        data = self.scenario.data
        sets = [("training", np.asarray(data.x), np.asarray(data.y), TRAIN)]
        if data.x_val is not None and len(data.x_val):
            sets.append(("validation", np.asarray(data.x_val), np.asarray(data.y_val), VALIDATION))
        return sets

    def _curve(self, snap) -> None:
        sets = self._points()
        xs = np.linspace(*span(np.concatenate([s[1][:, 0] for s in sets])), CURVE_POINTS)
        out = self.session.predict(xs.reshape(-1, 1), theta=snap.theta, probabilities=self.classifier)
        out = out.reshape(len(xs), -1)
        name = self.scenario.data.input_names[0]
        if self.scenario.loss == "cross_entropy":
            curves = {_("P(class {k})").format(k=k): out[:, k] for k in range(out.shape[1])}
            ylabel = _("P(class) and labels")
        elif self.classifier:
            curves = {"P(y = 1) = σ(ŷ)": out[:, 0]}
            ylabel = _("P(y = 1) and labels")
        else:
            curves = {"ŷ" if out.shape[1] == 1 else f"ŷ{k + 1}": out[:, k] for k in range(out.shape[1])}
            ylabel = "y"
        colours = {"training": "orange", "validation": "white"}
        points = [(_(label), x[:, 0], np.asarray(y, dtype=float).reshape(len(x), -1)[:, 0], colours[label],
                   "dot" if label == "training" else "x") for label, x, y, _mark in sets]
        self.query_one(FitPlot).show(points, xs, curves, (name, ylabel))
        legend = _("orange dots: training points") + "   "
        if len(sets) > 1:
            legend += _("white x: validation points") + "   "
        self.query_one("#fit-legend", Static).update(legend + _("lines: the model at this step"))

    def _map(self, snap) -> None:
        heat = self.query_one(HeatMap)
        rows, cols = heat.grid_shape()
        sets = self._points()
        everything = np.concatenate([s[1] for s in sets])
        xs = np.linspace(*span(everything[:, 0]), cols)
        ys = np.linspace(*span(everything[:, 1]), rows)
        X, Y = np.meshgrid(xs, ys)
        grid = np.column_stack([X.ravel(), Y.ravel()])
        out = self.session.predict(grid, theta=snap.theta, probabilities=self.classifier)
        out = out.reshape(rows * cols, -1)
        legend = Text()
        if self.classifier:
            probs = out.reshape(rows, cols, -1)
            rgb = classes(probs[..., 0] if probs.shape[-1] == 1 else probs)
            overlays = [self._class_overlay(x, y, mark) for _label, x, y, mark in sets]
            count = max(2, probs.shape[-1])
            for k in range(count):
                r, g, b = CLASS_COLOURS[k % len(CLASS_COLOURS)].tolist()
                legend.append("■ ", style=Style(color=f"rgb({r},{g},{b})"))
                legend.append(_("class {k}").format(k=k) + "  ")
            legend.append("  " + _("region: the more probable class, brighter where the model is surer") + "   ")
        else:
            Z = out[:, 0].reshape(rows, cols)
            targets = np.concatenate([_first_column(y) for _label, _x, y, _mark in sets])
            limits = (float(min(np.nanmin(Z), targets.min())), float(max(np.nanmax(Z), targets.max())))
            rgb = sequential(Z, limits=limits)
            overlays = [Overlay(x[:, 0], x[:, 1],
                                sequential(_first_column(y), limits=limits),
                                mark) for _label, x, y, mark in sets]
            legend = colour_bar(sequential(np.linspace(*limits, 24), limits=limits), num(limits[0]),
                                num(limits[1]), _("ŷ and y"))
            legend.append("   ")
        legend.append(f"{TRAIN} " + _("training") + (f"  {VALIDATION} " + _("validation") if len(sets) > 1 else ""))
        names = self.scenario.data.input_names
        heat.show(xs, ys, rgb, overlays, names[0], names[1])
        self.query_one("#fit-legend", Static).update(legend)

    def _class_overlay(self, x, y, mark) -> Overlay:
        labels = np.asarray(y).reshape(len(y), -1)
        if labels.shape[1] > 1:                     # one-hot rows
            labels = np.argmax(labels, axis=1)
        elif self.scenario.loss == "bce_logits":    # 0.0 / 1.0 targets
            labels = (labels[:, 0] > 0.5).astype(int)
        else:
            labels = labels[:, 0].astype(int)
        return Overlay(x[:, 0], x[:, 1], CLASS_COLOURS[labels % len(CLASS_COLOURS)], mark)


def _first_column(y) -> np.ndarray:
    """Targets as floats, the first output's column."""
    return np.asarray(y, dtype=float).reshape(len(y), -1)[:, 0]
